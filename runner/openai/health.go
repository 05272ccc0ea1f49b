package openai

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

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
