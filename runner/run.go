package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/distillery-hpc/distillery/shard"
)

// ErrDrained is returned when the run stopped early on ctx (a signal):
// in-flight generations were written, leases released, and the shards it
// had not finished stay partial for a later run. main maps it to exit
// code 75 (EX_TEMPFAIL).
var ErrDrained = errors.New("stopped before the shards were done")

// ErrShardBusy is returned when some shard was skipped because another
// live runner holds its lease, or its lease was taken over while this run
// wrote it. main maps it to exit code 75 too: the shard is not failed, it
// is someone else's right now.
var ErrShardBusy = errors.New("shard leased by another runner")

// ErrGenerationFailed is returned when some generation failed permanently
// (the server refused the request with a 4xx): its shard is not done.
var ErrGenerationFailed = errors.New("generations failed permanently")

// refuseAll is how many requests refused in a way that concerns every
// request (RefusesEverything: a bad key, a wrong model or URL), with none
// answered, make the run stop: the config is wrong, not one problem. A
// 400 (a prompt too long) never stops the run: it fails its item only.
const refuseAll = 16

// errGraceOver cancels the in-flight requests once the grace period after
// the stop signal has passed.
var errGraceOver = errors.New("grace period over")

// Options configure Run. Everything from the process (host, job id, pid,
// API key) comes in as values.
type Options struct {
	// Layout is the run directory; Run reads plan.json and the input
	// shards from it and writes output/.
	Layout shard.Layout
	// Shards are the shard ids to generate, in order.
	Shards []int
	// Generate is the [generate] section.
	Generate GenerateConfig
	// Client talks to the server; nil builds one from Generate and APIKey.
	Client *Client
	APIKey string
	// Host, PID and JobID are written into records, leases and done
	// markers. JobID is "<array job>_<task>" or "<job>" under Slurm.
	Host  string
	PID   int
	JobID string
	// Restart is the Slurm job's restart count (SLURM_RESTART_COUNT): a
	// requeued task takes back the leases of its earlier run at once.
	Restart int
	// Now is the clock (nil: time.Now).
	Now    func() time.Time
	Logger *slog.Logger
}

// Stats say what a Run did.
type Stats struct {
	Shards           int // shards asked for
	ShardsDone       int // done at the end (including those done before)
	ShardsSkipped    int // already done before this run
	ShardsBusy       int // leased by another runner
	ShardsFailed     int // with permanent failures
	ShardsPartial    int // left partial by a stop
	ShardsNotStarted int // not opened before a stop

	Generations      int   // written by this run
	Existing         int   // found in the output from earlier runs
	Failed           int   // failed permanently
	Dropped          int   // in flight when the grace period ran out
	PromptTokens     int64 // of the generations written by this run
	CompletionTokens int64
	Attempts         int64 // HTTP attempts, including retries
	Elapsed          time.Duration
}

// GenerationsPerSecond is this run's throughput.
func (s Stats) GenerationsPerSecond() float64 {
	if s.Elapsed <= 0 {
		return 0
	}
	return float64(s.Generations) / s.Elapsed.Seconds()
}

// Summary is a one-line account of s for stdout.
func (s Stats) Summary() string {
	return fmt.Sprintf("shards %d/%d done (%d busy, %d failed, %d partial, %d not started); generations %d new + %d existing, %d failed; tokens %d prompt + %d completion; %.1f gen/s over %s",
		s.ShardsDone, s.Shards, s.ShardsBusy, s.ShardsFailed, s.ShardsPartial, s.ShardsNotStarted,
		s.Generations, s.Existing, s.Failed, s.PromptTokens, s.CompletionTokens,
		s.GenerationsPerSecond(), s.Elapsed.Round(time.Millisecond))
}

// job is one generation to request.
type job struct {
	sr    *shardRun
	p     *shard.Problem
	index int
}

// pair is a missing generation: problem index in the shard, generation
// index.
type pair struct{ problem, index int }

