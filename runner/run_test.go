package runner

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/runner/openai"
	"github.com/distillery-hpc/distillery/shard"
)

func TestRunCompletesShards(t *testing.T) {
	srv := newFakeServer(t)
	l := makeRun(t, t.TempDir(), 3, 7, 3)
	o := testOptions(l, srv.URL+"/v1", 0, 2)
	st, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if st.ShardsDone != 2 || st.Generations != 42 || st.Existing != 0 || st.CompletionTokens != 42*30 {
		t.Errorf("stats %+v", st)
	}
	if m := srv.maxInfl.Load(); m > int64(o.Generate.Concurrency) {
		t.Errorf("%d requests in flight, concurrency is %d", m, o.Generate.Concurrency)
	}
	for _, id := range []int{0, 2} {
		recs := wantAll(t, l, id, 7, 3)
		for _, g := range recs {
			if g.Host != "testhost" || g.JobID != "77_3" || g.Model != "test-model" || g.FinishReason != "stop" ||
				g.PromptTokens != 20 || g.CompletionTokens != 30 || g.Attempts != 1 || g.StartedAt.IsZero() ||
				g.FinishedAt.Before(g.StartedAt) || !strings.Contains(g.Text, "\\boxed{42}") {
				t.Fatalf("record %+v", g)
			}
		}
		d, ok, err := shard.ReadDone(l, id)
		if err != nil || !ok {
			t.Fatalf("shard %d done marker: %v %v", id, ok, err)
		}
		if d.Generations != 21 || d.Problems != 7 || d.Tokens != 21*30 || d.JobID != "77_3" || d.Model != "test-model" {
			t.Errorf("done marker %+v", d)
		}
		if ok, err := doneMatches(l, shard.ShardInfo{ID: id}); !ok || err != nil {
			t.Errorf("done marker does not match output: %v", err)
		}
		if _, err := os.Stat(l.Lease(id)); !os.IsNotExist(err) {
			t.Errorf("lease of shard %d not released: %v", id, err)
		}
	}
	if _, err := os.Stat(l.Output(1)); !os.IsNotExist(err) {
		t.Errorf("shard 1 was not asked for but has output")
	}

	// A second run skips the done shards without asking the server.
	before := srv.total.Load()
	st, err = Run(t.Context(), o)
	if err != nil || st.ShardsSkipped != 2 || st.ShardsDone != 2 || srv.total.Load() != before {
		t.Errorf("second run: %v %+v, %d new requests", err, st, srv.total.Load()-before)
	}
}

