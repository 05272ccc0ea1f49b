package runner

// Run against a faulty server that is not ours, then resume against a
// healthy one: whatever the fault did, the shard must end with every
// (uuid, index) exactly once and a done marker.

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/runner/openai"
	"github.com/distillery-hpc/distillery/shard"
)

// foreignServer is a minimal OpenAI-compatible server in the manner of
// vLLM: /health, /v1/models and /v1/chat/completions, nothing of SGLang's.
// fault may take over a chat request (it returns true when it answered).
// It can be stopped and started again on the same port (a restart).
type foreignServer struct {
	addr     string
	answered atomic.Int64
	requests atomic.Int64
	fault    func(n int64, problem string, w http.ResponseWriter, r *http.Request) bool
	healthy  func() bool

	mu  sync.Mutex
	srv *http.Server
}

func newForeignServer(t *testing.T, fault func(n int64, problem string, w http.ResponseWriter, r *http.Request) bool) *foreignServer {
	f := &foreignServer{fault: fault}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	f.addr = ln.Addr().String()
	f.serve(ln)
	t.Cleanup(f.stop)
	return f
}

func (f *foreignServer) URL() string { return "http://" + f.addr }

func (f *foreignServer) serve(ln net.Listener) {
	srv := &http.Server{Handler: http.HandlerFunc(f.handle)}
	f.mu.Lock()
	f.srv = srv
	f.mu.Unlock()
	go srv.Serve(ln)
}

// stop closes the listener and every connection: the port refuses.
func (f *foreignServer) stop() {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.srv != nil {
		f.srv.Close()
		f.srv = nil
	}
}

// start listens on the same port again.
func (f *foreignServer) start(t *testing.T) {
	var ln net.Listener
	var err error
	for range 100 {
		if ln, err = net.Listen("tcp", f.addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Errorf("restarting the server on %s: %v", f.addr, err)
		return
	}
	f.serve(ln)
}

func (f *foreignServer) handle(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/health", "/v1/models":
		if f.healthy != nil && !f.healthy() {
			w.WriteHeader(503)
			return
		}
		if r.URL.Path == "/v1/models" {
			fmt.Fprint(w, `{"object":"list","data":[{"id":"m","object":"model"}]}`)
		}
		return
	case "/v1/chat/completions":
	default:
		w.WriteHeader(404)
		fmt.Fprint(w, `{"detail":"Not Found"}`)
		return
	}
	var req struct {
		Model    string `json:"model"`
		Messages []struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"messages"`
		N      *int `json:"n"`
		Stream bool `json:"stream"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) == 0 || req.Stream || (req.N != nil && *req.N != 1) {
		w.WriteHeader(400)
		fmt.Fprintf(w, `{"object":"error","message":"bad request: %v","type":"BadRequestError","code":400}`, err)
		return
	}
	n := f.requests.Add(1)
	problem, _, _ := strings.Cut(req.Messages[len(req.Messages)-1].Content, "\n\n")
	if f.fault != nil && f.fault(n, problem, w, r) {
		return
	}
	f.answered.Add(1)
	w.Header().Set("Content-Type", "application/json")
	fmt.Fprintf(w, `{"id":"chatcmpl-%d","object":"chat.completion","created":%d,"model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":%q,"reasoning_content":null},"logprobs":null,"finish_reason":"stop","stop_reason":null}],"usage":{"prompt_tokens":9,"completion_tokens":12,"total_tokens":21},"prompt_logprobs":null}`,
		n, time.Now().Unix(), req.Model, "About "+problem+": \\boxed{42}")
}

// Faults a handler can inject.
func hijackClose(w http.ResponseWriter, rst bool) {
	conn, _, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	if tc, ok := conn.(*net.TCPConn); ok && rst {
		tc.SetLinger(0)
	}
	conn.Close()
}

func truncatedBody(w http.ResponseWriter) {
	conn, bw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 400\r\n\r\n{\"id\":\"x\",\"choices\":[{\"message\":{\"content\":\"trun")
	bw.Flush()
	conn.Close()
}

// answerThenClose answers in full over a keep-alive connection and closes
// it a moment later without saying so: the client's pooled connection is
// stale by the time it reuses it.
func answerThenClose(w http.ResponseWriter, problem string) {
	conn, bw, err := w.(http.Hijacker).Hijack()
	if err != nil {
		return
	}
	body := fmt.Sprintf(`{"object":"chat.completion","model":"m","choices":[{"index":0,"message":{"content":%q},"finish_reason":"stop"}],"usage":{"prompt_tokens":9,"completion_tokens":12}}`, "About "+problem+": \\boxed{42}")
	fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
	bw.Flush()
	go func() { time.Sleep(2 * time.Millisecond); conn.Close() }()
}

