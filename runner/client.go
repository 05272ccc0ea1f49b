package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"html"
	"io"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// ErrPermanent marks an answer that retrying cannot fix: a 4xx other than
// 429 (a prompt too long for the context, a bad model name, a bad key).
var ErrPermanent = errors.New("permanent error")

// ErrUnavailable marks a request that still failed after every retry:
// the server is down, overloaded or broken. Callers treat it as an
// infrastructure failure, not as a failure of one item.
var ErrUnavailable = errors.New("server unavailable")

// ErrNotReady marks a WaitReady that timed out although the server
// answered HTTP (a 503 while it loads): the server is there, only not
// ready yet. It comes with ErrUnavailable.
var ErrNotReady = errors.New("server not ready")

// maxResponseBytes bounds one response body. A 16k-token generation is
// well under 1 MiB of JSON; this only stops a runaway server.
const maxResponseBytes = 64 << 20

// ClientOptions configures a Client. Zero values get the defaults of
// DefaultGenerateConfig.
type ClientOptions struct {
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
func NewClient(o ClientOptions) (*Client, error) {
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

// StatusError is an answer with an HTTP status other than 200.
type StatusError struct {
	Status  int    // 400
	Text    string // "400 Bad Request"
	Message string // the server's message, one line
}

func (e *StatusError) Error() string { return fmt.Sprintf("server answered %s: %s", e.Text, e.Message) }

// RefusesEverything reports whether err is a refusal that no request to
// this server can get past: a bad API key (401, 403), a wrong model name
// or URL (404, 405), a request shape the server does not take (415, 422:
// every request has the same shape), a redirect the runner will not
// follow. A 400 is not: it usually concerns one prompt (too long for the
// context).
func RefusesEverything(err error) bool {
	var se *StatusError
	if errors.As(err, &se) {
		switch se.Status {
		case http.StatusUnauthorized, http.StatusForbidden, http.StatusNotFound, http.StatusMethodNotAllowed,
			http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
			return true
		}
	}
	return errors.Is(err, errRedirected)
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

type chatBody struct {
	Model       string    `json:"model"`
	Messages    []Message `json:"messages"`
	Temperature float64   `json:"temperature"`
	TopP        float64   `json:"top_p"`
	MaxTokens   int       `json:"max_tokens,omitempty"`
	N           int       `json:"n"`
	Stream      bool      `json:"stream"`
}

// chatResponse is a chat completion, or one chunk of a streamed one. The
// fields are read leniently (flexText, flexInt): a server that sends a
// number as a string or content as a list of text parts is still
// understood, and a field of an unexpected type does not make the whole
// answer unreadable.
type chatResponse struct {
	Object  flexText        `json:"object"`
	Code    json.RawMessage `json:"code"`
	Type    flexText        `json:"type"`
	Error   json.RawMessage `json:"error"`
	Model   flexText        `json:"model"`
	Choices []chatChoice    `json:"choices"`
	Usage   *flexUsage      `json:"usage"`
}

// flexUsage is the usage object; anything but an object reads as no
// counts.
type flexUsage struct {
	PromptTokens     flexInt `json:"prompt_tokens"`
	CompletionTokens flexInt `json:"completion_tokens"`
}

func (u *flexUsage) UnmarshalJSON(b []byte) error {
	type plain flexUsage
	var v plain
	if json.Unmarshal(b, &v) == nil {
		*u = flexUsage(v)
	}
	return nil
}

type chatChoice struct {
	// Message is nil when the answer has none (or null).
	Message *chatMessage `json:"message"`
	// Delta is the message part of a streamed chunk.
	Delta *chatMessage `json:"delta"`
	// Text is where a completions-style server puts the answer.
	Text         flexText        `json:"text"`
	FinishReason json.RawMessage `json:"finish_reason"`
}

type chatMessage struct {
	Content          flexText `json:"content"`
	ReasoningContent flexText `json:"reasoning_content"`
	// Reasoning is vLLM's newer name for reasoning_content.
	Reasoning flexText `json:"reasoning"`
	// ok is set when the message was an object or a bare string (read
	// as its content); a message of another type is no message.
	ok bool
}

func (m *chatMessage) UnmarshalJSON(b []byte) error {
	type plain chatMessage
	var v plain
	if json.Unmarshal(b, &v) == nil {
		*m = chatMessage(v)
		m.ok = true
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		*m = chatMessage{Content: flexText{s: s, set: true}, ok: true}
	}
	return nil
}

// flexText is a JSON string, or a list of {"type": "text", "text": ...}
// parts (joined); null or anything else reads as unset.
type flexText struct {
	s   string
	set bool
}

func (f *flexText) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		f.s, f.set = s, true
		return nil
	}
	var parts []struct {
		Text string `json:"text"`
	}
	if json.Unmarshal(b, &parts) == nil && len(parts) > 0 {
		var sb strings.Builder
		for _, p := range parts {
			sb.WriteString(p.Text)
		}
		f.s, f.set = sb.String(), true
	}
	return nil
}

// flexInt is a JSON number (a float is truncated) or a numeric string;
// anything else reads as 0.
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	var f float64
	if json.Unmarshal(b, &f) == nil {
		*n = flexInt(f)
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		if v, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			*n = flexInt(v)
		}
	}
	return nil
}

