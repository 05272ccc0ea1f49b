package runner

// A second foreign server, written to behave like an implementation other
// than ours, SGLang's or the first foreignServer: its own field order and
// extra fields, reasoning split off, usage missing, and a fault table run
// through the whole runner. Each case must end in one of two ways: the
// shard complete with every (uuid, index) exactly once and a done marker,
// or a clear one-line error with no done marker; never a hang, a duplicate
// or a half-written record.

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/shard"
)

// oddServer answers /v1/chat/completions and /v1/models only. Its
// answers put usage and unknown fields first and choices last, send
// finish_reason as the last field of a choice, and follow style.
type oddServer struct {
	addr     string
	requests atomic.Int64
	answered atomic.Int64
	// fault may take over request n (1-based) for problem p; it returns
	// true when it answered.
	fault func(n int64, p string, w http.ResponseWriter, r *http.Request) bool
	// style shapes a healthy answer (nil: content with usage).
	style func(n int64, p string) string

	mu   sync.Mutex
	srv  *http.Server
	seen map[string]int // "problem" -> 200 answers
}

// newOddServer starts the server now, or after delay on a port that
// refuses connections until then (a server still loading its model).
func newOddServer(t *testing.T, delay time.Duration) *oddServer {
	s := &oddServer{seen: map[string]int{}}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s.addr = ln.Addr().String()
	if delay <= 0 {
		s.serve(ln)
	} else {
		ln.Close()
		timer := time.AfterFunc(delay, func() {
			for range 100 {
				if ln, err = net.Listen("tcp", s.addr); err == nil {
					s.serve(ln)
					return
				}
				time.Sleep(10 * time.Millisecond)
			}
			t.Errorf("odd server: listening again on %s: %v", s.addr, err)
		})
		t.Cleanup(func() { timer.Stop() })
	}
	t.Cleanup(func() {
		s.mu.Lock()
		defer s.mu.Unlock()
		if s.srv != nil {
			s.srv.Close()
		}
	})
	return s
}

func (s *oddServer) URL() string { return "http://" + s.addr + "/v1/" }

func (s *oddServer) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(s.handle)}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go srv.Serve(ln)
}

func (s *oddServer) handle(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Server", "odd/0.1")
	switch {
	case r.URL.Path == "/v1/models" && r.Method == http.MethodGet:
		fmt.Fprint(w, `{"data":[{"id":"odd-model","owned_by":"odd"}],"object":"list"}`)
		return
	case r.URL.Path == "/v1/chat/completions" && r.Method == http.MethodPost:
	default:
		w.Header().Set("Content-Type", "text/plain")
		w.WriteHeader(http.StatusNotFound)
		fmt.Fprint(w, "no such route")
		return
	}
	var req map[string]json.RawMessage
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprintf(w, `{"detail":[{"msg":%q}]}`, err.Error())
		return
	}
	var msgs []struct{ Role, Content string }
	json.Unmarshal(req["messages"], &msgs)
	if len(msgs) == 0 {
		w.WriteHeader(http.StatusUnprocessableEntity)
		fmt.Fprint(w, `{"detail":[{"msg":"messages: field required"}]}`)
		return
	}
	p, _, _ := strings.Cut(msgs[len(msgs)-1].Content, "\n\n")
	n := s.requests.Add(1)
	if s.fault != nil && s.fault(n, p, w, r) {
		return
	}
	body := `"usage":{"completion_tokens":31,"prompt_tokens":17},"content":{"type":"text","text":"About ` + p + `: \\boxed{42}"}`
	if s.style != nil {
		body = s.style(n, p)
	}
	s.mu.Lock()
	s.seen[p]++
	s.mu.Unlock()
	s.answered.Add(1)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	fmt.Fprint(w, renderOdd(n, body))
}

