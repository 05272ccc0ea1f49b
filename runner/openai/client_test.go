package openai

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// chatOK writes an OpenAI chat completion with one choice.
func chatOK(w http.ResponseWriter, model, content, reasoning string, finish any, prompt, completion int) {
	msg := map[string]any{"role": "assistant", "content": content}
	if reasoning != "" {
		msg["reasoning_content"] = reasoning
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": model,
		"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish}},
		"usage":   map[string]any{"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
	})
}

func testClient(t *testing.T, url string, retries int) *Client {
	t.Helper()
	c, err := NewClient(Options{
		Endpoint: url, MaxRetries: retries,
		RetryBase: time.Millisecond, RetryMax: 20 * time.Millisecond,
		RequestTimeout: 2 * time.Second,
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestChat(t *testing.T) {
	type step func(w http.ResponseWriter, r *http.Request)
	ok := func(w http.ResponseWriter, r *http.Request) {
		chatOK(w, "m", "the answer is \\boxed{4}", "", "stop", 11, 7)
	}
	status := func(code int, body string, hdr ...string) step {
		return func(w http.ResponseWriter, r *http.Request) {
			for i := 0; i+1 < len(hdr); i += 2 {
				w.Header().Set(hdr[i], hdr[i+1])
			}
			w.WriteHeader(code)
			fmt.Fprint(w, body)
		}
	}
	reset := func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := w.(http.Hijacker).Hijack()
		if err == nil {
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}
	}
	hang := func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-r.Context().Done():
		case <-time.After(5 * time.Second):
		}
	}
	tests := []struct {
		name     string
		steps    []step // one per request; the last repeats
		retries  int
		timeout  time.Duration
		wantText string
		wantFin  string
		attempts int // requests the server sees
		wantErr  error
		errHas   []string
	}{
		{name: "ok", steps: []step{ok}, wantText: "the answer is \\boxed{4}", wantFin: "stop", attempts: 1},
		{name: "reasoning split", steps: []step{func(w http.ResponseWriter, r *http.Request) {
			chatOK(w, "m", "so \\boxed{4}", "2+2", "length", 1, 2)
		}}, wantText: "<think>\n2+2\n</think>\nso \\boxed{4}", wantFin: "length", attempts: 1},
		{name: "null finish reason", steps: []step{func(w http.ResponseWriter, r *http.Request) {
			chatOK(w, "m", "x", "", nil, 1, 2)
		}}, wantText: "x", wantFin: "", attempts: 1},
		{name: "5xx then ok", steps: []step{status(503, "busy"), status(500, "oops"), ok}, retries: 3, wantFin: "stop", wantText: "the answer is \\boxed{4}", attempts: 3},
		{name: "429 then ok", steps: []step{status(429, `{"error":{"message":"slow down"}}`, "Retry-After", "0"), ok}, retries: 3, wantFin: "stop", wantText: "the answer is \\boxed{4}", attempts: 2},
		{name: "abort then ok", steps: []step{func(w http.ResponseWriter, r *http.Request) { chatOK(w, "m", "", "", "abort", 1, 0) }, ok}, retries: 3, wantFin: "stop", wantText: "the answer is \\boxed{4}", attempts: 2},
		{name: "reset then ok", steps: []step{reset, ok}, retries: 3, wantFin: "stop", wantText: "the answer is \\boxed{4}", attempts: 2},
		{name: "garbage then ok", steps: []step{status(200, `{"choices": [`), ok}, retries: 3, wantFin: "stop", wantText: "the answer is \\boxed{4}", attempts: 2},
		{name: "timeout then ok", steps: []step{hang, ok}, retries: 3, timeout: 100 * time.Millisecond, wantFin: "stop", wantText: "the answer is \\boxed{4}", attempts: 2},
		{name: "400 permanent", steps: []step{status(400, `{"object":"error","message":"This model's maximum context length is 4096 tokens","type":"BadRequestError","code":400}`)}, retries: 5, attempts: 1,
			wantErr: ErrPermanent, errHas: []string{"400", "maximum context length"}},
		{name: "404 permanent", steps: []step{status(404, `{"detail":"Not Found"}`)}, retries: 5, attempts: 1, wantErr: ErrPermanent, errHas: []string{"404", "Not Found"}},
		{name: "error object with 200", steps: []step{status(200, `{"object":"error","message":"prompt too long","code":400}`)}, retries: 5, attempts: 1,
			wantErr: ErrPermanent, errHas: []string{"prompt too long"}},
		{name: "error object 503 with 200 then ok", steps: []step{status(200, `{"object":"error","message":"busy","code":503}`), ok}, retries: 5, attempts: 2,
			wantFin: "stop", wantText: "the answer is \\boxed{4}"},
		{name: "always abort", steps: []step{func(w http.ResponseWriter, r *http.Request) { chatOK(w, "m", "", "", "abort", 1, 0) }}, retries: 2, attempts: 3,
			wantErr: ErrPermanent, errHas: []string{`finish_reason "abort" on all 3 attempts`}},
		{name: "always 500", steps: []step{status(500, "internal")}, retries: 2, attempts: 3, wantErr: ErrUnavailable, errHas: []string{"500", "after 3 attempts"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int32
			var gotBody map[string]any
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
					http.NotFound(w, r)
					return
				}
				json.NewDecoder(r.Body).Decode(&gotBody)
				i := int(n.Add(1)) - 1
				tt.steps[min(i, len(tt.steps)-1)](w, r)
			}))
			defer srv.Close()
			c := testClient(t, srv.URL+"/v1/", tt.retries)
			if tt.timeout > 0 {
				c.timeout = tt.timeout
			}
			res, err := c.Chat(t.Context(), ChatRequest{Model: "m", Messages: []Message{{Role: "user", Content: "2+2?"}}, Temperature: 0.6, TopP: 0.95, MaxTokens: 100})
			if got := int(n.Load()); got != tt.attempts {
				t.Errorf("server saw %d requests, want %d", got, tt.attempts)
			}
			if tt.wantErr != nil {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				for _, s := range tt.errHas {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not mention %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if res.Text != tt.wantText || res.FinishReason != tt.wantFin || res.Attempts != tt.attempts {
				t.Errorf("got %+v", res)
			}
			if gotBody["model"] != "m" || gotBody["max_tokens"].(float64) != 100 || gotBody["top_p"].(float64) != 0.95 || gotBody["stream"] != false {
				t.Errorf("request body %v", gotBody)
			}
		})
	}
}