// attemptError is the outcome of one failed attempt.
type attemptError struct {
	err       error
	permanent bool
	// aborted marks finish_reason "abort": retried, but when every
	// attempt ends so the request itself is the problem (SGLang aborts a
	// prompt it cannot fit), not the server.
	aborted bool
	finish  string // the finish_reason that aborted it
	// transport marks a failure below HTTP other than a timeout: no
	// answer at all, or an answer cut off (connection refused or reset).
	transport  bool
	retryAfter time.Duration // from the server's Retry-After, 0 if none
}

// Chat sends r and returns the first choice. It retries connection errors,
// timeouts, 5xx, 429, unreadable answers and finish_reason "abort" with
// exponential backoff and full jitter; other 4xx fail at once with an
// error that errors.Is ErrPermanent. When the retries are spent the error
// is ErrUnavailable; when ctx ends, ctx's error.
func (c *Client) Chat(ctx context.Context, r ChatRequest) (ChatResult, error) {
	body, err := json.Marshal(chatBody{
		Model: r.Model, Messages: r.Messages, Temperature: r.Temperature,
		TopP: r.TopP, MaxTokens: r.MaxTokens, N: 1,
	})
	if err != nil {
		return ChatResult{}, fmt.Errorf("encoding chat request: %w", err)
	}
	url := c.base + "/v1/chat/completions"
	var last *attemptError
	budget, from := c.retries, 0 // from: first attempt of the current budget
	allAborted := true           // every attempt so far ended in finish_reason "abort"
	for attempt := 0; ; attempt++ {
		if attempt > from {
			wait := c.backoff(attempt-from-1, last.retryAfter)
			c.log.Debug("retrying chat completion", "endpoint", c.base, "attempt", attempt+1, "wait", wait, "err", last.err)
			t := time.NewTimer(wait)
			select {
			case <-ctx.Done():
				t.Stop()
				return ChatResult{}, fmt.Errorf("chat completion at %s: %w (last error: %v)", c.base, ctx.Err(), last.err)
			case <-t.C:
			}
		}
		res, aerr := c.chatOnce(ctx, url, body)
		if aerr == nil {
			res.Attempts = attempt + 1
			return res, nil
		}
		if ctx.Err() != nil {
			return ChatResult{}, fmt.Errorf("chat completion at %s: %w", c.base, ctx.Err())
		}
		if aerr.permanent {
			return ChatResult{}, fmt.Errorf("%w: %s: %w", ErrPermanent, url, aerr.err)
		}
		last = aerr
		allAborted = allAborted && aerr.aborted
		if attempt < budget {
			continue
		}
		if allAborted {
			return ChatResult{}, fmt.Errorf("%w: %s: the server ended it with finish_reason %q on all %d attempts", ErrPermanent, url, aerr.finish, attempt+1)
		}
		if aerr.transport && from == 0 && c.wait > 0 {
			// Nothing reached the server on the last attempt: it may be
			// restarting. Wait for it once, then try the retries again.
			// A server that answers again but still says it is not ready
			// (503 while it warms up) is back too: the retries' backoff
			// gives it the rest of the time.
			c.log.Warn("server unreachable after the retries; waiting for it to come back", "endpoint", c.base, "wait_for_server", c.wait, "err", aerr.err)
			if err := c.WaitReady(ctx, c.wait); err == nil || errors.Is(err, ErrNotReady) && ctx.Err() == nil {
				from = attempt + 1
				budget = from + c.retries
				continue
			}
			if ctx.Err() != nil {
				return ChatResult{}, fmt.Errorf("chat completion at %s: %w", c.base, ctx.Err())
			}
		}
		return ChatResult{}, fmt.Errorf("%w: %s after %d attempts: %v", ErrUnavailable, url, attempt+1, aerr.err)
	}
}

