package runner

import (
	"context"
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

	"github.com/distillery-hpc/distillery/runner/openai"
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
// request (openai.RefusesEverything: a bad key, a wrong model or URL), with none
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
	// Shards are the shard ids to generate, in order, when Source is nil.
	Shards []int
	// Source hands out the shards to generate; nil: a ListSource of
	// Shards.
	Source Source
	// Generate is the [generate] section.
	Generate GenerateConfig
	// Client talks to the server; nil builds one from Generate and APIKey
	// once some shard needs generations.
	Client *openai.Client
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

// run is one Run: a producer (produce) takes shards from the source and
// sends their missing generations to `concurrency` workers (work); each
// shard's writer (shardRun.write) appends the answers. Errors that stop
// the run go to the errgroup; one failed generation is counted.
type run struct {
	o      Options
	log    *slog.Logger
	plan   *shard.Plan
	src    Source
	client *openai.Client

	// Three contexts make the two-phase stop:
	//   intake  ends on the signal or an error that stops the run: no
	//           new jobs start.
	//   reqCtx  is what in-flight requests run under: it survives the
	//           signal and ends grace_period later, or on such an error.
	eg        *errgroup.Group
	intake    context.Context
	reqCtx    context.Context
	graceOver context.CancelCauseFunc
	// jobs is unbuffered: a job is either with a worker or not started,
	// so a stop never strands work in a queue.
	jobs chan job

	answered, refused atomic.Int64

	mu       sync.Mutex // guards st and the notes below
	st       Stats
	failures []string // one per shard with permanent failures
	busy     []string
	partial  []string
}

// Run generates the missing generations of every shard the source hands
// out (o.Source, or the list o.Shards), one shard at a time through one
// pool of o.Generate.Concurrency workers (the next shard starts while the
// last requests of the previous one finish, so the server's batch stays
// full).
//
// When ctx ends (the first SIGTERM/SIGUSR1/SIGINT) Run stops taking new
// problems, lets in-flight requests finish for up to
// o.Generate.GracePeriod, writes them, releases its leases and returns an
// error wrapping ErrDrained. A server that stays unreachable after the
// retries stops the run with an error naming the endpoint.
func Run(ctx context.Context, o Options) (Stats, error) {
	start := time.Now()
	r, err := newRun(o)
	if err != nil {
		return r.st, err
	}
	err = r.run(ctx)
	r.st.Elapsed = time.Since(start)
	return r.st, err
}

// newRun checks o and reads the plan. A shard not in the plan is an error
// here, before any server is asked.
func newRun(o Options) (*run, error) {
	r := &run{o: o, log: o.Logger}
	g := &r.o.Generate
	if r.o.Now == nil {
		r.o.Now = time.Now
	}
	if r.log == nil {
		r.log = slog.New(slog.DiscardHandler)
	}
	if g.NumGenerations < 1 {
		return r, fmt.Errorf("generate.num_generations must be at least 1, got %d", g.NumGenerations)
	}
	if g.LeaseTTL <= 0 {
		g.LeaseTTL = DefaultGenerateConfig().LeaseTTL
	}
	if g.FlushInterval <= 0 {
		g.FlushInterval = DefaultGenerateConfig().FlushInterval
	}
	if !strings.Contains(g.PromptTemplate, "{problem}") {
		return r, errors.New("generate.prompt_template must contain {problem}")
	}
	plan, err := shard.ReadPlan(r.o.Layout)
	if err != nil {
		return r, err
	}
	r.plan = plan
	if plan.NumGenerations > 0 && plan.NumGenerations != g.NumGenerations {
		r.log.Warn("generate.num_generations differs from the plan's; using the config's",
			"config", g.NumGenerations, "plan", plan.NumGenerations)
	}
	r.src = r.o.Source
	if r.src == nil {
		ls, err := NewListSource(r.o.Layout, plan, r.o.Shards, shard.LeaseOptions{
			Host: r.o.Host, PID: r.o.PID, JobID: r.o.JobID, Restart: r.o.Restart, TTL: g.LeaseTTL, Now: r.o.Now,
		}, r.log)
		if err != nil {
			return r, err
		}
		r.src = ls
		r.st.Shards = ls.Len()
	}
	return r, nil
}

// run waits for the server when some shard needs work, then runs the
// producer, the workers and the shards' writers until the source is
// empty, ctx ends or an error stops them.
func (r *run) run(ctx context.Context) error {
	pending, err := r.src.Pending()
	if err != nil {
		return err
	}
	if !pending {
		// A task whose shards are all done (a requeue after the last
		// flush) finishes without a server.
		r.st.ShardsDone, r.st.ShardsSkipped = r.st.Shards, r.st.Shards
		r.log.Info("all shards already done", "shards", r.st.Shards)
		return nil
	}
	if err := r.connect(ctx); err != nil {
		return err
	}
	if err := os.MkdirAll(r.o.Layout.OutputDir(), shard.DirPerm); err != nil {
		return fmt.Errorf("creating output dir: %w", err)
	}

	eg, gctx := errgroup.WithContext(context.WithoutCancel(ctx))
	r.eg = eg
	reqCtx, graceOver := context.WithCancelCause(gctx)
	defer graceOver(nil)
	r.reqCtx, r.graceOver = reqCtx, graceOver
	intake, stopIntake := context.WithCancel(ctx)
	defer stopIntake()
	context.AfterFunc(reqCtx, stopIntake)
	r.intake = intake
	grace := r.o.Generate.GracePeriod
	stopGrace := context.AfterFunc(ctx, func() {
		r.log.Info("stopping: no new problems; waiting for requests in flight", "grace_period", grace)
		time.AfterFunc(grace, func() { graceOver(errGraceOver) })
	})
	defer stopGrace()
	r.jobs = make(chan job)

	// At most `concurrency` requests in flight, the number the server is
	// configured to batch (SGLang's --max-running-requests).
	for range max(r.o.Generate.Concurrency, 1) {
		eg.Go(r.work)
	}
	eg.Go(r.produce)
	if err := eg.Wait(); err != nil {
		return err
	}
	return r.outcome(ctx)
}

// connect builds the client unless one was given and waits for the
// server.
func (r *run) connect(ctx context.Context) error {
	g := &r.o.Generate
	r.client = r.o.Client
	if r.client == nil && strings.TrimSpace(g.Endpoint) == "" {
		return errors.New("generate.endpoint is empty: set it in the config, or DISTILLERY_GENERATE_ENDPOINT, or --set generate.endpoint=http://HOST:PORT")
	}
	if r.client == nil {
		c, err := openai.NewClient(openai.Options{
			Endpoint: g.Endpoint, APIKey: r.o.APIKey, MaxRetries: g.MaxRetries,
			RetryBase: g.RetryBase, RetryMax: g.RetryMax, RequestTimeout: g.RequestTimeout,
			WaitForServer: g.WaitForServer, Logger: r.log,
		})
		if err != nil {
			return err
		}
		r.client = c
	}
	if g.WaitForServer <= 0 {
		return nil
	}
	err := r.client.WaitReady(ctx, g.WaitForServer)
	switch {
	case err == nil:
		return nil
	case errors.Is(err, openai.ErrNotReady) && ctx.Err() == nil:
		// The server is there but still says it is not ready (a 503
		// while it loads): go ahead, the requests' own retries
		// (max_retries with backoff up to retry_max) give it more time,
		// and fail the run the usual way if it never serves.
		r.log.Warn("server answers but is not ready yet; starting anyway, requests will retry", "endpoint", r.client.Endpoint(), "err", err)
		return nil
	case ctx.Err() != nil:
		r.st.ShardsNotStarted = r.st.Shards
		return fmt.Errorf("%w: stopped while waiting for the server at %s", ErrDrained, r.client.Endpoint())
	}
	return fmt.Errorf("%w: check generate.endpoint, or raise generate.wait_for_server if the server is still loading", err)
}

// produce takes shards from the source; for each it opens the shard,
// starts its writer and sends its missing jobs. It closes jobs when the
// source is empty or intake ends.
func (r *run) produce() error {
	defer close(r.jobs)
	for {
		c, ok, err := r.src.Next(r.intake)
		if err != nil {
			return err
		}
		if !ok {
			r.notStarted(r.src.Unstarted())
			return nil
		}
		if r.o.Source != nil {
			r.mu.Lock()
			r.st.Shards++ // a source other than a list counts as it goes
			r.mu.Unlock()
		}
		switch {
		case c.Done:
			r.account(shardOutcome{kind: outcomeSkipped})
			continue
		case c.Busy != nil:
			r.account(shardOutcome{kind: outcomeBusy, note: c.Busy.Error()})
			continue
		}
		sr, err := r.openShard(c)
		if err != nil {
			return fmt.Errorf("shard %d: %w", c.Info.ID, err)
		}
		r.mu.Lock()
		r.st.Existing += len(sr.have)
		r.mu.Unlock()
		r.eg.Go(sr.write)
		sr.send(r.intake, r.jobs)
	}
}

// work is one worker: it takes jobs until there are none or intake ends.
func (r *run) work() error {
	for {
		var j job
		var ok bool
		select {
		case <-r.intake.Done():
			return nil
		case j, ok = <-r.jobs:
			if !ok {
				return nil
			}
		}
		err := r.do(j)
		j.sr.inflight.Done()
		if err != nil {
			return err
		}
	}
}

// do requests one generation and hands it to its shard's writer. A
// refused request is the item's problem and is counted; an error
// returned stops the run.
func (r *run) do(j job) error {
	if r.intake.Err() != nil || j.sr.lost.Load() {
		return nil
	}
	gen, err := r.generate(r.reqCtx, j)
	switch {
	case err == nil:
		r.answered.Add(1)
		j.sr.res <- result{g: gen}
	case errors.Is(err, openai.ErrPermanent):
		j.sr.res <- result{g: gen, err: err}
		// When the server refuses everything from the start (a bad API
		// key, a wrong model name) it is ours.
		if !openai.RefusesEverything(err) {
			return nil
		}
		if n := r.refused.Add(1); n >= refuseAll && r.answered.Load() == 0 {
			return fmt.Errorf("the server refused the first %d requests and answered none, stopping: %w%s", n, err, refusalHint(err, &r.o.Generate, r.o.APIKey != ""))
		}
	case r.reqCtx.Err() != nil:
		// Grace period over or aborted: dropped, not written.
		r.mu.Lock()
		r.st.Dropped++
		r.mu.Unlock()
	default:
		return err
	}
	return nil
}

// outcomeKind is how a shard ended for this run.
type outcomeKind int

const (
	outcomeDone    outcomeKind = iota // complete, done marker written
	outcomeSkipped                    // done before this run
	outcomeBusy                       // another runner holds it
	outcomeFailed                     // permanent failures
	outcomePartial                    // left partial by a stop
)

// shardOutcome is what one shard adds to the run's stats.
type shardOutcome struct {
	kind                 outcomeKind
	note                 string // for the run's error message
	written, failed      int
	tokP, tokC, attempts int64
}

// account adds one shard's outcome to the stats.
func (r *run) account(o shardOutcome) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := &r.st
	st.Generations += o.written
	st.Failed += o.failed
	st.PromptTokens += o.tokP
	st.CompletionTokens += o.tokC
	st.Attempts += o.attempts
	switch o.kind {
	case outcomeDone:
		st.ShardsDone++
	case outcomeSkipped:
		st.ShardsSkipped++
		st.ShardsDone++
	case outcomeBusy:
		st.ShardsBusy++
		r.busy = append(r.busy, o.note)
	case outcomeFailed:
		st.ShardsFailed++
		r.failures = append(r.failures, o.note)
	case outcomePartial:
		st.ShardsPartial++
		r.partial = append(r.partial, o.note)
	}
}