// renderOdd builds an answer from parts written like a body's fields:
// "usage" and "extra" go first, then the choice; "content", "reasoning"
// and "finish" fill the message. Parts are given as a JSON object
// fragment.
func renderOdd(n int64, parts string) string {
	var v struct {
		Usage     json.RawMessage `json:"usage"`
		Content   json.RawMessage `json:"content"`
		Reasoning json.RawMessage `json:"reasoning"`
		Finish    json.RawMessage `json:"finish"`
		Model     json.RawMessage `json:"model"`
	}
	if err := json.Unmarshal([]byte("{"+parts+"}"), &v); err != nil {
		panic(err)
	}
	var content any = ""
	if len(v.Content) > 0 {
		var c struct{ Text string }
		json.Unmarshal(v.Content, &c)
		content = c.Text
		if string(v.Content) == "null" {
			content = nil
		}
	}
	cj, _ := json.Marshal(content)
	finish := `"stop"`
	if len(v.Finish) > 0 {
		finish = string(v.Finish)
	}
	var sb strings.Builder
	sb.WriteString("{")
	if len(v.Usage) > 0 {
		fmt.Fprintf(&sb, `"usage":%s,`, v.Usage)
	}
	fmt.Fprintf(&sb, `"system_fingerprint":"odd-%d","x_odd":{"queue_ms":3,"tags":["a",null,1.5]},"created":%d,`, n, time.Now().Unix())
	if len(v.Model) > 0 {
		fmt.Fprintf(&sb, `"model":%s,`, v.Model)
	}
	fmt.Fprintf(&sb, `"choices":[{"logprobs":null,"message":{`)
	if len(v.Reasoning) > 0 {
		fmt.Fprintf(&sb, `"reasoning_content":%s,`, v.Reasoning)
	}
	fmt.Fprintf(&sb, `"tool_calls":[],"content":%s,"role":"assistant"},"index":0`, cj)
	if finish != `"-"` { // "-": no finish_reason at all
		fmt.Fprintf(&sb, `,"finish_reason":%s`, finish)
	}
	fmt.Fprintf(&sb, `}],"object":"chat.completion","id":"odd-%d"}`, n)
	return sb.String()
}

// dripBody sends a whole answer one byte at a time, every step.
func dripBody(w http.ResponseWriter, r *http.Request, body string, step time.Duration) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", fmt.Sprint(len(body)))
	w.WriteHeader(http.StatusOK)
	fl := w.(http.Flusher)
	for i := range len(body) {
		if _, err := w.Write([]byte{body[i]}); err != nil {
			return
		}
		fl.Flush()
		select {
		case <-time.After(step):
		case <-r.Context().Done():
			return
		}
	}
}

// headersThenHang sends 200 and the headers, then nothing.
func headersThenHang(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(http.StatusOK)
	w.(http.Flusher).Flush()
	<-r.Context().Done()
}