// result is a finished job.
type result struct {
	g   shard.Generation
	err error // permanent failure; the record is not written
}

// shardRun is the state of one shard being written. Only its writer
// goroutine touches the output and the lease.
type shardRun struct {
	id       int
	problems []shard.Problem
	inputSum string
	expected int
	have     map[shard.Key]struct{} // the writer's, once it runs
	missing  []pair                 // the producer's
	out      *shard.OutputWriter
	lease    *shard.Lease
	res      chan result
	inflight sync.WaitGroup
	// lost is set by the writer when the lease is gone: workers skip the
	// shard's jobs and the producer stops sending them.
	lost atomic.Bool
}

// Run generates the missing generations of every shard in o.Shards, one
// shard at a time through one pool of o.Generate.Concurrency workers (the
// next shard starts while the last requests of the previous one finish, so
// the server's batch stays full).
//
// When ctx ends (the first SIGTERM/SIGUSR1/SIGINT) Run stops taking new
// problems, lets in-flight requests finish for up to
// o.Generate.GracePeriod, writes them, releases its leases and returns an
// error wrapping ErrDrained. A server that stays unreachable after the
// retries stops the run with an error naming the endpoint.
func Run(ctx context.Context, o Options) (Stats, error) {
	start := time.Now()
	var st Stats
	g := o.Generate
	if o.Now == nil {
		o.Now = time.Now
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if g.NumGenerations < 1 {
		return st, fmt.Errorf("generate.num_generations must be at least 1, got %d", g.NumGenerations)
	}
	if g.LeaseTTL <= 0 {
		g.LeaseTTL = DefaultGenerateConfig().LeaseTTL
	}
	if g.FlushInterval <= 0 {
		g.FlushInterval = DefaultGenerateConfig().FlushInterval
	}
	o.Generate = g
	if !strings.Contains(g.PromptTemplate, "{problem}") {
		return st, errors.New("generate.prompt_template must contain {problem}")
	}
	plan, err := shard.ReadPlan(o.Layout)
	if err != nil {
		return st, err
	}
	infos, err := planShards(plan, o.Shards)
	if err != nil {
		return st, err
	}
	st.Shards = len(infos)
	if plan.NumGenerations > 0 && plan.NumGenerations != g.NumGenerations {
		log.Warn("generate.num_generations differs from the plan's; using the config's",
			"config", g.NumGenerations, "plan", plan.NumGenerations)
	}
	client := o.Client
	if client == nil {
		client, err = NewClient(ClientOptions{
			Endpoint: g.Endpoint, APIKey: o.APIKey, MaxRetries: g.MaxRetries,
			RetryBase: g.RetryBase, RetryMax: g.RetryMax, RequestTimeout: g.RequestTimeout,
			WaitForServer: g.WaitForServer, Logger: log,
		})
		if err != nil {
			return st, err
		}
	}
	if err := os.MkdirAll(o.Layout.OutputDir(), shard.DirPerm); err != nil {
		return st, fmt.Errorf("creating output dir: %w", err)
	}

	// Wait for the server only when there is work: a task whose shards are
	// all done (a requeue after the last flush) finishes without one.
	allDone := true
	for _, info := range infos {
		ok, err := doneMatches(o.Layout, info)
		if err != nil {
			return st, fmt.Errorf("shard %d: %w", info.ID, err)
		}
		allDone = allDone && ok
	}
	if allDone {
		st.ShardsDone, st.ShardsSkipped = len(infos), len(infos)
		st.Elapsed = time.Since(start)
		log.Info("all shards already done", "shards", len(infos))
		return st, nil
	}
	if g.WaitForServer > 0 {
		if err := client.WaitReady(ctx, g.WaitForServer); err != nil && errors.Is(err, ErrNotReady) && ctx.Err() == nil {
			// The server is there but still says it is not ready (a
			// 503 while it loads): go ahead, the requests' own retries
			// (max_retries with backoff up to retry_max) give it more
			// time, and fail the run the usual way if it never serves.
			log.Warn("server answers but is not ready yet; starting anyway, requests will retry", "endpoint", client.Endpoint(), "err", err)
		} else if err != nil {
			st.Elapsed = time.Since(start)
			if ctx.Err() != nil {
				st.ShardsNotStarted = len(infos)
				return st, fmt.Errorf("%w: stopped while waiting for the server at %s", ErrDrained, client.Endpoint())
			}
			return st, fmt.Errorf("%w: check generate.endpoint, or raise generate.wait_for_server if the server is still loading", err)
		}
	}

	// Three contexts make the two-phase stop:
	//   intake  ends on the signal (or an abort): no new jobs start.
	//   reqCtx  is what in-flight requests run under: it survives the
	//           signal and ends grace_period later, or on an abort.
	reqCtx, abort := context.WithCancelCause(context.WithoutCancel(ctx))
	defer abort(nil)
	intake, stopIntake := context.WithCancel(ctx)
	defer stopIntake()
	context.AfterFunc(reqCtx, stopIntake)
	stopGrace := context.AfterFunc(ctx, func() {
		log.Info("stopping: no new problems; waiting for requests in flight", "grace_period", g.GracePeriod)
		time.AfterFunc(g.GracePeriod, func() { abort(errGraceOver) })
	})
	defer stopGrace()

	var (
		mu       sync.Mutex // guards st and the error lists below
		infraErr error
		failures []string // one per shard with permanent failures
		busy     []string
		partial  []string
	)
	fail := func(err error) {
		mu.Lock()
		if infraErr == nil {
			infraErr = err
		}
		mu.Unlock()
		abort(err)
	}

	var answered, refused atomic.Int64
	concurrency := max(g.Concurrency, 1)
	// jobs is unbuffered: a job is either with a worker or not started,
	// so a stop never strands work in a queue.
	jobs := make(chan job)
	var eg errgroup.Group

	// Workers: at most `concurrency` requests in flight, the number the
	// server is configured to batch (SGLang's --max-running-requests).
	for range concurrency {
		eg.Go(func() error {
			for {
				var j job
				var ok bool
				select {
				case <-intake.Done():
					return nil
				case j, ok = <-jobs:
					if !ok {
						return nil
					}
				}
				if intake.Err() != nil || j.sr.lost.Load() {
					j.sr.inflight.Done()
					continue
				}
				r, err := generate(reqCtx, client, &g, &o, j)
				switch {
				case err == nil:
					answered.Add(1)
					j.sr.res <- result{g: r}
				case errors.Is(err, ErrPermanent):
					j.sr.res <- result{g: r, err: err}
					// One refused request is the item's problem; when
					// the server refuses everything from the start (a
					// bad API key, a wrong model name) it is ours.
					if !RefusesEverything(err) {
						break
					}
					if n := refused.Add(1); n >= refuseAll && answered.Load() == 0 {
						fail(fmt.Errorf("the server refused the first %d requests and answered none, stopping: %w%s", n, err, refusalHint(err, &g, o.APIKey != "")))
					}
				case reqCtx.Err() != nil:
					// Grace period over or aborted: dropped, not written.
					mu.Lock()
					st.Dropped++
					mu.Unlock()
				default:
					fail(err)
				}
				j.sr.inflight.Done()
			}
		})
	}

	// Producer: shards in order; for each, open it and send its missing
	// jobs. Each opened shard gets a writer goroutine. A shard whose lease
	// another runner holds is looked at again after the others.
	eg.Go(func() error {
		defer close(jobs)
		notStarted := func(info shard.ShardInfo) {
			mu.Lock()
			partial = append(partial, fmt.Sprintf("shard %d not started", info.ID))
			st.ShardsNotStarted++
			mu.Unlock()
		}
		// process opens a shard and sends its jobs; it returns the
		// ErrLeaseHeld error when the shard is someone else's, false
		// when the run must stop.
		process := func(info shard.ShardInfo) (held error, ok bool) {
			sr, status, err := openShard(&o, log, plan, info)
			switch {
			case err != nil && errors.Is(err, shard.ErrLeaseHeld):
				return err, true
			case err != nil:
				fail(fmt.Errorf("shard %d: %w", info.ID, err))
				return nil, false
			case status == "skipped":
				mu.Lock()
				st.ShardsSkipped++
				st.ShardsDone++
				mu.Unlock()
				return nil, true
			}
			mu.Lock()
			st.Existing += len(sr.have)
			mu.Unlock()
			eg.Go(func() error {
				writeShard(&o, log, sr, &st, &mu, &failures, &partial, fail)
				return nil
			})
			sendJobs(intake, jobs, sr)
			// The shard's results channel closes once every job sent has
			// finished; the writer then finalises the shard.
			go func() { sr.inflight.Wait(); close(sr.res) }()
			return nil, true
		}
		markBusy := func(info shard.ShardInfo, err error) {
			mu.Lock()
			st.ShardsBusy++
			busy = append(busy, err.Error())
			mu.Unlock()
			log.Warn("skipping shard: another runner holds its lease", "shard", info.ID, "err", err)
		}

		type heldShard struct {
			info shard.ShardInfo
			err  error
		}
		var held []heldShard
		for _, info := range infos {
			if intake.Err() != nil {
				notStarted(info)
				continue
			}
			herr, ok := process(info)
			if !ok {
				return nil
			}
			if herr != nil {
				log.Info("shard leased by another runner; will look again after the others", "shard", info.ID, "err", herr)
				held = append(held, heldShard{info, herr})
			}
		}
		// A held lease is either alive (its heartbeat moves: skip the
		// shard) or left by a runner that died without releasing it (it
		// goes stale within its ttl: take the shard over).
		for _, h := range held {
			if intake.Err() != nil {
				notStarted(h.info)
				continue
			}
			if err := waitLease(intake, o.Layout.Lease(h.info.ID), o.Now, log); err != nil {
				if intake.Err() != nil {
					notStarted(h.info)
				} else {
					markBusy(h.info, err)
				}
				continue
			}
			herr, ok := process(h.info)
			if !ok {
				return nil
			}
			if herr != nil {
				markBusy(h.info, herr)
			}
		}
		return nil
	})
	_ = eg.Wait()
	st.Elapsed = time.Since(start)

	switch {
	case infraErr != nil:
		return st, infraErr
	case len(failures) > 0:
		return st, fmt.Errorf("%w: %s; the server refused these requests and the shard is not marked done: fix the cause (for a prompt longer than the context, raise the server's context length or lower generate.max_tokens) and run the shard again, which requests only the missing generations, or merge without them with `distillery merge --allow-incomplete`", ErrGenerationFailed, strings.Join(failures, "; "))
	case ctx.Err() != nil && st.ShardsDone < st.Shards:
		return st, fmt.Errorf("%w: %s; leases released, run the shards again (Slurm requeue or `distillery resume`) to finish", ErrDrained, strings.Join(partial, ", "))
	case len(busy) > 0 || st.ShardsDone < st.Shards:
		return st, fmt.Errorf("%w: %s", ErrShardBusy, strings.Join(append(busy, partial...), "; "))
	}
	return st, nil
}

// refusalHint says what to check when the server refuses every request.
func refusalHint(err error, g *GenerateConfig, haveKey bool) string {
	var se *StatusError
	if !errors.As(err, &se) {
		return ""
	}
	switch se.Status {
	case http.StatusUnauthorized, http.StatusForbidden:
		env := "the environment variable named by generate.api_key_env"
		if g.APIKeyEnv != "" {
			env = "$" + g.APIKeyEnv + " (generate.api_key_env)"
		}
		if !haveKey {
			return "; the server wants an API key: put it in " + env
		}
		return "; check the API key in " + env
	case http.StatusNotFound:
		return fmt.Sprintf("; check generate.model (%q) against the server's /v1/models, and generate.endpoint", g.Model)
	case http.StatusUnsupportedMediaType, http.StatusUnprocessableEntity:
		return "; the server does not take the request distillery sends (OpenAI chat completions): is generate.endpoint an OpenAI-compatible server?"
	}
	return ""
}

// waitLease watches a lease another runner holds. It returns nil once the
// lease is gone or stale (the caller then tries to take it), and an error
// wrapping shard.ErrLeaseHeld as soon as the holder shows it is alive: its
// heartbeat moves or another runner takes the lease.
func waitLease(ctx context.Context, path string, now func() time.Time, log *slog.Logger) error {
	first, _, ok, err := shard.ReadLease(path)
	if err != nil || !ok {
		return err
	}
	// Poll often enough to see a heartbeat (every ttl/3) soon after it
	// happens, rarely enough not to load shared storage.
	poll := min(max(first.TTL()/20, 10*time.Millisecond), 5*time.Second)
	log.Info("waiting to see whether the shard's lease is alive", "lease", path, "holder", first.Host, "job", first.JobID, "ttl", first.TTL())
	for {
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		cur, mod, ok, err := shard.ReadLease(path)
		switch {
		case err != nil:
			return err
		case !ok:
			return nil
		case cur.Token != first.Token || !cur.Heartbeat.Equal(first.Heartbeat):
			return fmt.Errorf("%w: %s held by %s (pid %d, job %s), which is alive (its heartbeat moves)",
				shard.ErrLeaseHeld, path, cur.Host, cur.PID, cur.JobID)
		case cur.Stale(now(), mod):
			return nil
		}
	}
}

// planShards finds the plan's entries for ids, in order; an unknown id is
// an error naming it.
func planShards(plan *shard.Plan, ids []int) ([]shard.ShardInfo, error) {
	if len(ids) == 0 {
		return nil, fmt.Errorf("no shard given: name one with --shard (the plan has %d, ids 0 to %d)", len(plan.Shards), len(plan.Shards)-1)
	}
	byID := make(map[int]shard.ShardInfo, len(plan.Shards))
	for _, s := range plan.Shards {
		byID[s.ID] = s
	}
	seen := map[int]bool{}
	var out []shard.ShardInfo
	for _, id := range ids {
		s, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("shard %d is not in the plan: it has %d shards (ids 0 to %d)", id, len(plan.Shards), len(plan.Shards)-1)
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, s)
	}
	return out, nil
}