func TestRunPromptAndSystem(t *testing.T) {
	var mu sync.Mutex
	var got []string
	srv := newFakeServer(t)
	srv.fail = func(problem string, n int64) (int, string) { return 0, "" }
	l := makeRun(t, t.TempDir(), 1, 1, 1)
	o := testOptions(l, srv.URL, 0)
	o.Generate.NumGenerations = 1
	o.Generate.SystemPrompt = "You are careful."
	o.Generate.PromptTemplate = "Solve: {problem} — {problem}"
	o.Client = nil
	// Capture what the server receives through a wrapping handler.
	inner := srv.Config.Handler
	srv.Config.Handler = httpHandlerFunc(func(body string) {
		mu.Lock()
		got = append(got, body)
		mu.Unlock()
	}, inner)
	if _, err := Run(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(got) != 1 || !strings.Contains(got[0], `{"role":"system","content":"You are careful."}`) ||
		!strings.Contains(got[0], `"content":"Solve: problem 0-0 — problem 0-0"`) {
		t.Errorf("requests %q", got)
	}
}

func TestRunResumeRequestsOnlyMissing(t *testing.T) {
	srv := newFakeServer(t)
	l := makeRun(t, t.TempDir(), 1, 10, 4)
	o := testOptions(l, srv.URL, 0)
	o.Generate.NumGenerations = 4

	// An earlier run wrote some pairs; a crash left a torn frame.
	have := map[shard.Key]bool{}
	os.MkdirAll(l.OutputDir(), 0o755)
	w, _, err := shard.OpenOutput(l.Output(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		for k := range 4 {
			if (i+k)%3 != 0 {
				continue
			}
			g := shard.Generation{UUID: fmt.Sprintf("u-0-%d", i), Index: k, Text: "old", Model: "old"}
			w.Add(&g)
			have[g.Key()] = true
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(l.Output(0), os.O_APPEND|os.O_WRONLY, 0)
	f.Write([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x00, 0x99})
	f.Close()

	st, err := Run(t.Context(), o)
	if err != nil {
		t.Fatal(err)
	}
	if st.Existing != len(have) || st.Generations != 40-len(have) {
		t.Errorf("stats %+v, had %d", st, len(have))
	}
	got := srv.answered()
	for i := range 10 {
		want := 0
		for k := range 4 {
			if !have[shard.Key{UUID: fmt.Sprintf("u-0-%d", i), Index: k}] {
				want++
			}
		}
		if got[fmt.Sprintf("problem 0-%d", i)] != want {
			t.Errorf("problem %d: %d requests, want %d (only the missing pairs)", i, got[fmt.Sprintf("problem 0-%d", i)], want)
		}
	}
	recs := wantAll(t, l, 0, 10, 4)
	for k := range have {
		if recs[k].Text != "old" {
			t.Errorf("%v was generated again", k)
		}
	}
}

func TestRunPermanentFailureIsCounted(t *testing.T) {
	srv := newFakeServer(t)
	srv.fail = func(problem string, n int64) (int, string) {
		if problem == "problem 0-3" {
			return 400, `{"object":"error","message":"prompt is too long","code":400}`
		}
		return 0, ""
	}
	l := makeRun(t, t.TempDir(), 2, 6, 3)
	st, err := Run(t.Context(), testOptions(l, srv.URL, 0, 1))
	if !errors.Is(err, ErrGenerationFailed) {
		t.Fatalf("err = %v, want ErrGenerationFailed", err)
	}
	for _, s := range []string{"shard 0", "u-0-3", "prompt is too long", "400"} {
		if !strings.Contains(err.Error(), s) {
			t.Errorf("error %q does not name %q", err, s)
		}
	}
	if st.Failed != 3 || st.ShardsFailed != 1 || st.ShardsDone != 1 || st.Generations != 33 {
		t.Errorf("stats %+v", st)
	}
	if _, ok, _ := shard.ReadDone(l, 0); ok {
		t.Error("shard 0 has a done marker despite failures")
	}
	if len(readShard(t, l, 0)) != 15 {
		t.Error("shard 0 should hold the 15 generations that succeeded")
	}
	wantAll(t, l, 1, 6, 3)
	if _, err := os.Stat(l.Lease(0)); !os.IsNotExist(err) {
		t.Error("lease of the failed shard not released")
	}
}

func TestRunServerDownStopsRun(t *testing.T) {
	srv := newFakeServer(t)
	srv.fail = func(problem string, n int64) (int, string) {
		if n > 5 {
			return 503, "overloaded"
		}
		return 0, ""
	}
	l := makeRun(t, t.TempDir(), 2, 20, 3)
	o := testOptions(l, srv.URL, 0, 1)
	o.Generate.Concurrency = 1
	st, err := Run(t.Context(), o)
	if !errors.Is(err, openai.ErrUnavailable) || !strings.Contains(err.Error(), srv.URL) {
		t.Fatalf("err = %v, want openai.ErrUnavailable naming %s", err, srv.URL)
	}
	if strings.Contains(err.Error(), "\n") {
		t.Errorf("error is not one line: %q", err)
	}
	if st.Generations != 5 || len(readShard(t, l, 0)) != 5 {
		t.Errorf("the 5 answered generations were not kept: %+v", st)
	}
	for _, id := range []int{0, 1} {
		if _, err := os.Stat(l.Lease(id)); !os.IsNotExist(err) {
			t.Errorf("lease of shard %d left behind", id)
		}
		if _, ok, _ := shard.ReadDone(l, id); ok {
			t.Errorf("shard %d marked done", id)
		}
	}
}

func TestRunUnreachableEndpoint(t *testing.T) {
	srv := newFakeServer(t)
	url := srv.URL
	srv.Close()
	l := makeRun(t, t.TempDir(), 1, 2, 1)
	o := testOptions(l, url, 0)
	o.Generate.WaitForServer = 200 * time.Millisecond
	_, err := Run(t.Context(), o)
	if !errors.Is(err, openai.ErrUnavailable) || !strings.Contains(err.Error(), url) {
		t.Fatalf("err = %v, want openai.ErrUnavailable naming %s", err, url)
	}
}

func TestRunUnknownShard(t *testing.T) {
	l := makeRun(t, t.TempDir(), 3, 1, 1)
	_, err := Run(t.Context(), testOptions(l, "http://127.0.0.1:1", 1, 7))
	if err == nil || !strings.Contains(err.Error(), "shard 7") || !strings.Contains(err.Error(), "3 shards") {
		t.Fatalf("err = %v", err)
	}
}

func TestRunDrainOnCancel(t *testing.T) {
	srv := newFakeServer(t)
	var delay atomic.Int64
	delay.Store(int64(150 * time.Millisecond))
	srv.delay = func() time.Duration { return time.Duration(delay.Load()) }
	l := makeRun(t, t.TempDir(), 2, 30, 3)
	o := testOptions(l, srv.URL, 0, 1)
	ctx, cancel := context.WithCancel(t.Context())
	// Cancel once some requests are in flight mid-shard.
	go func() {
		for srv.total.Load() < 20 {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	st, err := Run(ctx, o)
	if !errors.Is(err, ErrDrained) {
		t.Fatalf("err = %v, want ErrDrained", err)
	}
	// Every request the server answered was written: in-flight ones
	// finished within the grace period.
	recs := readShard(t, l, 0)
	if int64(len(recs)) != srv.total.Load() || st.Generations != len(recs) || st.Dropped != 0 {
		t.Errorf("server answered %d, shard holds %d, stats %+v", srv.total.Load(), len(recs), st)
	}
	if len(recs) == 0 || len(recs) >= 90 {
		t.Errorf("shard holds %d records; want a partial shard", len(recs))
	}
	if st.ShardsPartial+st.ShardsNotStarted != 2 || st.ShardsDone != 0 {
		t.Errorf("stats %+v", st)
	}
	for _, id := range []int{0, 1} {
		if _, ok, _ := shard.ReadDone(l, id); ok {
			t.Errorf("shard %d marked done", id)
		}
		if _, err := os.Stat(l.Lease(id)); !os.IsNotExist(err) {
			t.Errorf("lease of shard %d not released", id)
		}
	}
	// A resume finishes the job.
	delay.Store(0)
	if _, err := Run(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	wantAll(t, l, 0, 30, 3)
	wantAll(t, l, 1, 30, 3)
}

func TestRunDrainGraceOver(t *testing.T) {
	srv := newFakeServer(t)
	srv.block = make(chan struct{})
	defer close(srv.block)
	l := makeRun(t, t.TempDir(), 1, 10, 3)
	o := testOptions(l, srv.URL, 0)
	o.Generate.GracePeriod = 100 * time.Millisecond
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		for srv.inflight.Load() < int64(o.Generate.Concurrency) {
			time.Sleep(5 * time.Millisecond)
		}
		cancel()
	}()
	start := time.Now()
	st, err := Run(ctx, o)
	if !errors.Is(err, ErrDrained) {
		t.Fatalf("err = %v, want ErrDrained", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("took %s; the grace period is 100ms", d)
	}
	if st.Dropped != o.Generate.Concurrency {
		t.Errorf("dropped %d, want %d", st.Dropped, o.Generate.Concurrency)
	}
	if _, err := os.Stat(l.Lease(0)); !os.IsNotExist(err) {
		t.Error("lease not released")
	}
}

func TestRunSkipsLeasedShard(t *testing.T) {
	srv := newFakeServer(t)
	l := makeRun(t, t.TempDir(), 2, 4, 3)
	os.MkdirAll(l.OutputDir(), 0o755)
	other, err := shard.AcquireLease(l.Lease(0), shard.LeaseOptions{Host: "othernode", PID: 1, JobID: "9_9", TTL: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	// The other runner is alive: it heartbeats every ttl/3.
	stop := make(chan struct{})
	beating := make(chan struct{})
	go func() {
		defer close(beating)
		for {
			select {
			case <-stop:
				return
			case <-time.After(100 * time.Millisecond):
				other.Heartbeat()
			}
		}
	}()
	start := time.Now()
	st, err := Run(t.Context(), testOptions(l, srv.URL, 0, 1))
	if !errors.Is(err, ErrShardBusy) || !strings.Contains(err.Error(), "othernode") {
		t.Fatalf("err = %v, want ErrShardBusy naming othernode", err)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("took %s to see the holder is alive (ttl 300ms)", d)
	}
	if st.ShardsBusy != 1 || st.ShardsDone != 1 {
		t.Errorf("stats %+v", st)
	}
	if _, err := os.Stat(l.Output(0)); !os.IsNotExist(err) {
		t.Error("wrote a shard leased by another runner")
	}
	close(stop)
	<-beating
	if other.Check() != nil {
		t.Error("the other runner's lease was disturbed")
	}
	wantAll(t, l, 1, 4, 3)
}

// A lease left by a runner that died on another node, still fresh when we
// start: the runner does its other shards, watches the lease go stale and
// then takes the shard over.
func TestRunWaitsOutDeadHolder(t *testing.T) {
	srv := newFakeServer(t)
	l := makeRun(t, t.TempDir(), 2, 4, 3)
	os.MkdirAll(l.OutputDir(), 0o755)
	if _, err := shard.AcquireLease(l.Lease(0), shard.LeaseOptions{Host: "deadnode", PID: 1, JobID: "9_9", TTL: 400 * time.Millisecond}); err != nil {
		t.Fatal(err)
	}
	st, err := Run(t.Context(), testOptions(l, srv.URL, 0, 1))
	if err != nil {
		t.Fatal(err)
	}
	if st.ShardsDone != 2 {
		t.Errorf("stats %+v", st)
	}
	wantAll(t, l, 0, 4, 3)
	wantAll(t, l, 1, 4, 3)
}

// A Slurm task requeued (same job id, higher SLURM_RESTART_COUNT) takes
// back its earlier run's lease at once, even from another node.
func TestRunRequeuedTaskTakesBackItsLease(t *testing.T) {
	srv := newFakeServer(t)
	l := makeRun(t, t.TempDir(), 1, 4, 3)
	os.MkdirAll(l.OutputDir(), 0o755)
	if _, err := shard.AcquireLease(l.Lease(0), shard.LeaseOptions{Host: "failednode", PID: 1, JobID: "77_3", TTL: time.Hour}); err != nil {
		t.Fatal(err)
	}
	o := testOptions(l, srv.URL, 0)
	o.Restart = 1
	if _, err := Run(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	wantAll(t, l, 0, 4, 3)
}

func TestRunTakesOverStaleLease(t *testing.T) {
	srv := newFakeServer(t)
	l := makeRun(t, t.TempDir(), 1, 4, 3)
	os.MkdirAll(l.OutputDir(), 0o755)
	old := time.Now().Add(-time.Hour)
	if _, err := shard.AcquireLease(l.Lease(0), shard.LeaseOptions{Host: "deadnode", PID: 1, TTL: time.Minute, Now: func() time.Time { return old }}); err != nil {
		t.Fatal(err)
	}
	os.Chtimes(l.Lease(0), old, old)
	if _, err := Run(t.Context(), testOptions(l, srv.URL, 0)); err != nil {
		t.Fatal(err)
	}
	wantAll(t, l, 0, 4, 3)
}

// Two runners started together on the same shard: one writes it, the
// other skips it; the shard never holds a pair twice.
func TestRunTwoRunnersOneShard(t *testing.T) {
	srv := newFakeServer(t)
	srv.delay = func() time.Duration { return 5 * time.Millisecond }
	l := makeRun(t, t.TempDir(), 1, 20, 3)
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			o := testOptions(l, srv.URL, 0)
			o.Host = fmt.Sprintf("node%d", i)
			_, errs[i] = Run(t.Context(), o)
		}()
	}
	wg.Wait()
	ok := 0
	for _, err := range errs {
		switch {
		case err == nil:
			ok++
		case errors.Is(err, ErrShardBusy):
		default:
			t.Errorf("unexpected error %v", err)
		}
	}
	if ok == 0 {
		t.Error("neither runner finished the shard")
	}
	wantAll(t, l, 0, 20, 3)
	if srv.total.Load() != 60 {
		t.Errorf("server answered %d requests for 60 pairs", srv.total.Load())
	}
}

// A runner whose lease is taken over mid-shard stops writing at once.
func TestRunStopsWhenLeaseLost(t *testing.T) {
	srv := newFakeServer(t)
	srv.delay = func() time.Duration { return 20 * time.Millisecond }
	l := makeRun(t, t.TempDir(), 1, 50, 3)
	o := testOptions(l, srv.URL, 0)
	o.Generate.Concurrency = 2
	stolen := make(chan struct{})
	go func() {
		defer close(stolen)
		for srv.total.Load() < 10 {
			time.Sleep(2 * time.Millisecond)
		}
		// Someone decided our lease was stale and took it.
		os.Remove(l.Lease(0))
		if _, err := shard.AcquireLease(l.Lease(0), shard.LeaseOptions{Host: "thief", PID: 2, TTL: time.Minute}); err != nil {
			t.Error(err)
		}
	}()
	st, err := Run(t.Context(), o)
	// The run may notice the missing lease before the thief has written
	// its own.
	<-stolen
	if !errors.Is(err, ErrShardBusy) || !strings.Contains(err.Error(), "lease lost") {
		t.Fatalf("err = %v, want ErrShardBusy (lease lost)", err)
	}
	if st.Generations >= 150 || srv.total.Load() >= 150 {
		t.Errorf("kept going after losing the lease: %+v, %d requests", st, srv.total.Load())
	}
	li, _, ok, _ := shard.ReadLease(l.Lease(0))
	if !ok || li.Host != "thief" {
		t.Errorf("the new holder's lease was disturbed: %+v", li)
	}
	if _, ok, _ := shard.ReadDone(l, 0); ok {
		t.Error("shard marked done")
	}
}

func TestRunDoneMarkerMismatch(t *testing.T) {
	srv := newFakeServer(t)
	l := makeRun(t, t.TempDir(), 1, 3, 3)
	o := testOptions(l, srv.URL, 0)
	if _, err := Run(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	// The output changes after the marker was written: the next run
	// checks the shard again instead of trusting the marker.
	w, _, err := shard.OpenOutput(l.Output(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Add(&shard.Generation{UUID: "u-0-0", Index: 0, Text: "dup"})
	w.Close()
	if ok, _ := doneMatches(l, shard.ShardInfo{ID: 0}); ok {
		t.Fatal("marker still matches")
	}
	before := srv.total.Load()
	if _, err := Run(t.Context(), o); err != nil {
		t.Fatal(err)
	}
	if srv.total.Load() != before {
		t.Error("regenerated pairs that were present")
	}
	if ok, _ := doneMatches(l, shard.ShardInfo{ID: 0}); !ok {
		t.Error("done marker not rewritten")
	}
	// A marker written for another input (another plan) is not trusted
	// either: the runner and merge share one rule, shard.CheckDone.
	if ok, _ := doneMatches(l, shard.ShardInfo{ID: 0, SHA256: "for-another-plan"}); ok {
		t.Error("a done marker for another input still matches")
	}
}

// The writer keeps its lease fresh: the heartbeat moves while it works.
func TestRunHeartbeats(t *testing.T) {
	srv := newFakeServer(t)
	srv.delay = func() time.Duration { return 30 * time.Millisecond }
	l := makeRun(t, t.TempDir(), 1, 10, 3)
	o := testOptions(l, srv.URL, 0)
	o.Generate.Concurrency = 1
	o.Generate.LeaseTTL = 150 * time.Millisecond
	beats := map[time.Time]bool{}
	stop := make(chan struct{})
	polled := make(chan struct{})
	go func() {
		defer close(polled)
		for {
			select {
			case <-stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			if li, _, ok, _ := shard.ReadLease(l.Lease(0)); ok {
				beats[li.Heartbeat] = true
			}
		}
	}()
	_, err := Run(t.Context(), o)
	close(stop)
	<-polled
	if err != nil {
		t.Fatal(err)
	}
	if len(beats) < 3 {
		t.Errorf("saw %d distinct heartbeats over a run of ~1s with a 150ms ttl", len(beats))
	}
	wantAll(t, l, 0, 10, 3)
}

// A server that refuses every request (bad key, wrong model, a request
// shape it does not accept) stops the run instead of failing every
// generation of every shard one by one.
func TestRunStopsWhenEverythingIsRefused(t *testing.T) {
	tests := []struct {
		status int
		body   string
		msg    string
		hint   string
	}{
		{401, `{"error":{"message":"invalid api key"}}`, "invalid api key", "put it in $DISTILLERY_API_KEY (generate.api_key_env)"},
		{404, `{"object":"error","message":"The model ` + "`test-model`" + ` does not exist.","type":"NotFoundError","param":null,"code":404}`, "does not exist", `check generate.model ("test-model") against the server's /v1/models`},
		// FastAPI's validation error (a field the server does not take).
		{422, `{"detail":[{"type":"extra_forbidden","loc":["body","top_p"],"msg":"Extra inputs are not permitted"}]}`, "body.top_p: Extra inputs are not permitted", "OpenAI-compatible"},
		{415, `{"detail":"Unsupported Media Type: Only 'application/json' is allowed"}`, "Unsupported Media Type", "OpenAI-compatible"},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			srv := newFakeServer(t)
			srv.fail = func(string, int64) (int, string) { return tt.status, tt.body }
			l := makeRun(t, t.TempDir(), 2, 100, 4)
			_, err := Run(t.Context(), testOptions(l, srv.URL, 0, 1))
			if err == nil || !strings.Contains(err.Error(), "refused the first") || !strings.Contains(err.Error(), tt.msg) || !strings.Contains(err.Error(), tt.hint) {
				t.Fatalf("err = %v", err)
			}
			if n := srv.total.Load(); n > 64 {
				t.Errorf("kept sending after everything was refused: %d requests", n)
			}
		})
	}
}