// notStarted counts the shards a stop left unopened.
func (r *run) notStarted(ids []int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, id := range ids {
		r.partial = append(r.partial, fmt.Sprintf("shard %d not started", id))
		r.st.ShardsNotStarted++
	}
}

// outcome is the run's error once every goroutine is done and none
// stopped the run.
func (r *run) outcome(ctx context.Context) error {
	st := &r.st
	switch {
	case len(r.failures) > 0:
		return fmt.Errorf("%w: %s; the server refused these requests and the shard is not marked done: fix the cause (for a prompt longer than the context, raise the server's context length or lower generate.max_tokens) and run the shard again, which requests only the missing generations, or merge without them with `distillery merge --allow-incomplete`", ErrGenerationFailed, strings.Join(r.failures, "; "))
	case ctx.Err() != nil && st.ShardsDone < st.Shards:
		return fmt.Errorf("%w: %s; leases released, run the shards again (Slurm requeue or `distillery resume`) to finish", ErrDrained, strings.Join(r.partial, ", "))
	case len(r.busy) > 0 || st.ShardsDone < st.Shards:
		return fmt.Errorf("%w: %s", ErrShardBusy, strings.Join(append(r.busy, r.partial...), "; "))
	}
	return nil
}

// refusalHint says what to check when the server refuses every request.
func refusalHint(err error, g *GenerateConfig, haveKey bool) string {
	var se *openai.StatusError
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

// generate requests one generation.
func (r *run) generate(ctx context.Context, j job) (shard.Generation, error) {
	g, o := &r.o.Generate, &r.o
	msgs := make([]openai.Message, 0, 2)
	if g.SystemPrompt != "" {
		msgs = append(msgs, openai.Message{Role: "system", Content: g.SystemPrompt})
	}
	msgs = append(msgs, openai.Message{Role: "user", Content: strings.ReplaceAll(g.PromptTemplate, "{problem}", j.p.Problem)})
	started := o.Now()
	res, err := r.client.Chat(ctx, openai.ChatRequest{Model: g.Model, Messages: msgs, Temperature: g.Temperature, TopP: g.TopP, MaxTokens: g.MaxTokens})
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