func TestRunOddServer(t *testing.T) {
	const perShard, gens = 6, 3
	type tcase struct {
		name  string
		delay time.Duration // refuse connections this long
		fault func(n int64, p string, w http.ResponseWriter, r *http.Request) bool
		style func(n int64, p string) string
		opts  func(*Options)
		// wantErr: nil means the shard must complete; otherwise the run
		// fails with it, and errHas names what the line must say.
		wantErr error
		errHas  []string
		maxTime time.Duration
		check   func(t *testing.T, recs map[shard.Key]shard.Generation)
	}
	// every(k, f) lets f take request 0 and k of each problem: two
	// faults per problem at the most, so no generation runs out of
	// retries whatever the order of arrival.
	every := func(k int, f func(w http.ResponseWriter, r *http.Request)) func(int64, string, http.ResponseWriter, *http.Request) bool {
		count := perProblem()
		return func(_ int64, p string, w http.ResponseWriter, r *http.Request) bool {
			if c := count(p); c == 0 || c == k {
				f(w, r)
				return true
			}
			return false
		}
	}
	tests := []tcase{
		{name: "healthy, own field order, extra fields, usage first"},
		{name: "finish_reason null and no usage", style: func(n int64, p string) string {
			return `"finish":null,"content":{"text":"About ` + p + `: \\boxed{42}"}`
		}, check: func(t *testing.T, recs map[shard.Key]shard.Generation) {
			for _, g := range recs {
				if g.FinishReason != "" || g.PromptTokens != 0 || g.CompletionTokens != 0 {
					t.Fatalf("record %+v: want finish_reason \"\" and 0 tokens", g)
				}
			}
		}},
		{name: "finish_reason missing", style: func(n int64, p string) string {
			return `"usage":{"prompt_tokens":3,"completion_tokens":4},"content":{"text":"x"},"finish":"-"`
		}, check: func(t *testing.T, recs map[shard.Key]shard.Generation) {
			for _, g := range recs {
				if g.FinishReason != "" || g.Text != "x" {
					t.Fatalf("record %+v", g)
				}
			}
		}},
		{name: "content null, text only in reasoning_content", style: func(n int64, p string) string {
			return `"usage":{"prompt_tokens":3,"completion_tokens":4},"content":null,"reasoning":"I think ` + p + ` is \\boxed{42}","finish":"length"`
		}, check: func(t *testing.T, recs map[shard.Key]shard.Generation) {
			for _, g := range recs {
				if !strings.HasPrefix(g.Text, "<think>\nI think problem") || g.FinishReason != "length" {
					t.Fatalf("record %+v", g)
				}
			}
		}},
		{name: "200 with an error object, then answers", fault: every(3, func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, `{"error":{"message":"engine overloaded, try again","type":"server_error","param":null,"code":503}}`)
		})},
		{name: "HTML 502 page from a proxy", fault: every(2, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "text/html")
			w.WriteHeader(http.StatusBadGateway)
			fmt.Fprint(w, "<!DOCTYPE html>\n<html><head><title>502 Bad Gateway</title></head>\n<body><h1>Bad Gateway</h1></body></html>\n")
		})},
		{name: "truncated JSON body", fault: every(3, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Content-Type", "application/json")
			fmt.Fprint(w, `{"usage":{"prompt_tokens":1},"choices":[{"message":{"content":"half`)
		})},
		{name: "Content-Length larger than the body, then close", fault: every(3, func(w http.ResponseWriter, r *http.Request) { truncatedBody(w) })},
		{name: "headers then hang", opts: func(o *Options) { o.Generate.RequestTimeout = 300 * time.Millisecond },
			fault: every(4, headersThenHang)},
		{name: "slow drip within request_timeout", fault: func(n int64, p string, w http.ResponseWriter, r *http.Request) bool {
			if n%5 != 0 {
				return false
			}
			dripBody(w, r, renderOdd(n, `"usage":{"prompt_tokens":1,"completion_tokens":2},"content":{"text":"drip `+p+`"}`), time.Millisecond)
			return true
		}},
		{name: "slow drip beyond request_timeout", opts: func(o *Options) { o.Generate.RequestTimeout = 300 * time.Millisecond },
			fault: every(4, func(w http.ResponseWriter, r *http.Request) {
				dripBody(w, r, renderOdd(0, `"content":{"text":"`+strings.Repeat("slow ", 100)+`"}`), 20*time.Millisecond)
			})},
		{name: "connection refused while loading, then serving", delay: 800 * time.Millisecond, opts: func(o *Options) { o.Generate.WaitForServer = 5 * time.Second }},
		{name: "connection refused while loading, no wait_for_server", delay: 500 * time.Millisecond, opts: func(o *Options) {
			o.Generate.WaitForServer = 0
			// 60 retries of a uniform wait in [0, 50ms]: about 1.5 s in
			// all, never near the 0.5 s of loading.
			o.Generate.MaxRetries = 60
			o.Generate.RetryBase = 50 * time.Millisecond
			o.Generate.RetryMax = 50 * time.Millisecond
		}},
		{name: "503 with Retry-After", fault: every(2, func(w http.ResponseWriter, r *http.Request) {
			w.Header().Set("Retry-After", "1")
			w.WriteHeader(http.StatusServiceUnavailable)
			fmt.Fprint(w, `{"object":"error","message":"The server is overloaded","type":"ServiceUnavailable","param":null,"code":503}`)
		}), maxTime: 8 * time.Second},
		{name: "429 without Retry-After", fault: every(2, func(w http.ResponseWriter, r *http.Request) {
			w.WriteHeader(http.StatusTooManyRequests)
			fmt.Fprint(w, `{"error":{"message":"Too many requests","type":"rate_limit_error"}}`)
		})},
		{name: "finish_reason abort now and then", fault: every(3, func(w http.ResponseWriter, r *http.Request) {
			fmt.Fprint(w, renderOdd(0, `"usage":{"prompt_tokens":17,"completion_tokens":0},"content":null,"finish":"abort"`))
		}), check: func(t *testing.T, recs map[shard.Key]shard.Generation) {
			for _, g := range recs {
				if g.FinishReason == "abort" {
					t.Fatalf("an aborted answer was written: %+v", g)
				}
			}
		}},
		{name: "400 context length for one problem", fault: func(n int64, p string, w http.ResponseWriter, r *http.Request) bool {
			if p != "problem 0-2" {
				return false
			}
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusBadRequest)
			fmt.Fprint(w, `{"object":"error","message":"The input (40000 tokens) is longer than the model's context length (32768 tokens).","type":"BadRequestError","param":null,"code":400}`)
			return true
		}, wantErr: ErrGenerationFailed, errHas: []string{"shard 0", "3 failed", "u-0-2", "context length"}},
		{name: "broken answers and odd but good ones", fault: func() func(int64, string, http.ResponseWriter, *http.Request) bool {
			// Each problem's first 6 requests meet one of 8 answers in
			// turn (6 broken, 2 odd but good), so every kind comes up and
			// no generation needs more than 7 attempts.
			count := perProblem()
			return func(n int64, p string, w http.ResponseWriter, r *http.Request) bool {
				c := count(p)
				if c >= 6 {
					return false
				}
				var i int
				fmt.Sscanf(p, "problem 0-%d", &i)
				good := `"usage":"n/a","content":{"text":"About ` + p + `: \\boxed{42}"}`
				switch (c + i) % 8 {
				case 0:
					fmt.Fprint(w, `{"object":"chat.completion","choices":[null]}`)
				case 1:
					fmt.Fprint(w, `{"object":"chat.completion","choices":[{"index":0,"finish_reason":"stop"}]}`)
				case 2:
					fmt.Fprint(w, renderOdd(n, `"content":{"text":"half"},"finish":"error"`))
				case 3:
					fmt.Fprint(w, renderOdd(n, `"content":{"text":""},"finish":null`))
				case 4:
					w.WriteHeader(http.StatusGatewayTimeout)
					fmt.Fprint(w, "<html><head><title>504 Gateway Time-out</title></head><body>504</body></html>")
				case 5:
					w.WriteHeader(http.StatusOK)
					fmt.Fprint(w, "<!DOCTYPE html><html><body>Please log in</body></html>")
				case 6: // good, with status 203
					w.WriteHeader(http.StatusNonAuthoritativeInfo)
					fmt.Fprint(w, renderOdd(n, good))
				case 7: // good, streamed after an SSE comment
					w.Header().Set("Content-Type", "text/event-stream")
					fmt.Fprintf(w, ": ping\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":%q},\"finish_reason\":\"eos_token\"}]}\n\ndata: [DONE]\n\n", "About "+p+": \\boxed{42}")
				}
				return true
			}
		}(), check: func(t *testing.T, recs map[shard.Key]shard.Generation) {
			for _, g := range recs {
				if !strings.HasPrefix(g.Text, "About problem") || g.FinishReason != "stop" {
					t.Fatalf("record %+v", g)
				}
			}
		}},
		{name: "finish_reason abort always for one problem", fault: func(n int64, p string, w http.ResponseWriter, r *http.Request) bool {
			if p != "problem 0-4" {
				return false
			}
			fmt.Fprint(w, renderOdd(n, `"content":null,"finish":"abort"`))
			return true
		}, wantErr: ErrGenerationFailed, errHas: []string{"shard 0", "u-0-4", "abort"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := makeRun(t, t.TempDir(), 1, perShard, gens)
			s := newOddServer(t, tt.delay)
			s.fault, s.style = tt.fault, tt.style
			o := harnessOptions(l, s.URL())
			o.Shards = []int{0}
			o.Generate.NumGenerations = gens
			o.Generate.Concurrency = 4
			if tt.opts != nil {
				tt.opts(&o)
			}
			start := time.Now()
			ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
			defer cancel()
			_, err := Run(ctx, o)
			if took, bound := time.Since(start), cmp(tt.maxTime, 6*time.Second); took > bound {
				t.Errorf("run took %s (bound %s)", took, bound)
			}
			recs := readShard(t, l, 0)
			_, done, _ := shard.ReadDone(l, 0)
			if tt.wantErr == nil {
				if err != nil {
					t.Fatalf("run: %v", err)
				}
				wantAll(t, l, 0, perShard, gens)
				if !done {
					t.Error("no done marker")
				}
			} else {
				if !errors.Is(err, tt.wantErr) {
					t.Fatalf("err = %v, want %v", err, tt.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
				for _, w := range tt.errHas {
					if !strings.Contains(err.Error(), w) {
						t.Errorf("error %q lacks %q", err, w)
					}
				}
				if done {
					t.Error("done marker on a failed shard")
				}
			}
			for _, g := range recs {
				checkRecordFields(t, g)
			}
			if _, err := os.Stat(l.Lease(0)); !os.IsNotExist(err) {
				t.Error("lease left behind")
			}
			if tt.check != nil {
				tt.check(t, recs)
			}
		})
	}
}

// perProblem numbers the requests for each problem from 0, safe for
// concurrent use.
func perProblem() func(problem string) int {
	var mu sync.Mutex
	seen := map[string]int{}
	return func(p string) int {
		mu.Lock()
		defer mu.Unlock()
		seen[p]++
		return seen[p] - 1
	}
}

// checkRecordFields checks that a record written to a shard carries every
// field of issue 2 item 4, read back as JSON (not through our struct).
func checkRecordFields(t *testing.T, g shard.Generation) {
	t.Helper()
	b, err := json.Marshal(&g)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	json.Unmarshal(b, &m)
	for _, k := range []string{"uuid", "index", "text", "finish_reason", "prompt_tokens", "completion_tokens", "latency_ms", "model", "started_at", "finished_at", "host"} {
		if _, ok := m[k]; !ok {
			t.Errorf("record lacks %q: %s", k, b)
		}
	}
	if g.UUID == "" || g.Model == "" || g.Host == "" || g.StartedAt.IsZero() || g.FinishedAt.Before(g.StartedAt) || g.LatencyMS < 0 {
		t.Errorf("record with empty or inconsistent fields: %s", b)
	}
}