// backoff is the wait before retry n (0-based): full jitter over an
// exponentially growing cap, or the server's Retry-After capped at
// RetryMax.
func (c *Client) backoff(n int, retryAfter time.Duration) time.Duration {
	if retryAfter > 0 {
		return min(retryAfter, c.max)
	}
	ceil := c.max
	if n < 30 {
		if d := c.base0 << n; d > 0 && d < ceil {
			ceil = d
		}
	}
	return rand.N(ceil + 1)
}

func (c *Client) chatOnce(ctx context.Context, url string, body []byte) (ChatResult, *attemptError) {
	if c.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, c.timeout)
		defer cancel()
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, url, bytes.NewReader(body))
	if err != nil {
		return ChatResult{}, &attemptError{err: err, permanent: true}
	}
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Accept", "application/json")
	// A generation may be asked for twice (only one answer is written),
	// so the request is idempotent for us. Saying so (an empty
	// Idempotency-Key is not sent on the wire) lets net/http resend it at
	// once when a pooled keep-alive connection turns out to have been
	// closed by the server, instead of failing the attempt.
	req.Header["Idempotency-Key"] = nil
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	start := time.Now()
	resp, err := c.http.Do(req)
	if err != nil {
		redirected := errors.Is(err, errRedirected)
		return ChatResult{}, &attemptError{err: err, permanent: redirected,
			transport: !redirected && !errors.Is(err, context.DeadlineExceeded)}
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxResponseBytes+1))
	resp.Body.Close()
	latency := time.Since(start)
	if resp.StatusCode/100 != 2 {
		msg := serverMessage(data)
		if resp.StatusCode == http.StatusGatewayTimeout {
			msg += " (a proxy between the runner and the server gave up waiting for the answer: raise its read timeout, e.g. nginx proxy_read_timeout, above the longest generation)"
		}
		ae := &attemptError{err: &StatusError{Status: resp.StatusCode, Text: resp.Status, Message: msg}}
		switch {
		case transientStatus(resp.StatusCode) || resp.StatusCode >= 500:
			ae.retryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), time.Now())
		case resp.StatusCode >= 400:
			ae.permanent = true
		}
		return ChatResult{}, ae
	}
	if err != nil {
		return ChatResult{}, &attemptError{err: fmt.Errorf("reading the answer: %w", err), transport: !errors.Is(err, context.DeadlineExceeded)}
	}
	if len(data) > maxResponseBytes {
		return ChatResult{}, &attemptError{err: fmt.Errorf("answer is larger than %d MiB", maxResponseBytes>>20)}
	}
	res, aerr := parseChat(data)
	res.Latency = latency
	return res, aerr
}

// transientStatus reports whether a 4xx status is worth retrying: 429 (rate
// limit), 408 (a proxy or server timed the request out) and 425 (too
// early).
func transientStatus(code int) bool {
	return code == http.StatusTooManyRequests || code == http.StatusRequestTimeout || code == http.StatusTooEarly
}