// openShard prepares a shard: skips it when its done marker matches the
// output, takes its lease, reads its input and the generations already
// written. status is "skipped" for a shard already done, sr nil when there
// is nothing to do.
func openShard(o *Options, log *slog.Logger, plan *shard.Plan, info shard.ShardInfo) (sr *shardRun, status string, err error) {
	l := o.Layout
	if ok, err := doneMatches(l, info); err != nil {
		return nil, "", err
	} else if ok {
		log.Info("shard already done", "shard", info.ID)
		return nil, "skipped", nil
	}
	lease, err := shard.AcquireLease(l.Lease(info.ID), shard.LeaseOptions{
		Host: o.Host, PID: o.PID, JobID: o.JobID, Restart: o.Restart, TTL: o.Generate.LeaseTTL, Now: o.Now,
	})
	if err != nil {
		return nil, "", err
	}
	if lease.TookOver != nil {
		log.Warn("took over a stale shard lease", "shard", info.ID, "holder", lease.TookOver.Host,
			"pid", lease.TookOver.PID, "job", lease.TookOver.JobID, "heartbeat", lease.TookOver.Heartbeat)
	}
	release := func() {
		if err := lease.Release(); err != nil {
			log.Warn("releasing shard lease", "shard", info.ID, "err", err)
		}
	}
	// Another runner may have finished the shard between our look at the
	// marker and the lease.
	if ok, err := doneMatches(l, info); err != nil || ok {
		release()
		if ok {
			return nil, "skipped", nil
		}
		return nil, "", err
	}
	problems, sum, err := shard.ReadShardInput(l, info)
	if err != nil {
		release()
		return nil, "", err
	}
	n := o.Generate.NumGenerations
	want := make(map[shard.Key]struct{}, len(problems)*n)
	for i := range problems {
		for k := range n {
			want[shard.Key{UUID: problems[i].UUID, Index: k}] = struct{}{}
		}
	}
	// Drop the done marker if it exists but does not match the output:
	// the output changed after it was written; it is rebuilt below.
	if _, ok, _ := shard.ReadDone(l, info.ID); ok {
		log.Warn("done marker does not match the output file; checking the shard again", "shard", info.ID)
		if err := os.Remove(l.DoneMarker(info.ID)); err != nil && !os.IsNotExist(err) {
			release()
			return nil, "", fmt.Errorf("removing stale done marker: %w", err)
		}
	}
	have := make(map[shard.Key]struct{}, len(want))
	extra := 0
	out, oinfo, err := shard.OpenOutput(l.Output(info.ID), func(g *shard.Generation) error {
		k := g.Key()
		if _, ok := want[k]; ok {
			have[k] = struct{}{}
		} else {
			extra++
		}
		return nil
	})
	if err != nil {
		release()
		return nil, "", err
	}
	if oinfo.TornBytes > 0 {
		log.Warn("cut a torn tail off the output shard (a crash mid-write)", "shard", info.ID, "bytes", oinfo.TornBytes)
	}
	if extra > 0 || oinfo.Duplicates > 0 {
		log.Warn("output shard holds records outside the plan or repeated", "shard", info.ID, "extra", extra, "duplicates", oinfo.Duplicates)
	}
	var missing []pair
	seenUUID := make(map[string]bool, len(problems))
	for i := range problems {
		// A uuid twice in one input shard would make two writers of one
		// (uuid, index): generate it once.
		if seenUUID[problems[i].UUID] {
			log.Warn("input shard repeats a uuid; generating it once", "shard", info.ID, "uuid", problems[i].UUID)
			continue
		}
		seenUUID[problems[i].UUID] = true
		for k := range n {
			if _, ok := have[shard.Key{UUID: problems[i].UUID, Index: k}]; !ok {
				missing = append(missing, pair{i, k})
			}
		}
	}
	log.Info("shard opened", "shard", info.ID, "problems", len(problems), "have", len(have), "missing", len(missing))
	return &shardRun{
		id: info.ID, problems: problems, inputSum: sum, expected: len(want), have: have, missing: missing,
		out: out, lease: lease, res: make(chan result, 64),
	}, "open", nil
}