func hang(r *http.Request) { <-r.Context().Done() }

func harnessOptions(l shard.Layout, endpoint string) Options {
	o := testOptions(l, endpoint, 0, 1)
	o.Generate.MaxRetries = 6
	o.Generate.RetryBase = 2 * time.Millisecond
	o.Generate.RetryMax = 30 * time.Millisecond
	o.Generate.RequestTimeout = 2 * time.Second
	o.Generate.GracePeriod = 2 * time.Second
	o.Generate.WaitForServer = 3 * time.Second
	return o
}

func TestRunFaultsThenResume(t *testing.T) {
	const shards, perShard, gens = 2, 15, 3
	type fault = func(n int64, problem string, w http.ResponseWriter, r *http.Request) bool
	type tcase struct {
		name    string
		fault   fault
		opts    func(*Options)
		healthy func(start time.Time) bool
		// during runs beside Run (a restart, a signal).
		during  func(t *testing.T, f *foreignServer, cancel context.CancelFunc)
		wantErr error // nil: the faulty run itself completes
		anyErr  bool  // the outcome may go either way (random faults)
		errHas  []string
		maxTime time.Duration
		// check looks at the output after the faulty run.
		check func(t *testing.T, l shard.Layout)
	}
	tests := []tcase{
		{name: "500 storm longer than the retry budget", fault: func(n int64, _ string, w http.ResponseWriter, _ *http.Request) bool {
			if n > 20 {
				w.WriteHeader(500)
				fmt.Fprint(w, `{"object":"error","message":"Internal Server Error","code":500}`)
				return true
			}
			return false
		}, wantErr: openai.ErrUnavailable, errHas: []string{"500", "Internal Server Error"}},
		{name: "server restarts mid-shard", opts: func(o *Options) {
			o.Generate.MaxRetries = 30
			o.Generate.RetryMax = 100 * time.Millisecond
		}, fault: func(n int64, _ string, w http.ResponseWriter, r *http.Request) bool {
			time.Sleep(2 * time.Millisecond)
			return false
		}, during: func(t *testing.T, f *foreignServer, _ context.CancelFunc) {
			for deadline := time.Now().Add(5 * time.Second); f.answered.Load() < 25 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			f.stop()
			time.Sleep(500 * time.Millisecond)
			f.start(t)
		}},
		{name: "server down longer than the retry budget, back within wait_for_server", opts: func(o *Options) {
			o.Generate.MaxRetries = 1
			o.Generate.RetryMax = 10 * time.Millisecond
			o.Generate.WaitForServer = 3 * time.Second
		}, fault: func(n int64, _ string, w http.ResponseWriter, r *http.Request) bool {
			time.Sleep(2 * time.Millisecond)
			return false
		}, during: func(t *testing.T, f *foreignServer, _ context.CancelFunc) {
			for deadline := time.Now().Add(5 * time.Second); f.answered.Load() < 25 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			f.stop()
			time.Sleep(700 * time.Millisecond)
			f.start(t)
		}},
		{name: "server down for good", opts: func(o *Options) {
			o.Generate.MaxRetries = 1
			o.Generate.RetryMax = 10 * time.Millisecond
			o.Generate.WaitForServer = 300 * time.Millisecond
		}, during: func(t *testing.T, f *foreignServer, _ context.CancelFunc) {
			for deadline := time.Now().Add(5 * time.Second); f.answered.Load() < 25 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			f.stop()
		}, wantErr: openai.ErrUnavailable, errHas: []string{"connection refused"}, maxTime: 3 * time.Second},
		{name: "503 while loading, then 200", healthy: func(start time.Time) bool { return time.Since(start) > 300*time.Millisecond }, opts: func(o *Options) {
			o.Generate.MaxRetries = 20
			o.Generate.RetryMax = 50 * time.Millisecond
		}},
		{name: "still loading when wait_for_server ends", healthy: func(start time.Time) bool { return time.Since(start) > 500*time.Millisecond }, opts: func(o *Options) {
			o.Generate.WaitForServer = 100 * time.Millisecond
			o.Generate.MaxRetries = 30
			o.Generate.RetryMax = 50 * time.Millisecond
		}},
		{name: "503 on chat while loading, health already 200", fault: func() fault {
			start := time.Now()
			return func(n int64, _ string, w http.ResponseWriter, _ *http.Request) bool {
				if time.Since(start) < 200*time.Millisecond {
					w.WriteHeader(503)
					fmt.Fprint(w, "<html><body>503 Service Temporarily Unavailable</body></html>")
					return true
				}
				return false
			}
		}(), opts: func(o *Options) { o.Generate.MaxRetries = 20; o.Generate.RetryMax = 50 * time.Millisecond }},
		{name: "429 with Retry-After seconds", fault: func(n int64, _ string, w http.ResponseWriter, _ *http.Request) bool {
			if n%3 == 0 {
				w.Header().Set("Retry-After", "2")
				w.WriteHeader(429)
				fmt.Fprint(w, `{"error":{"message":"Rate limit reached","type":"requests","code":"rate_limit_exceeded"}}`)
				return true
			}
			return false
		}, maxTime: 5 * time.Second},
		{name: "429 with Retry-After as an HTTP date", fault: func(n int64, _ string, w http.ResponseWriter, _ *http.Request) bool {
			if n%3 == 0 {
				w.Header().Set("Retry-After", time.Now().Add(5*time.Second).UTC().Format(http.TimeFormat))
				w.WriteHeader(429)
				return true
			}
			return false
		}, maxTime: 5 * time.Second},
		{name: "400 for some prompts (context length)", fault: func(n int64, problem string, w http.ResponseWriter, _ *http.Request) bool {
			if problem == "problem 1-4" || problem == "problem 1-9" {
				w.WriteHeader(400)
				fmt.Fprint(w, `{"object":"error","message":"This model's maximum context length is 32768 tokens. However, you requested 40000 tokens.","type":"BadRequestError","param":null,"code":400}`)
				return true
			}
			return false
		}, wantErr: ErrGenerationFailed, errHas: []string{"shard 1", "u-1-4", "maximum context length"}},
		{name: "400s come back before any answer", fault: func(n int64, problem string, w http.ResponseWriter, _ *http.Request) bool {
			var i int
			if _, err := fmt.Sscanf(problem, "problem 0-%d", &i); err == nil && i < 10 {
				w.WriteHeader(400)
				fmt.Fprint(w, `{"object":"error","message":"Input length exceeds the context window","type":"BadRequestError","code":400}`)
				return true
			}
			time.Sleep(50 * time.Millisecond) // generating takes a while
			return false
		}, wantErr: ErrGenerationFailed, errHas: []string{"shard 0: 30 failed", "first uuid u-0-", "context window"}, check: func(t *testing.T, l shard.Layout) {
			if n := len(readShard(t, l, 0)); n != 15 {
				t.Errorf("shard 0 holds %d records, want the 15 not refused", n)
			}
			if _, ok, _ := shard.ReadDone(l, 1); !ok {
				t.Error("shard 1 not done")
			}
		}},
		{name: "hung requests are retried after request_timeout", opts: func(o *Options) { o.Generate.RequestTimeout = 200 * time.Millisecond }, fault: func(n int64, _ string, _ http.ResponseWriter, r *http.Request) bool {
			if n%7 == 0 {
				hang(r)
				return true
			}
			return false
		}},
		{name: "connection reset before headers", fault: func(n int64, _ string, w http.ResponseWriter, _ *http.Request) bool {
			if n%4 == 0 {
				hijackClose(w, true)
				return true
			}
			return false
		}},
		{name: "truncated JSON mid-body", fault: func(n int64, _ string, w http.ResponseWriter, _ *http.Request) bool {
			if n%4 == 0 {
				truncatedBody(w)
				return true
			}
			return false
		}},
		{name: "keep-alive connections closed between requests", opts: func(o *Options) { o.Generate.MaxRetries = 0 }, fault: func(n int64, problem string, w http.ResponseWriter, _ *http.Request) bool {
			answerThenClose(w, problem)
			return true
		}},
		{name: "a hang cannot block the drain", opts: func(o *Options) {
			o.Generate.RequestTimeout = time.Hour
			o.Generate.GracePeriod = 300 * time.Millisecond
		}, fault: func(n int64, _ string, _ http.ResponseWriter, r *http.Request) bool {
			if n > 10 {
				hang(r)
				return true
			}
			return false
		}, during: func(t *testing.T, f *foreignServer, cancel context.CancelFunc) {
			// 10 answered, then the 8 workers hang.
			for deadline := time.Now().Add(5 * time.Second); f.requests.Load() < 18 && time.Now().Before(deadline); {
				time.Sleep(time.Millisecond)
			}
			time.Sleep(50 * time.Millisecond) // let a flush happen
			cancel()                          // SIGTERM
		}, wantErr: ErrDrained, maxTime: 3 * time.Second},
		{name: "1 MB and non-UTF-8 answers, gzip, no Content-Type", fault: func(n int64, problem string, w http.ResponseWriter, r *http.Request) bool {
			text := "About " + problem + ": \\boxed{42}"
			switch {
			case n%15 == 0: // a few: 1 MB records are slow under -race
				text = strings.Repeat("long reasoning ", 70000) + text
			case n%3 == 1:
				text = "cafXE9 " + text
			}
			body := `{"object":"chat.completion","model":"m","choices":[{"index":0,"message":{"content":"` + text + `"},"finish_reason":"stop"}]}`
			if n%3 == 1 {
				body = strings.Replace(body, "cafXE9", "caf\xe9", 1) // a raw Latin-1 byte
			}
			w.Header()["Content-Type"] = nil
			if n%2 == 0 && strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
				w.Header().Set("Content-Encoding", "gzip")
				zw := gzip.NewWriter(w)
				io.WriteString(zw, body)
				zw.Close()
				return true
			}
			io.WriteString(w, body)
			return true
		}, check: func(t *testing.T, l shard.Layout) {
			long, bad := 0, 0
			for id := range 2 {
				for _, g := range readShard(t, l, id) {
					if len(g.Text) > 1<<20 {
						long++
					}
					if strings.Contains(g.Text, "caf\ufffd") {
						bad++
					}
				}
			}
			if long == 0 || bad == 0 {
				t.Errorf("%d long and %d non-UTF-8 records", long, bad)
			}
		}},
		{name: "random faults", anyErr: true, fault: func(n int64, problem string, w http.ResponseWriter, r *http.Request) bool {
			switch rand.N(20) {
			case 0:
				w.WriteHeader(500)
			case 1:
				w.WriteHeader(502)
				fmt.Fprint(w, "<html>Bad Gateway</html>")
			case 2:
				hijackClose(w, true)
			case 3:
				truncatedBody(w)
			case 4:
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(429)
			case 5:
				fmt.Fprint(w, `{"object":"chat.completion","choices":[{"index":0,"message":{"content":""},"finish_reason":"abort"}]}`)
			case 6:
				fmt.Fprint(w, `{"object":"chat.completion","choices":[]}`)
			case 7:
				answerThenClose(w, problem)
			default:
				return false
			}
			return true
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := makeRun(t, t.TempDir(), shards, perShard, gens)
			f := newForeignServer(t, tt.fault)
			if tt.healthy != nil {
				start := time.Now()
				f.healthy = func() bool { return tt.healthy(start) }
				prev := tt.fault
				f.fault = func(n int64, p string, w http.ResponseWriter, r *http.Request) bool {
					if !tt.healthy(start) {
						w.WriteHeader(503)
						return true
					}
					return prev != nil && prev(n, p, w, r)
				}
			}
			o := harnessOptions(l, f.URL())
			if tt.opts != nil {
				tt.opts(&o)
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			var wg sync.WaitGroup
			if tt.during != nil {
				wg.Go(func() { tt.during(t, f, cancel) })
			}
			start := time.Now()
			st, err := Run(ctx, o)
			took := time.Since(start)
			wg.Wait()
			if maxT := cmp(tt.maxTime, 10*time.Second); took > maxT {
				t.Errorf("faulty run took %s (bound %s)", took, maxT)
			}
			switch {
			case tt.anyErr:
				if err != nil && !errors.Is(err, openai.ErrUnavailable) {
					t.Errorf("err = %v, want nil or openai.ErrUnavailable", err)
				}
			case tt.wantErr == nil && err != nil:
				t.Fatalf("faulty run: %v (stats %+v)", err, st)
			case tt.wantErr != nil && !errors.Is(err, tt.wantErr):
				t.Fatalf("faulty run: err = %v, want %v", err, tt.wantErr)
			}
			if err != nil {
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
				for _, s := range tt.errHas {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q lacks %q", err, s)
					}
				}
			}
			// After the faulty run: no lease left, a done marker only on
			// complete shards, never a duplicate.
			before := 0
			for id := range shards {
				if _, err := os.Stat(l.Lease(id)); !os.IsNotExist(err) {
					t.Errorf("shard %d: lease left behind", id)
				}
				recs := readShard(t, l, id)
				before += len(recs)
				_, done, _ := shard.ReadDone(l, id)
				if done != (len(recs) == perShard*gens) {
					t.Errorf("shard %d: done marker %v with %d/%d records", id, done, len(recs), perShard*gens)
				}
			}
			if tt.check != nil {
				tt.check(t, l)
			}
			if err == nil && before != shards*perShard*gens {
				t.Errorf("run succeeded with %d/%d records", before, shards*perShard*gens)
			}

			// Resume against a healthy server: only the missing pairs are
			// asked for, and both shards end complete.
			f.stop()
			healthy := newForeignServer(t, nil)
			o.Generate.Endpoint = healthy.URL()
			o.Client = nil
			if _, err := Run(t.Context(), o); err != nil {
				t.Fatalf("resume: %v", err)
			}
			if got, want := int(healthy.answered.Load()), shards*perShard*gens-before; got != want {
				t.Errorf("resume requested %d generations, %d were missing", got, want)
			}
			for id := range shards {
				wantAll(t, l, id, perShard, gens)
				info, err := shard.ReadOutput(l.Output(id), nil)
				if err != nil || info.Duplicates != 0 || info.Records != perShard*gens || info.TornBytes != 0 {
					t.Errorf("shard %d: %+v, %v", id, info, err)
				}
				if ok, err := doneMatches(l, shard.ShardInfo{ID: id}); !ok || err != nil {
					t.Errorf("shard %d: no matching done marker (%v)", id, err)
				}
			}
		})
	}
}

