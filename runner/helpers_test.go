package runner

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
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

// fakeServer is an OpenAI chat-completions server written for these tests
// (independent of runner/simserver): it answers every request with a
// boxed answer, after an optional delay, and counts requests per problem.
type fakeServer struct {
	*httptest.Server
	mu       sync.Mutex
	perProb  map[string]int // problem text -> requests answered 200
	total    atomic.Int64
	inflight atomic.Int64
	maxInfl  atomic.Int64
	// delay, when set, is how long each answer takes.
	delay func() time.Duration
	// fail, when set, may answer instead: it returns a status (0: answer
	// normally) and a body.
	fail func(problem string, n int64) (int, string)
	// block, when set, holds each request until it is closed.
	block chan struct{}
}

func newFakeServer(t testing.TB) *fakeServer {
	fs := &fakeServer{perProb: map[string]int{}}
	fs.Server = httptest.NewServer(http.HandlerFunc(fs.handle))
	t.Cleanup(fs.Close)
	return fs
}

func (fs *fakeServer) handle(w http.ResponseWriter, r *http.Request) {
	switch r.URL.Path {
	case "/health_generate", "/health":
		return
	case "/v1/chat/completions":
	default:
		http.NotFound(w, r)
		return
	}
	n := fs.total.Add(1)
	cur := fs.inflight.Add(1)
	defer fs.inflight.Add(-1)
	for {
		m := fs.maxInfl.Load()
		if cur <= m || fs.maxInfl.CompareAndSwap(m, cur) {
			break
		}
	}
	var req struct {
		Model    string           `json:"model"`
		Messages []openai.Message `json:"messages"`
	}
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) == 0 {
		w.WriteHeader(400)
		fmt.Fprint(w, `{"object":"error","message":"bad request body"}`)
		return
	}
	prompt := req.Messages[len(req.Messages)-1].Content
	problem, _, _ := strings.Cut(prompt, "\n\n")
	if fs.fail != nil {
		if code, body := fs.fail(problem, n); code != 0 {
			w.WriteHeader(code)
			fmt.Fprint(w, body)
			return
		}
	}
	if fs.delay != nil {
		select {
		case <-time.After(fs.delay()):
		case <-r.Context().Done():
			return
		}
	}
	if fs.block != nil {
		select {
		case <-fs.block:
		case <-r.Context().Done():
			return
		}
	}
	fs.mu.Lock()
	fs.perProb[problem]++
	fs.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-1", "object": "chat.completion", "created": 1, "model": req.Model,
		"choices": []any{map[string]any{"index": 0, "finish_reason": "stop",
			"message": map[string]any{"role": "assistant", "content": "Thinking about " + problem + ". So \\boxed{42}"}}},
		"usage": map[string]any{"prompt_tokens": 20, "completion_tokens": 30, "total_tokens": 50},
	})
}

func (fs *fakeServer) answered() map[string]int {
	fs.mu.Lock()
	defer fs.mu.Unlock()
	out := make(map[string]int, len(fs.perProb))
	for k, v := range fs.perProb {
		out[k] = v
	}
	return out
}

// makeRun writes plan.json and input shards: shards of perShard problems.
// Problem i of shard s has uuid "u-s-i" and text "problem s-i".
func makeRun(t testing.TB, dir string, shards, perShard, numGen int) shard.Layout {
	t.Helper()
	l := shard.Layout{Dir: dir}
	plan := shard.Plan{Version: 1, PlanHash: "test", Settings: shard.Settings{NumGenerations: numGen}, CreatedAt: time.Now().UTC()}
	for s := range shards {
		var ps []shard.Problem
		for i := range perShard {
			ps = append(ps, shard.Problem{UUID: fmt.Sprintf("u-%d-%d", s, i), Problem: fmt.Sprintf("problem %d-%d", s, i), Answer: "42", Source: "test"})
		}
		sum, err := shard.WriteInput(l.Input(s), ps)
		if err != nil {
			t.Fatal(err)
		}
		plan.Shards = append(plan.Shards, shard.ShardInfo{ID: s, Problems: perShard, SHA256: sum, File: "input/" + shard.ShardName(s) + ".jsonl.zst"})
		plan.Problems += perShard
	}
	if err := shard.WriteAtomic(l.PlanFile(), func(w *bufio.Writer) error { return json.NewEncoder(w).Encode(&plan) }); err != nil {
		t.Fatal(err)
	}
	return l
}

func testOptions(l shard.Layout, endpoint string, shards ...int) Options {
	g := DefaultGenerateConfig()
	g.Endpoint = endpoint
	g.Model = "test-model"
	g.NumGenerations = 3
	g.Concurrency = 8
	g.MaxRetries = 3
	g.RetryBase = time.Millisecond
	g.RetryMax = 10 * time.Millisecond
	g.RequestTimeout = 10 * time.Second
	g.FlushInterval = 20 * time.Millisecond
	g.GracePeriod = 5 * time.Second
	g.LeaseTTL = 30 * time.Second
	g.WaitForServer = 2 * time.Second
	return Options{Layout: l, Shards: shards, Generate: g, Host: "testhost", PID: os.Getpid(), JobID: "77_3"}
}

// readShard returns the records of a shard's output, failing on
// duplicates or a torn tail.
func readShard(t testing.TB, l shard.Layout, id int) map[shard.Key]shard.Generation {
	t.Helper()
	recs := map[shard.Key]shard.Generation{}
	info, err := shard.ReadOutput(l.Output(id), func(g *shard.Generation) error {
		recs[g.Key()] = *g
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if info.Duplicates != 0 || info.TornBytes != 0 {
		t.Fatalf("shard %d: %+v", id, info)
	}
	return recs
}

// wantAll checks that shard id holds every (uuid, index) of the test plan
// exactly once and nothing else.
func wantAll(t testing.TB, l shard.Layout, id, perShard, numGen int) map[shard.Key]shard.Generation {
	t.Helper()
	recs := readShard(t, l, id)
	if len(recs) != perShard*numGen {
		t.Errorf("shard %d has %d records, want %d", id, len(recs), perShard*numGen)
	}
	for i := range perShard {
		for k := range numGen {
			if _, ok := recs[shard.Key{UUID: fmt.Sprintf("u-%d-%d", id, i), Index: k}]; !ok {
				t.Errorf("shard %d lacks u-%d-%d/%d", id, id, i, k)
			}
		}
	}
	return recs
}

// httpHandlerFunc passes each request body to see, then to next.
func httpHandlerFunc(see func(string), next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/chat/completions" {
			b, _ := io.ReadAll(r.Body)
			see(string(b))
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		next.ServeHTTP(w, r)
	})
}