// sendJobs sends the shard's missing (uuid, index) pairs, in input order,
// until intake ends or the lease is lost.
func sendJobs(intake context.Context, jobs chan<- job, sr *shardRun) {
	for _, m := range sr.missing {
		if sr.lost.Load() {
			return
		}
		sr.inflight.Add(1)
		select {
		case <-intake.Done():
			sr.inflight.Done()
			return
		case jobs <- job{sr: sr, p: &sr.problems[m.problem], index: m.index}:
		}
	}
}

// generate requests one generation.
func generate(ctx context.Context, c *Client, g *GenerateConfig, o *Options, j job) (shard.Generation, error) {
	msgs := make([]Message, 0, 2)
	if g.SystemPrompt != "" {
		msgs = append(msgs, Message{Role: "system", Content: g.SystemPrompt})
	}
	msgs = append(msgs, Message{Role: "user", Content: strings.ReplaceAll(g.PromptTemplate, "{problem}", j.p.Problem)})
	started := o.Now()
	res, err := c.Chat(ctx, ChatRequest{Model: g.Model, Messages: msgs, Temperature: g.Temperature, TopP: g.TopP, MaxTokens: g.MaxTokens})
	gen := shard.Generation{UUID: j.p.UUID, Index: j.index, StartedAt: started.UTC(), Host: o.Host, JobID: o.JobID}
	if err != nil {
		return gen, err
	}
	model := res.Model
	if model == "" {
		model = g.Model
	}
	gen.Text = res.Text
	gen.FinishReason = res.FinishReason
	gen.PromptTokens = res.PromptTokens
	gen.CompletionTokens = res.CompletionTokens
	gen.LatencyMS = res.Latency.Milliseconds()
	gen.Model = model
	gen.FinishedAt = o.Now().UTC()
	gen.Attempts = res.Attempts
	return gen, nil
}