func cmp(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// TestRunEndpointForms: every way of writing the endpoint reaches
// /v1/chat/completions, over http and https.
func TestRunEndpointForms(t *testing.T) {
	f := newForeignServer(t, nil)
	tlsSrv := httptest.NewTLSServer(http.HandlerFunc(f.handle))
	defer tlsSrv.Close()
	forms := []struct {
		endpoint string
		tls      bool
	}{
		{endpoint: f.URL()},
		{endpoint: f.URL() + "/"},
		{endpoint: f.URL() + "/v1"},
		{endpoint: f.URL() + "/v1/"},
		{endpoint: f.URL() + "/v1/chat/completions"},
		{endpoint: " " + f.URL() + " "},
		{endpoint: tlsSrv.URL, tls: true},
		{endpoint: tlsSrv.URL + "/v1/", tls: true},
	}
	for _, fm := range forms {
		t.Run(fm.endpoint, func(t *testing.T) {
			l := makeRun(t, t.TempDir(), 1, 3, 2)
			o := testOptions(l, fm.endpoint, 0)
			o.Generate.NumGenerations = 2
			if fm.tls {
				c, err := openai.NewClient(openai.Options{Endpoint: fm.endpoint, HTTP: tlsSrv.Client(), MaxRetries: 1})
				if err != nil {
					t.Fatal(err)
				}
				o.Client = c
			}
			if _, err := Run(t.Context(), o); err != nil {
				t.Fatal(err)
			}
			wantAll(t, l, 0, 3, 2)
		})
	}
}

// TestChatServerBackButNotReady: a request that used its retries on a
// refused connection waits for the server; when the server is back but its
// health endpoint still says 503 (warming up, or a busy /health_generate),
// the server is there: the request gets its retries again instead of
// stopping the run.
func TestChatServerBackButNotReady(t *testing.T) {
	f := newForeignServer(t, nil)
	f.healthy = func() bool { return false } // /health and /v1/models: 503
	f.stop()
	time.AfterFunc(200*time.Millisecond, func() { f.start(t) })
	c, err := openai.NewClient(openai.Options{Endpoint: f.URL(), MaxRetries: 1, RetryBase: time.Millisecond, RetryMax: 10 * time.Millisecond,
		RequestTimeout: 2 * time.Second, WaitForServer: 600 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.Chat(t.Context(), openai.ChatRequest{Model: "m", Messages: []openai.Message{{Role: "user", Content: "problem 1\n\nPlease"}}})
	if err != nil {
		t.Fatalf("chat: %v", err)
	}
	if res.Attempts != 3 || !strings.Contains(res.Text, "problem 1") {
		t.Errorf("got %+v, want the third attempt's answer", res)
	}
}