// parseChat reads a chat completion answered with a 2xx status.
func parseChat(data []byte) (ChatResult, *attemptError) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	if t := bytes.TrimSpace(data); isEventStream(t) {
		// A server that streams although asked not to.
		return parseStream(t)
	}
	var cr chatResponse
	if err := json.Unmarshal(data, &cr); err != nil {
		if page := htmlText(data); page != "" {
			// A proxy's error or login page sent with status 200.
			return ChatResult{}, &attemptError{err: fmt.Errorf("answer is an HTML page, not chat completion JSON: %s", page)}
		}
		return ChatResult{}, &attemptError{err: fmt.Errorf("answer is not chat completion JSON: %v", err)}
	}
	if len(cr.Choices) == 0 {
		return ChatResult{}, noChoices(&cr, data)
	}
	ch := cr.Choices[0]
	// The message, or a whole answer sent as one delta, or a
	// completions-style text. A choice with none of them (null, {}, or
	// only a finish_reason) is a broken answer, not an empty generation.
	msg := ch.Message
	if msg == nil || !msg.ok {
		msg = ch.Delta
	}
	if msg != nil && !msg.ok {
		msg = nil
	}
	if msg == nil && !ch.Text.set {
		return ChatResult{}, &attemptError{err: fmt.Errorf("answer's first choice has no message: %s", clip(data, 200))}
	}
	if msg == nil {
		msg = &chatMessage{}
	}
	content := msg.Content
	if !content.set {
		content = ch.Text
	}
	reasoning := msg.ReasoningContent
	if !reasoning.set {
		reasoning = msg.Reasoning
	}
	return finishChat(content.s, reasoning.s, finishReason(ch.FinishReason), &cr)
}

// noChoices explains an answer without choices. Some servers send an
// error object with status 200; its code says whether it is worth
// retrying.
func noChoices(cr *chatResponse, data []byte) *attemptError {
	if cr.Object.s == "error" || (len(cr.Error) > 0 && string(cr.Error) != "null") {
		ae := &attemptError{err: fmt.Errorf("server answered an error: %s", serverMessage(data))}
		ae.permanent = errorIsPermanent(cr.Code, cr.Type.s, cr.Error)
		return ae
	}
	return &attemptError{err: fmt.Errorf("answer has no choices: %s", clip(data, 200))}
}

// finishChat builds the result from the first choice's parts.
func finishChat(content, reasoning, fr string, cr *chatResponse) (ChatResult, *attemptError) {
	if fr == "abort" || fr == "error" {
		// SGLang aborts requests it cannot finish (memory pressure, a
		// server shutting down), vLLM ends one with "error" when its
		// engine fails it; another attempt usually succeeds. What came
		// with it is no trace.
		return ChatResult{}, &attemptError{err: fmt.Errorf("server ended the request with finish_reason %q", fr), aborted: true, finish: fr}
	}
	if content == "" && reasoning == "" && fr == "" {
		// Nothing written and nothing to show the generation ended: a
		// broken answer, not an empty trace.
		return ChatResult{}, &attemptError{err: errors.New("answer has an empty message and no finish_reason")}
	}
	res := ChatResult{FinishReason: fr, Model: cr.Model.s}
	switch {
	case reasoning != "" && content == "" && fr == "length":
		// Cut off while thinking: the model never closed its think
		// block, so neither do we.
		res.Text = "<think>\n" + reasoning
	case reasoning != "":
		res.Text = "<think>\n" + reasoning + "\n</think>\n" + content
	default:
		res.Text = content
	}
	if cr.Usage != nil {
		res.PromptTokens = int(cr.Usage.PromptTokens)
		res.CompletionTokens = int(cr.Usage.CompletionTokens)
	}
	return res, nil
}

// parseStream reads a server-sent-events answer ("data: {chunk}" lines,
// ending with "data: [DONE]"), as a server that ignores "stream": false
// sends it: the deltas of the first choice are joined. A stream cut off
// before its end is an unreadable answer (retried).
func parseStream(data []byte) (ChatResult, *attemptError) {
	var content, reasoning strings.Builder
	var acc chatResponse
	fr, done, chunks := "", false, 0
	for line := range bytes.Lines(data) {
		line = bytes.TrimSpace(line)
		payload, ok := bytes.CutPrefix(line, []byte("data:"))
		if !ok {
			continue
		}
		payload = bytes.TrimSpace(payload)
		if string(payload) == "[DONE]" {
			done = true
			break
		}
		var cr chatResponse
		if err := json.Unmarshal(payload, &cr); err != nil {
			return ChatResult{}, &attemptError{err: fmt.Errorf("streamed answer has a chunk that is not JSON: %v", err)}
		}
		if cr.Object.s == "error" || (len(cr.Error) > 0 && string(cr.Error) != "null") {
			return ChatResult{}, noChoices(&cr, payload)
		}
		chunks++
		if cr.Model.set {
			acc.Model = cr.Model
		}
		if cr.Usage != nil {
			acc.Usage = cr.Usage
		}
		if len(cr.Choices) == 0 {
			continue
		}
		ch := cr.Choices[0]
		for _, m := range []*chatMessage{ch.Delta, ch.Message} {
			if m == nil {
				continue
			}
			content.WriteString(m.Content.s)
			reasoning.WriteString(m.ReasoningContent.s)
			if !m.ReasoningContent.set {
				reasoning.WriteString(m.Reasoning.s)
			}
		}
		content.WriteString(ch.Text.s)
		if f := finishReason(ch.FinishReason); f != "" {
			fr = f
		}
	}
	if !done && fr == "" || chunks == 0 {
		return ChatResult{}, &attemptError{err: errors.New("streamed answer ended before its last chunk")}
	}
	return finishChat(content.String(), reasoning.String(), fr, &acc)
}