// flushEvery and flushBytes bound how many records, and how much text,
// wait in memory between flushes, on top of flush_interval: a fast server
// (or one answering megabytes per generation) must neither grow the buffer
// unbounded nor make one zstd frame larger than a reader accepts.
const (
	flushEvery = 2048
	flushBytes = 64 << 20
)

// writeShard is the single writer of one shard: it appends results,
// flushes every flush_interval after checking the lease, heartbeats the
// lease every ttl/3 and, when the shard's jobs are all back, writes the
// done marker (when complete) and releases the lease.
func writeShard(o *Options, log *slog.Logger, sr *shardRun, st *Stats, mu *sync.Mutex, failures, partial *[]string, fail func(error)) {
	g := o.Generate
	flushIv := g.FlushInterval
	if flushIv <= 0 {
		flushIv = 2 * time.Second
	}
	hbIv := g.LeaseTTL / 3
	flushT := time.NewTicker(flushIv)
	defer flushT.Stop()
	hbT := time.NewTicker(max(hbIv, time.Millisecond))
	defer hbT.Stop()

	var pending []shard.Generation
	pendingBytes := 0
	var written, failed int
	var tokP, tokC, attempts int64
	var firstFail string
	lastLog := time.Now()
	var ioErr error

	flush := func() {
		if len(pending) == 0 || sr.lost.Load() || ioErr != nil {
			return
		}
		if err := sr.lease.Check(); err != nil {
			sr.lost.Store(true)
			log.Error("lost the shard lease: stopping writes to this shard", "shard", sr.id, "err", err)
			pending = nil
			return
		}
		for i := range pending {
			if err := sr.out.Add(&pending[i]); err != nil {
				ioErr = err
				return
			}
		}
		if err := sr.out.Flush(); err != nil {
			ioErr = err
			sr.lost.Store(true) // stop sending work we cannot write
			fail(fmt.Errorf("shard %d: %w", sr.id, err))
			return
		}
		for i := range pending {
			sr.have[pending[i].Key()] = struct{}{}
			tokP += int64(pending[i].PromptTokens)
			tokC += int64(pending[i].CompletionTokens)
			attempts += int64(pending[i].Attempts)
		}
		written += len(pending)
		pending = pending[:0]
		pendingBytes = 0
		if time.Since(lastLog) > 30*time.Second {
			log.Info("progress", "shard", sr.id, "have", len(sr.have), "of", sr.expected)
			lastLog = time.Now()
		}
	}

loop:
	for {
		select {
		case r, ok := <-sr.res:
			if !ok {
				break loop
			}
			if r.err != nil {
				failed++
				if firstFail == "" {
					firstFail = fmt.Sprintf("uuid %s index %d: %v", r.g.UUID, r.g.Index, r.err)
				}
				log.Error("generation failed permanently", "shard", sr.id, "uuid", r.g.UUID, "index", r.g.Index, "err", r.err)
				continue
			}
			if sr.lost.Load() {
				continue
			}
			pending = append(pending, r.g)
			pendingBytes += len(r.g.Text)
			if len(pending) >= flushEvery || pendingBytes >= flushBytes {
				flush()
			}
		case <-flushT.C:
			flush()
		case <-hbT.C:
			if sr.lost.Load() {
				continue
			}
			if err := sr.lease.Heartbeat(); err != nil {
				if errors.Is(err, shard.ErrLeaseLost) {
					sr.lost.Store(true)
					pending = nil
					log.Error("lost the shard lease: stopping writes to this shard", "shard", sr.id, "err", err)
				} else {
					log.Warn("lease heartbeat failed; will retry", "shard", sr.id, "err", err)
				}
			}
		}
	}
	flush()
	closeErr := sr.out.Close()
	if closeErr != nil && ioErr == nil {
		ioErr = closeErr
		fail(fmt.Errorf("shard %d: %w", sr.id, closeErr))
	}

	lost := sr.lost.Load() && ioErr == nil
	complete := len(sr.have) == sr.expected && failed == 0 && !lost && ioErr == nil
	var doneErr error
	if complete {
		doneErr = writeDone(o, sr)
		if doneErr != nil {
			fail(fmt.Errorf("shard %d: %w", sr.id, doneErr))
		}
	}
	if !lost {
		if err := sr.lease.Release(); err != nil {
			log.Warn("releasing shard lease", "shard", sr.id, "err", err)
		}
	}

	mu.Lock()
	defer mu.Unlock()
	st.Generations += written
	st.Failed += failed
	st.PromptTokens += tokP
	st.CompletionTokens += tokC
	st.Attempts += attempts
	switch {
	case complete && doneErr == nil:
		st.ShardsDone++
		log.Info("shard done", "shard", sr.id, "generations", sr.expected, "new", written)
	case failed > 0:
		st.ShardsFailed++
		*failures = append(*failures, fmt.Sprintf("shard %d: %d failed, first %s", sr.id, failed, firstFail))
	case lost:
		st.ShardsBusy++
		*partial = append(*partial, fmt.Sprintf("shard %d lease lost (%d/%d generations)", sr.id, len(sr.have), sr.expected))
	default:
		st.ShardsPartial++
		*partial = append(*partial, fmt.Sprintf("shard %d partial (%d/%d generations)", sr.id, len(sr.have), sr.expected))
		log.Info("shard left partial", "shard", sr.id, "have", len(sr.have), "of", sr.expected)
	}
}