func TestChatRetryAfterCapped(t *testing.T) {
	var n atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			w.Header().Set("Retry-After", "3600")
			w.WriteHeader(429)
			return
		}
		chatOK(w, "m", "ok", "", "stop", 1, 1)
	}))
	defer srv.Close()
	c := testClient(t, srv.URL, 3) // RetryMax 20ms caps the hour
	start := time.Now()
	if _, err := c.Chat(t.Context(), ChatRequest{Model: "m"}); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("Retry-After not capped: took %s", d)
	}
}

func TestChatRetryAfterHonoured(t *testing.T) {
	var n atomic.Int32
	var first, second time.Time
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if n.Add(1) == 1 {
			first = time.Now()
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(503)
			return
		}
		second = time.Now()
		chatOK(w, "m", "ok", "", "stop", 1, 1)
	}))
	defer srv.Close()
	c := testClient(t, srv.URL, 3)
	c.max = 5 * time.Second
	if _, err := c.Chat(t.Context(), ChatRequest{Model: "m"}); err != nil {
		t.Fatal(err)
	}
	if d := second.Sub(first); d < 900*time.Millisecond {
		t.Errorf("retried after %s, want about the server's Retry-After of 1s", d)
	}
}

func TestChatCanceledWhileBackingOff(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) }))
	defer srv.Close()
	c := testClient(t, srv.URL, 100)
	c.base0, c.max = time.Hour, time.Hour
	ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
	defer cancel()
	_, err := c.Chat(ctx, ChatRequest{Model: "m"})
	if !errors.Is(err, context.DeadlineExceeded) || errors.Is(err, ErrUnavailable) {
		t.Fatalf("err = %v, want the context's error", err)
	}
}

func TestChatUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL
	srv.Close()
	c := testClient(t, url, 2)
	_, err := c.Chat(t.Context(), ChatRequest{Model: "m"})
	if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), url) {
		t.Fatalf("err = %v, want ErrUnavailable naming %s", err, url)
	}
}

func TestBackoffBounds(t *testing.T) {
	c := &Client{base0: 10 * time.Millisecond, max: 300 * time.Millisecond}
	for n := range 40 {
		ceil := min(c.max, c.base0<<min(n, 20))
		for range 50 {
			if d := c.backoff(n, 0); d < 0 || d > ceil {
				t.Fatalf("backoff(%d) = %s, want in [0, %s]", n, d, ceil)
			}
		}
	}
	if d := c.backoff(0, time.Hour); d != c.max {
		t.Errorf("Retry-After of 1h gave %s, want the cap %s", d, c.max)
	}
	if d := c.backoff(0, 50*time.Millisecond); d != 50*time.Millisecond {
		t.Errorf("Retry-After of 50ms gave %s", d)
	}
}

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0}, {"0", 0}, {"2", 2 * time.Second}, {"1.5", 1500 * time.Millisecond}, {"-3", 0}, {"soon", 0},
		{now.Add(30 * time.Second).Format(http.TimeFormat), 30 * time.Second},
		{now.Add(-30 * time.Second).Format(http.TimeFormat), 0},
	}
	for _, tt := range tests {
		if got := parseRetryAfter(tt.in, now); got != tt.want {
			t.Errorf("parseRetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
		}
	}
}

func TestNormalizeEndpoint(t *testing.T) {
	tests := []struct{ in, want, err string }{
		{in: "http://127.0.0.1:30000", want: "http://127.0.0.1:30000"},
		{in: "http://127.0.0.1:30000/", want: "http://127.0.0.1:30000"},
		{in: "http://127.0.0.1:30000/v1", want: "http://127.0.0.1:30000"},
		{in: "http://127.0.0.1:30000/v1/", want: "http://127.0.0.1:30000"},
		{in: " https://gw.example.org/llm/v1 ", want: "https://gw.example.org/llm"},
		{in: "", err: "generate.endpoint"},
		{in: "127.0.0.1:30000", err: "not an http"},
		{in: "ftp://x", err: "not an http"},
	}
	for _, tt := range tests {
		got, err := normalizeEndpoint(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("normalizeEndpoint(%q) err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("normalizeEndpoint(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// FuzzParseChat: any answer body either parses or gives an attempt error;
// never a panic, and a parsed answer came from a body with choices.
func FuzzParseChat(f *testing.F) {
	f.Add([]byte(`{"model":"m","choices":[{"message":{"content":"x","reasoning_content":"r"},"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":2}}`))
	f.Add([]byte(`{"choices":[{"message":{"content":null},"finish_reason":null}]}`))
	f.Add([]byte(`{"object":"error","message":"too long","code":400}`))
	f.Add([]byte(`{"error":{"message":"bad key","code":"invalid_api_key"}}`))
	f.Add([]byte(`{"choices":[{"message":{},"finish_reason":{"type":"length"}}]}`))
	f.Add([]byte(`[`))
	f.Add([]byte("<!DOCTYPE html><html><head><title>502</title></head><body><h1>Bad</h1><header>x</header></body></html>"))
	f.Add([]byte("<HTML><HEAD\xff><STYLE>p{}</style><body>\xc4\xb0 &amp; <script>x</script></HTML>"))
	f.Add([]byte(": ping\n\nevent: m\ndata: {\"choices\":[{\"delta\":{\"content\":\"a\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]\n"))
	f.Add([]byte(`{"choices":[{"message":"text","finish_reason":"eos_token"}],"usage":"none"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		res, aerr := parseChat(data)
		if aerr == nil && res.Text == "" && res.FinishReason == "" && !bytes.Contains(bytes.ToLower(data), []byte("choices")) {
			t.Fatalf("parsed %q without choices", data)
		}
		if aerr != nil && aerr.err == nil {
			t.Fatal("attempt error without an error")
		}
		_ = serverMessage(data)
	})
}