// isEventStream reports whether a body is server-sent events: its first
// line is a data, event, id or retry field, or a comment (":"), which
// JSON never starts with.
func isEventStream(t []byte) bool {
	line, _, _ := bytes.Cut(t, []byte("\n"))
	for _, p := range []string{"data:", "event:", "id:", "retry:", ":"} {
		if bytes.HasPrefix(line, []byte(p)) {
			return true
		}
	}
	return false
}

// errorIsPermanent judges an error object sent with status 200 (SGLang's
// and vLLM's {"object": "error", "code": 400, "type": "BadRequestError"},
// OpenAI's {"error": {"code": "context_length_exceeded", "type":
// "invalid_request_error"}}): a 4xx code other than 408/425/429, or a
// request-error type, cannot be fixed by retrying; anything else (a 5xx
// code, an overload, no code at all) may be.
func errorIsPermanent(code json.RawMessage, typ string, errObj json.RawMessage) bool {
	var inner struct {
		Code json.RawMessage `json:"code"`
		Type string          `json:"type"`
	}
	if len(errObj) > 0 && json.Unmarshal(errObj, &inner) == nil {
		if len(code) == 0 || string(code) == "null" {
			code = inner.Code
		}
		if typ == "" {
			typ = inner.Type
		}
	}
	var n int
	if json.Unmarshal(code, &n) != nil {
		var s string
		if json.Unmarshal(code, &s) == nil {
			if v, err := strconv.Atoi(s); err == nil {
				n = v
			} else if s == "context_length_exceeded" || s == "invalid_request_error" {
				return true
			}
		}
	}
	if n != 0 {
		return n >= 400 && n < 500 && !transientStatus(n)
	}
	switch strings.ToLower(typ) {
	case "badrequesterror", "invalid_request_error", "notfounderror", "not_found_error",
		"authenticationerror", "authentication_error", "permissiondeniederror", "permission_error":
		return true
	}
	return false
}

// finishReason reads finish_reason, which OpenAI sends as a string or null
// and some servers as an object {"type": "stop", ...}, in OpenAI's words
// (normalFinish).
func finishReason(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return normalFinish(s)
	}
	var o struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return normalFinish(o.Type)
	}
	return string(raw)
}

// normalFinish writes other servers' words for a finish reason in
// OpenAI's, the ones merge and the dataset use: TGI's "eos_token" and
// "stop_sequence" and Anthropic-style "end_turn" are "stop";
// "max_tokens", "max_length" and "max_new_tokens" are "length". Case
// and spaces do not matter; any other value is kept (lower-cased).
func normalFinish(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "eos", "eos_token", "stop_sequence", "end_turn":
		return "stop"
	case "max_tokens", "max_length", "max_new_tokens":
		return "length"
	}
	return s
}

// serverMessage pulls the human-readable message out of an error body:
// OpenAI's {"error": {"message": ...}}, SGLang's and vLLM's
// {"object": "error", "message": ...}, FastAPI's {"detail": ...}, or the
// body itself, clipped.
func serverMessage(data []byte) string {
	var v struct {
		Error   json.RawMessage `json:"error"`
		Message string          `json:"message"`
		Detail  json.RawMessage `json:"detail"`
	}
	if json.Unmarshal(data, &v) == nil {
		if len(v.Error) > 0 {
			var e struct {
				Message string `json:"message"`
			}
			if json.Unmarshal(v.Error, &e) == nil && e.Message != "" {
				return oneLine(e.Message)
			}
			var s string
			if json.Unmarshal(v.Error, &s) == nil && s != "" {
				return oneLine(s)
			}
		}
		if v.Message != "" {
			return oneLine(v.Message)
		}
		if len(v.Detail) > 0 {
			var s string
			if json.Unmarshal(v.Detail, &s) == nil {
				return oneLine(s)
			}
			if m := validationMessage(v.Detail); m != "" {
				return m
			}
			return clip(v.Detail, 300)
		}
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return "(empty body)"
	}
	if page := htmlText(data); page != "" {
		return page
	}
	return clip(data, 300)
}

