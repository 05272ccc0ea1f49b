package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
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

type chatBody struct {
	Model       string    `json:"model"`
	Messages    []Message `json:"messages"`
	Temperature float64   `json:"temperature"`
	TopP        float64   `json:"top_p"`
	MaxTokens   int       `json:"max_tokens,omitempty"`
	N           int       `json:"n"`
	Stream      bool      `json:"stream"`
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
