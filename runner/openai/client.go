package openai

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// maxResponseBytes bounds one response body. A 16k-token generation is
// well under 1 MiB of JSON; this only stops a runaway server.
const maxResponseBytes = 64 << 20

// Options configures a Client. A zero or negative MaxRetries means no
// retries; a zero RetryBase is 1 s, a zero RetryMax 1 min.
type Options struct {
	// Endpoint is the server's base URL as SGLang prints it
	// (http://127.0.0.1:30000); a trailing / or /v1 is accepted.
	Endpoint string
	// APIKey, when set, is sent as a bearer token.
	APIKey string
	// HTTP is the client to use; nil builds one with a connection pool
	// sized for many concurrent requests to one host.
	HTTP *http.Client
	// MaxRetries is the number of retries after the first attempt
	// (negative: none).
	MaxRetries int
	// RetryBase and RetryMax bound the exponential backoff: before retry n
	// the client sleeps a random time in [0, min(RetryMax, RetryBase*2^n)]
	// (full jitter), or the server's Retry-After capped at RetryMax.
	RetryBase, RetryMax time.Duration
	// RequestTimeout bounds one attempt (0: no bound beyond ctx).
	RequestTimeout time.Duration
	// WaitForServer, when positive, is how long a request whose retries
	// all failed without reaching the server (connection refused or
	// reset: a server restarting) waits for it to come back (WaitReady)
	// before it gets the retries once more. 0: no second chance.
	WaitForServer time.Duration
	Logger        *slog.Logger
}

// Client talks to one OpenAI-compatible server (SGLang's HTTP API). It is
// safe for concurrent use. Retries live here and nowhere else.
type Client struct {
	base    string // scheme://host[:port][/prefix], no trailing slash, no /v1
	apiKey  string
	http    *http.Client
	retries int
	base0   time.Duration
	max     time.Duration
	timeout time.Duration
	wait    time.Duration
	log     *slog.Logger
}

// NewClient checks o and returns a Client.
func NewClient(o Options) (*Client, error) {
	base, err := normalizeEndpoint(o.Endpoint)
	if err != nil {
		return nil, err
	}
	c := &Client{
		base:    base,
		apiKey:  o.APIKey,
		http:    o.HTTP,
		retries: o.MaxRetries,
		base0:   o.RetryBase,
		max:     o.RetryMax,
		timeout: o.RequestTimeout,
		wait:    o.WaitForServer,
		log:     o.Logger,
	}
	if c.retries < 0 {
		c.retries = 0
	}
	if c.base0 <= 0 {
		c.base0 = time.Second
	}
	if c.max <= 0 {
		c.max = time.Minute
	}
	if c.max < c.base0 {
		c.max = c.base0
	}
	if c.log == nil {
		c.log = slog.New(slog.DiscardHandler)
	}
	if c.http == nil {
		t := http.DefaultTransport.(*http.Transport).Clone()
		// One runner keeps up to `concurrency` requests open to one
		// server; the default of 2 idle connections per host would make
		// it reconnect for almost every request.
		t.MaxIdleConnsPerHost = 1024
		t.MaxIdleConns = 1024
		c.http = &http.Client{Transport: t, CheckRedirect: checkRedirect}
	}
	return c, nil
}

// errRedirected marks a chat request the server redirected in a way that
// would lose it: a 301/302/303 turns the POST into a GET without a body.
var errRedirected = errors.New("redirected")

// checkRedirect follows redirects that keep the request (307, 308, and
// any for GET) and refuses the others with an error naming where the
// server points, so that the user can fix generate.endpoint.
func checkRedirect(req *http.Request, via []*http.Request) error {
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	if via[0].Method != req.Method {
		code := 0
		if req.Response != nil {
			code = req.Response.StatusCode
		}
		return fmt.Errorf("%w: %s answered %d pointing to %s, which would turn the %s into a %s: set generate.endpoint to the server's real address",
			errRedirected, via[0].URL, code, req.URL, via[0].Method, req.Method)
	}
	return nil
}

// normalizeEndpoint turns "http://h:30000", "http://h:30000/",
// "http://h:30000/v1", "http://h:30000/v1/" or
// "http://h:30000/v1/chat/completions" into "http://h:30000".
func normalizeEndpoint(s string) (string, error) {
	s = strings.TrimSpace(s)
	if s == "" {
		return "", errors.New("endpoint is empty: set generate.endpoint or DISTILLERY_GENERATE_ENDPOINT")
	}
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("endpoint %q is not an http:// or https:// URL such as http://127.0.0.1:30000", s)
	}
	p := strings.TrimRight(u.Path, "/")
	// Someone may paste the whole API URL: take the base from it.
	p = strings.TrimSuffix(p, "/chat/completions")
	p = strings.TrimSuffix(p, "/v1")
	u.Path = strings.TrimRight(p, "/")
	u.RawPath = ""
	u.RawQuery = ""
	u.Fragment = ""
	return u.String(), nil
}

// Endpoint is the server's base URL, without /v1.
func (c *Client) Endpoint() string { return c.base }

// Message is one chat message.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// ChatRequest is one chat completion request (one choice).
type ChatRequest struct {
	Model       string
	Messages    []Message
	Temperature float64
	TopP        float64
	MaxTokens   int
}

// ChatResult is the first choice of a chat completion.
type ChatResult struct {
	// Text is the message content; when the server splits the reasoning
	// off (reasoning_content), it is put back in front as
	// "<think>\n" + reasoning + "\n</think>\n" + content, or as
	// "<think>\n" + reasoning alone when the generation was cut off
	// (finish_reason "length") before any content.
	Text         string
	FinishReason string // "stop", "length", or "" when the server sent null
	Model        string // as the server reports it
	PromptTokens int
	// CompletionTokens is the server's usage count.
	CompletionTokens int
	// Attempts is the number of HTTP attempts it took (1 when the first
	// one succeeded).
	Attempts int
	// Latency is the duration of the successful attempt.
	Latency time.Duration
}