// validationMessage reads FastAPI's validation errors, [{"loc": ["body",
// "top_p"], "msg": "..."}, ...], as "body.top_p: ...; ..."; "" when detail
// is not such a list.
func validationMessage(detail json.RawMessage) string {
	var items []struct {
		Loc []any  `json:"loc"`
		Msg string `json:"msg"`
	}
	if json.Unmarshal(detail, &items) != nil {
		return ""
	}
	var parts []string
	for _, it := range items {
		if it.Msg == "" {
			continue
		}
		loc := make([]string, 0, len(it.Loc))
		for _, l := range it.Loc {
			loc = append(loc, fmt.Sprint(l))
		}
		if len(loc) > 0 {
			parts = append(parts, strings.Join(loc, ".")+": "+it.Msg)
		} else {
			parts = append(parts, it.Msg)
		}
	}
	return oneLine(strings.Join(parts, "; "))
}

// htmlText is the visible text of an HTML page (a proxy's "502 Bad
// Gateway"), without its head, scripts and styles, on one line and
// clipped; its title when the body says nothing; "" when data is not an
// HTML page.
func htmlText(data []byte) string {
	s := strings.TrimSpace(string(data))
	// ASCII-only lower case, byte by byte, keeps the offsets of s and
	// low equal whatever the bytes.
	lb := []byte(s)
	for i, c := range lb {
		if 'A' <= c && c <= 'Z' {
			lb[i] = c + 'a' - 'A'
		}
	}
	low := string(lb)
	if !strings.HasPrefix(low, "<!doctype html") && !strings.HasPrefix(low, "<html") {
		return ""
	}
	title := ""
	if i := strings.Index(low, "<title>"); i >= 0 {
		if j := strings.Index(low[i:], "</title>"); j >= 0 {
			title = s[i+len("<title>") : i+j]
		}
	}
	for _, tag := range []string{"head", "script", "style"} {
		s, low = dropElement(s, low, tag)
	}
	var sb strings.Builder
	inTag := false
	for _, r := range s {
		switch {
		case r == '<':
			inTag = true
			sb.WriteByte(' ')
		case r == '>' && inTag:
			inTag = false
		case !inTag:
			sb.WriteRune(r)
		}
	}
	text := oneLine(html.UnescapeString(sb.String()))
	if text == "" {
		text = oneLine(html.UnescapeString(title))
	}
	if text == "" {
		return "(an HTML page)"
	}
	if len(text) > 300 {
		text = text[:300] + "…"
	}
	return text
}

// dropElement cuts every <tag ...>...</tag> out of s; low is s in lower
// case, cut alike.
func dropElement(s, low, tag string) (string, string) {
	from := 0
	for {
		i := strings.Index(low[from:], "<"+tag)
		if i < 0 {
			return s, low
		}
		i += from
		if end := i + 1 + len(tag); end < len(low) && low[end] != '>' && low[end] != ' ' && low[end] != '\t' && low[end] != '\n' && low[end] != '\r' && low[end] != '/' {
			from = end // <header> is not <head>
			continue
		}
		j := strings.Index(low[i:], "</"+tag+">")
		if j < 0 {
			return s[:i], low[:i]
		}
		end := i + j + len(tag) + 3
		s, low = s[:i]+" "+s[end:], low[:i]+" "+low[end:]
		from = i
	}
}

func oneLine(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 500 {
		s = s[:500] + "…"
	}
	return s
}

func clip(b []byte, n int) string {
	s := oneLine(string(b))
	if len(s) > n {
		s = s[:n] + "…"
	}
	return s
}