// writeDone writes the shard's done marker, with counts and checksums
// read back from the output file.
func writeDone(o *Options, sr *shardRun) error {
	l := o.Layout
	var tokens int64
	model := ""
	n := 0
	if _, err := shard.ReadOutput(l.Output(sr.id), func(g *shard.Generation) error {
		tokens += int64(g.CompletionTokens)
		if model == "" {
			model = g.Model
		}
		n++
		return nil
	}); err != nil {
		return err
	}
	size, sum, err := shard.FileSHA256(l.Output(sr.id))
	if err != nil {
		return err
	}
	d := shard.Done{
		Shard: sr.id, Problems: len(sr.problems), Generations: sr.expected, InputSHA256: sr.inputSum,
		OutputBytes: size, OutputSHA: sum, Tokens: tokens, Model: model, Host: o.Host, JobID: o.JobID,
		CompletedAt: o.Now().UTC(),
	}
	if model == "" {
		d.Model = o.Generate.Model
	}
	return shard.WriteAtomic(l.DoneMarker(sr.id), func(w *bufio.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(&d)
	})
}

// doneMatches reports whether the shard is done: shard.StateOf with the
// full hash check, the rule merge, status and submit use too.
func doneMatches(l shard.Layout, info shard.ShardInfo) (bool, error) {
	st, err := shard.StateOf(l, info, shard.CheckHash)
	return st.IsDone(), err
}