// parseRetryAfter reads a Retry-After header: delay-seconds or an HTTP
// date. It returns 0 when there is none or it cannot be read.
func parseRetryAfter(h string, now time.Time) time.Duration {
	h = strings.TrimSpace(h)
	if h == "" {
		return 0
	}
	if n, err := strconv.ParseFloat(h, 64); err == nil {
		if n <= 0 {
			return 0
		}
		if n > 1e6 {
			n = 1e6
		}
		return time.Duration(n * float64(time.Second))
	}
	if t, err := http.ParseTime(h); err == nil {
		if d := t.Sub(now); d > 0 {
			return d
		}
	}
	return 0
}

// healthPaths are probed in order; a 404 moves on to the next. SGLang's
// /health_generate runs a one-token generation, so it is 200 only once the
// model serves; /health and /v1/models are for other servers.
var healthPaths = [...]string{"/health_generate", "/health", "/v1/models"}

// WaitReady polls the server until one of its health endpoints answers 2xx
// or timeout passes. A 503 ("loading") or a refused connection means wait;
// a 404 means the server does not have that endpoint, so the next one is
// tried.
func (c *Client) WaitReady(ctx context.Context, timeout time.Duration) error {
	if timeout <= 0 {
		timeout = time.Minute
	}
	parent := ctx
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	start := time.Now()
	path := 0
	var last error
	// poll starts fast so a test or a warm server costs little, then
	// settles at 2 s so a loading server is not hammered.
	poll := 50 * time.Millisecond
	logged := start
	// One probe gets a share of the wait, so that a health endpoint that
	// hangs (a server busy or broken there) leaves time to try the next.
	probe := min(max(timeout/4, 250*time.Millisecond), 30*time.Second)
	if c.timeout > 0 {
		probe = min(probe, c.timeout)
	}
	answered := false // the server answered HTTP at least once
	for {
		status, err := c.get(ctx, healthPaths[path], probe)
		if err == nil {
			answered = true
		}
		switch {
		case err != nil && errors.Is(err, context.DeadlineExceeded) && ctx.Err() == nil && path < len(healthPaths)-1:
			c.log.Debug("health endpoint does not answer; trying the next", "endpoint", c.base, "path", healthPaths[path], "probe", probe)
			last = fmt.Errorf("%s did not answer within %s", healthPaths[path], probe)
			path++
			continue
		case err == nil && status/100 == 2:
			c.log.Debug("server ready", "endpoint", c.base, "path", healthPaths[path], "waited", time.Since(start).Round(time.Millisecond))
			return nil
		case err == nil && (status == http.StatusNotFound || status == http.StatusMethodNotAllowed) && path < len(healthPaths)-1:
			path++
			continue
		case err == nil && status >= 400 && status < 500 && status != http.StatusRequestTimeout && status != http.StatusTooManyRequests:
			// The server speaks HTTP but has none of the health
			// endpoints (a minimal OpenAI-compatible server or a proxy
			// answering 404), or wants a key for them (401/403): it is
			// up; the chat requests will say whether it serves.
			c.log.Debug("server answers but has no health endpoint; going ahead", "endpoint", c.base, "path", healthPaths[path], "status", status)
			return nil
		case err == nil:
			last = fmt.Errorf("%s answered %d", healthPaths[path], status)
		default:
			last = err
			var ue *url.Error
			if errors.As(err, &ue) {
				last = ue.Err // the URL is in the message already
			}
		}
		if time.Since(logged) > 15*time.Second {
			c.log.Info("waiting for the server", "endpoint", c.base, "waited", time.Since(start).Round(time.Second), "last", last)
			logged = time.Now()
		}
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			if err := parent.Err(); err != nil {
				return fmt.Errorf("waiting for the server at %s: %w", c.base, err)
			}
			if answered {
				return fmt.Errorf("%w: %w: %s did not become ready within %s (last: %v)", ErrNotReady, ErrUnavailable, c.base, timeout, last)
			}
			return fmt.Errorf("%w: %s did not become ready within %s (last: %v)", ErrUnavailable, c.base, timeout, last)
		case <-t.C:
		}
		poll = min(poll*2, 2*time.Second)
	}
}

func (c *Client) get(ctx context.Context, path string, timeout time.Duration) (int, error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.base+path, nil)
	if err != nil {
		return 0, err
	}
	if c.apiKey != "" {
		req.Header.Set("Authorization", "Bearer "+c.apiKey)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, err
	}
	io.Copy(io.Discard, io.LimitReader(resp.Body, 1<<20))
	resp.Body.Close()
	return resp.StatusCode, nil
}
