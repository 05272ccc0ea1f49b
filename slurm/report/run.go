package report

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/distillery-hpc/distillery/shard"
	"github.com/distillery-hpc/distillery/slurm"
	"github.com/distillery-hpc/distillery/verify"
)

// Options say what Load reads and how it counts.
type Options struct {
	Layout shard.Layout
	Now    time.Time
	// Status is the run's status (slurm.Collect): shard states, Slurm
	// jobs, rate and ETA. Load needs it.
	Status *slurm.Status
	// Usage is Slurm accounting's record of the generate tasks (see
	// Accounting); nil when the cluster keeps none or Slurm is not here.
	Usage []TaskUsage
	// GPUsPerTask is what a generate task asks for when its submitted
	// script does not say (the config's nodes × GPUs per node).
	GPUsPerTask int
	// MaxTokens is the completion cap (generate.max_tokens) when
	// plan.json does not record it.
	MaxTokens int
	// MinCorrect is the number of correct generations that keeps a
	// problem (merge.min_correct).
	MinCorrect int
	// Workers is the number of array tasks or pool workers that run the
	// rest of the plan (0: as many as run now, else as many as ran).
	Workers int
	// Sample bounds the done shards whose answers are read and checked
	// (evenly spread over the done shards); 0 reads every shard. Status
	// samples, the report does not.
	Sample int
	// Check is the answer checker (verify.Check when nil).
	Check func(ctx context.Context, gold, pred string) verify.Result
	// JudgeEnabled: merge will send the unsure answers to the judge, so
	// a problem short of correct answers with unsure ones not judged yet
	// may still be kept (KeptPending).
	JudgeEnabled bool
	// Cache keeps what was read of shards that do not change (done
	// shards' answers, input shards' sources) across calls: status
	// --watch passes one. Nil reads everything each time.
	Cache *Cache
}

// Cache holds per-shard results between Load calls. It is safe for
// concurrent use.
type Cache struct {
	mu      sync.Mutex
	shards  map[string]*ShardStats
	sources map[string]map[string]int
}

// NewCache returns an empty cache.
func NewCache() *Cache {
	return &Cache{shards: map[string]*ShardStats{}, sources: map[string]map[string]int{}}
}

// SourceCount counts one source's problems and generations.
type SourceCount struct {
	Problems int `json:"problems"` // problems read (checked)
	Kept     int `json:"kept"`
	// KeptPending are the problems kept if the judge rules for enough of
	// their unsure answers (judge on, not judged yet).
	KeptPending int `json:"kept_pending_judge"`
	Generations int `json:"generations"`
	Equal       int `json:"checker_equal"`
	Different   int `json:"checker_different"`
	Unsure      int `json:"checker_unsure"`
	JudgeEquiv  int `json:"judge_equivalent"`
	JudgeOther  int `json:"judge_not_equivalent"`
	Unjudged    int `json:"unjudged"`
}

func (c *SourceCount) add(o *SourceCount) {
	c.Problems += o.Problems
	c.Kept += o.Kept
	c.KeptPending += o.KeptPending
	c.Generations += o.Generations
	c.Equal += o.Equal
	c.Different += o.Different
	c.Unsure += o.Unsure
	c.JudgeEquiv += o.JudgeEquiv
	c.JudgeOther += o.JudgeOther
	c.Unjudged += o.Unjudged
}

// ShardStats is what one shard's output says.
type ShardStats struct {
	ID       int  `json:"id"`
	Problems int  `json:"problems"`
	Done     bool `json:"done"`
	// Checked: the answers were read and checked (Kept, BySource, Unsure
	// are set).
	Checked          bool      `json:"checked"`
	Generations      int       `json:"generations"`
	CompletionTokens int64     `json:"completion_tokens"`
	First            time.Time `json:"first"` // earliest start of a generation
	Last             time.Time `json:"last"`  // latest finish
	Kept             int       `json:"kept"`
	KeptPending      int       `json:"kept_pending_judge"`
	// JudgeCalls are the judge calls its unsure answers make: one per
	// problem and distinct final answer, as merge asks.
	JudgeCalls int                     `json:"judge_calls"`
	BySource   map[string]*SourceCount `json:"by_source,omitempty"`
	// Busy is the seconds of generation (latency summed) per task (Slurm
	// job id, else host): the share of each task's time the shard took.
	Busy map[string]float64 `json:"busy"`

	lengths  []int32
	finished []int64 // Unix seconds
	reasons  map[string]int
	tasks    map[string]*Throughput
	nodes    map[string]*Throughput
}

// Throughput is what one array task (or node) generated.
type Throughput struct {
	Name             string    `json:"name"`
	Generations      int       `json:"generations"`
	CompletionTokens int64     `json:"completion_tokens"`
	First            time.Time `json:"first"`
	Last             time.Time `json:"last"`
	Busy             float64   `json:"busy_seconds"`
}

// PerHour is the generations per hour over the task's span.
func (t *Throughput) PerHour() float64 {
	if h := t.Last.Sub(t.First).Hours(); h > 0 {
		return float64(t.Generations) / h
	}
	return 0
}

func (t *Throughput) add(o *Throughput) {
	t.Generations += o.Generations
	t.CompletionTokens += o.CompletionTokens
	t.Busy += o.Busy
	t.First = earliest(t.First, o.First)
	t.Last = latest(t.Last, o.Last)
}

func earliest(a, b time.Time) time.Time {
	if a.IsZero() || (!b.IsZero() && b.Before(a)) {
		return b
	}
	return a
}

func latest(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

// Run is everything the report and the projection read of a run.
type Run struct {
	Dir       string
	Now       time.Time
	Plan      *shard.Plan
	Status    *slurm.Status
	MaxTokens int
	Model     string

	Shards  []*ShardStats // the shards with output, by id
	Sampled int           // done shards whose answers were checked
	// PlanSources counts the plan's problems per source.
	PlanSources map[string]int

	Progress      []Point // (Unix seconds, generations written by then)
	LengthEdges   []float64
	LengthCounts  []int
	AtCap         int // generations that hit max_tokens (finish "length")
	FinishReasons map[string]int
	Tasks         []*Throughput
	Nodes         []*Throughput
	Sources       map[string]*SourceCount // over the checked shards
	Failures      map[string]int
	Judge         JudgeStats
	GPU           GPUStats
	Workers       int
	// TaskSpan is each task's span in seconds (first start to last
	// finish), and TaskGPUs the GPUs it asked for.
	TaskSpan map[string]float64
	TaskGPUs map[string]int
	// TaskFactor scales a task's span to what Slurm accounted for it
	// (model load and idle time included; 1 without accounting).
	TaskFactor map[string]float64
	MinCorrect int
	// JudgePass is the share of a pending problem (KeptPending) counted
	// as kept: the judge's equivalent share so far, else one half.
	JudgePass float64
}

// JudgeStats is the judge's share and tokens.
type JudgeStats struct {
	Calls            int     `json:"calls"`   // rulings recorded (judge/verdicts.jsonl)
	Pending          int     `json:"pending"` // unsure answers not judged yet
	Share            float64 `json:"share"`   // of the checked generations
	Equivalent       int     `json:"equivalent"`
	Different        int     `json:"different"`
	Ambiguous        int     `json:"ambiguous"`
	PromptTokens     int64   `json:"prompt_tokens"`
	CompletionTokens int64   `json:"completion_tokens"`
	// TokensEstimated: the verdict records carry no token counts, so the
	// completion tokens are estimated from the replies (4 bytes a token).
	TokensEstimated bool `json:"tokens_estimated"`
	Model           string
}

// GPUStats is the GPU time spent, and per 1,000 kept traces.
type GPUStats struct {
	Hours  float64 `json:"gpu_hours"`
	Source string  `json:"source"` // "slurm accounting" or "runner records × GPUs asked for"
	// KeptTraces are the correct generations of the kept problems in the
	// checked shards; PerThousandKept scales Hours to them.
	KeptTraces      int     `json:"kept_traces"`
	PerThousandKept float64 `json:"gpu_hours_per_1000_kept"`
}

// Load reads the run directory (plan, outputs, inputs, judge verdicts,
// Slurm submissions) and the status and accounting it is given.
func Load(ctx context.Context, o Options) (*Run, error) {
	if o.Status == nil {
		return nil, errors.New("report: no status")
	}
	plan, err := shard.ReadPlan(o.Layout)
	if err != nil {
		return nil, err
	}
	if o.Check == nil {
		o.Check = verify.Check
	}
	o.MinCorrect = max(o.MinCorrect, 1)
	r := &Run{Dir: o.Layout.Dir, Now: o.Now, Plan: plan, Status: o.Status, MaxTokens: o.MaxTokens,
		FinishReasons: map[string]int{}, Sources: map[string]*SourceCount{}, Failures: map[string]int{},
		PlanSources: map[string]int{}, TaskSpan: map[string]float64{}, TaskGPUs: map[string]int{},
		TaskFactor: map[string]float64{}, MinCorrect: o.MinCorrect}

	verdicts, js, err := readVerdicts(filepath.Join(o.Layout.Dir, "judge", "verdicts.jsonl"))
	if err != nil {
		return nil, err
	}
	r.Judge = js

	state := map[int]string{}
	for _, ss := range o.Status.Shards {
		state[ss.ID] = ss.State
	}
	// Which done shards have their answers checked: all, or an even
	// spread of o.Sample.
	var done []int
	for _, info := range plan.Shards {
		if state[info.ID] == slurm.StateDone {
			done = append(done, info.ID)
		}
	}
	check := map[int]bool{}
	for i, id := range done {
		if o.Sample <= 0 || len(done) <= o.Sample || (i*o.Sample)/len(done) != ((i+1)*o.Sample)/len(done) {
			check[id] = true
		}
	}

	var mu sync.Mutex
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(runtime.GOMAXPROCS(0)) // decoding and checking are CPU-bound
	for _, info := range plan.Shards {
		g.Go(func() error {
			srcs, err := inputSources(o.Layout, info, o.Cache)
			if err != nil {
				return err
			}
			mu.Lock()
			for s, n := range srcs {
				r.PlanSources[s] += n
			}
			mu.Unlock()
			if _, err := os.Stat(o.Layout.Output(info.ID)); err != nil {
				return nil // nothing written yet
			}
			st, err := loadShard(gctx, o, info, state[info.ID] == slurm.StateDone, check[info.ID], verdicts)
			if err != nil {
				return err
			}
			mu.Lock()
			r.Shards = append(r.Shards, st)
			mu.Unlock()
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sort.Slice(r.Shards, func(i, j int) bool { return r.Shards[i].ID < r.Shards[j].ID })
	r.combine(o, verdicts)
	return r, nil
}

// combine adds up the shards into the run's charts.
func (r *Run) combine(o Options, verdicts map[shard.Key]verdictLine) {
	var lengths []int32
	var finished []int64
	tasks, nodes := map[string]*Throughput{}, map[string]*Throughput{}
	for _, s := range r.Shards {
		lengths = append(lengths, s.lengths...)
		finished = append(finished, s.finished...)
		for k, n := range s.reasons {
			r.FinishReasons[k] += n
		}
		for _, pair := range []struct {
			to   map[string]*Throughput
			from map[string]*Throughput
		}{{tasks, s.tasks}, {nodes, s.nodes}} {
			for k, t := range pair.from {
				if pair.to[k] == nil {
					pair.to[k] = &Throughput{Name: k}
				}
				pair.to[k].add(t)
			}
		}
		if s.Checked {
			r.Sampled++
			for src, c := range s.BySource {
				if r.Sources[src] == nil {
					r.Sources[src] = &SourceCount{}
				}
				r.Sources[src].add(c)
			}
		}
	}
	r.AtCap = r.FinishReasons["length"]
	slices.Sort(finished)
	r.Progress = downsample(finished, 240)
	r.LengthEdges, r.LengthCounts = histogram(lengths, r.MaxTokens, 32)
	r.Tasks = sortedThroughput(tasks)
	r.Nodes = sortedThroughput(nodes)

	checked := 0
	pending := 0
	for _, c := range r.Sources {
		checked += c.Generations
		pending += c.Unjudged
	}
	r.Judge.Pending = pending
	r.JudgePass = 0.5
	if r.Judge.Calls > 0 {
		r.JudgePass = float64(r.Judge.Equivalent) / float64(r.Judge.Calls)
	}
	if checked > 0 {
		r.Judge.Share = float64(r.Judge.Calls) / float64(checked)
	}

	// Failures: the shards status says need a resume, the Slurm tasks
	// that ended badly, and the generations that hit the cap.
	for _, ss := range r.Status.Shards {
		switch ss.State {
		case slurm.StateFailed, slurm.StatePartial, slurm.StateUnknown:
			r.Failures["shard "+ss.State]++
		}
		for _, j := range ss.Jobs {
			if _, st, ok := strings.Cut(j, " "); ok {
				switch st {
				case "FAILED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "CANCELLED", "PREEMPTED", "BOOT_FAIL", "DEADLINE":
					r.Failures["task "+st]++
				}
			}
		}
	}
	for k, n := range r.FinishReasons {
		if k != "stop" && k != "length" {
			r.Failures["finish "+k] += n
		}
	}

	r.gpu(o)
	r.Workers = o.Workers
	if r.Workers <= 0 {
		live := 0
		for _, ss := range r.Status.Shards {
			if ss.State == slurm.StateRunning {
				live++
			}
		}
		r.Workers = live
	}
	if r.Workers <= 0 {
		r.Workers = max(len(r.Tasks), 1)
	}
}

// gpu sets the GPU-hours: Slurm's accounting of each generate task where
// it has one, else the task's span in the runners' records; × the GPUs
// the task asked for.
func (r *Run) gpu(o Options) {
	gpusOf := submittedGPUs(o.Layout, o.GPUsPerTask)
	usage := map[string]TaskUsage{}
	for _, u := range o.Usage {
		usage[u.Task] = u
	}
	hours := 0.0
	accounted := 0
	for _, t := range r.Tasks {
		span := t.Last.Sub(t.First).Seconds()
		r.TaskSpan[t.Name] = span
		gpus := gpusOf(t.Name)
		r.TaskFactor[t.Name] = 1
		if u, ok := usage[t.Name]; ok && u.Elapsed > 0 {
			if u.GPUs > 0 {
				gpus = u.GPUs
			}
			if span > 0 {
				r.TaskFactor[t.Name] = u.Elapsed.Seconds() / span
			}
			span = u.Elapsed.Seconds()
			accounted++
		}
		r.TaskGPUs[t.Name] = gpus
		hours += span * float64(gpus) / 3600
	}
	r.GPU.Hours = hours
	switch {
	case accounted > 0 && accounted == len(r.Tasks):
		r.GPU.Source = "Slurm accounting (sacct elapsed × allocated GPUs)"
	case accounted > 0:
		r.GPU.Source = fmt.Sprintf("Slurm accounting for %d of %d tasks, runner records × GPUs asked for the rest", accounted, len(r.Tasks))
	default:
		r.GPU.Source = "runner records (first start to last finish per task) × GPUs asked for"
	}
	kept := 0
	for _, s := range r.Shards {
		if s.Checked {
			for _, c := range s.BySource {
				kept += c.Kept
			}
		}
	}
	r.GPU.KeptTraces = r.keptTraces()
	if r.GPU.KeptTraces > 0 && r.Sampled > 0 {
		// GPU time of the checked shards, per 1,000 of their kept traces.
		h := 0.0
		for _, s := range r.Shards {
			if s.Checked {
				h += r.shardGPUHours(s)
			}
		}
		r.GPU.PerThousandKept = h / float64(r.GPU.KeptTraces) * 1000
	}
	_ = kept
}

// keptTraces counts the correct generations of the kept problems of the
// checked shards.
func (r *Run) keptTraces() int {
	n := 0
	for _, c := range r.Sources {
		n += c.Equal + c.JudgeEquiv // an upper bound: a dropped problem's correct ones are < MinCorrect
	}
	return n
}

// taskSeconds is the time a task counts for: its span, scaled to what
// Slurm accounted for it where the cluster keeps accounting.
func (r *Run) taskSeconds(task string) float64 {
	return r.TaskSpan[task] * r.TaskFactor[task]
}

// taskGPUHours is a task's time times the GPUs it asked for.
func (r *Run) taskGPUHours(task string) float64 {
	return r.taskSeconds(task) * float64(r.TaskGPUs[task]) / 3600
}

// shardShare sums per over the tasks that worked on s, each weighted by
// the share of the task's generation seconds that s took.
func (r *Run) shardShare(s *ShardStats, per func(task string) float64) float64 {
	v := 0.0
	for task, busy := range s.Busy {
		var total float64
		for _, t := range r.Tasks {
			if t.Name == task {
				total = t.Busy
			}
		}
		if total > 0 {
			v += busy / total * per(task)
		}
	}
	return v
}

// shardGPUHours is the shard's share of each task's GPU time.
func (r *Run) shardGPUHours(s *ShardStats) float64 { return r.shardShare(s, r.taskGPUHours) }

// shardTaskSeconds is the shard's share of its tasks' time (wall seconds
// of one task).
func (r *Run) shardTaskSeconds(s *ShardStats) float64 { return r.shardShare(s, r.taskSeconds) }

func sortedThroughput(m map[string]*Throughput) []*Throughput {
	out := slices.Collect(maps.Values(m))
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// downsample turns sorted finish times into at most n points of the
// cumulative count.
func downsample(finished []int64, n int) []Point {
	if len(finished) == 0 {
		return nil
	}
	step := max(len(finished)/n, 1)
	var pts []Point
	for i := 0; i < len(finished); i += step {
		pts = append(pts, Point{float64(finished[i]), float64(i + 1)})
	}
	if last := len(finished) - 1; (last % step) != 0 {
		pts = append(pts, Point{float64(finished[last]), float64(last + 1)})
	}
	return pts
}

// histogram bins completion lengths into bins bins up to the cap (or the
// longest length when there is no cap).
func histogram(lengths []int32, maxTokens, bins int) ([]float64, []int) {
	hi := maxTokens
	for _, l := range lengths {
		hi = max(hi, int(l))
	}
	if hi <= 0 {
		return nil, nil
	}
	w := float64(hi) / float64(bins)
	edges := make([]float64, bins+1)
	for i := range edges {
		edges[i] = w * float64(i)
	}
	counts := make([]int, bins)
	for _, l := range lengths {
		b := min(int(float64(l)/w), bins-1)
		counts[b]++
	}
	return edges, counts
}

// inputSources counts a shard's problems per source.
func inputSources(l shard.Layout, info shard.ShardInfo, c *Cache) (map[string]int, error) {
	key := fmt.Sprintf("%d/%s", info.ID, info.SHA256)
	if c != nil {
		c.mu.Lock()
		m, ok := c.sources[key]
		c.mu.Unlock()
		if ok {
			return m, nil
		}
	}
	problems, _, err := shard.ReadShardInput(l, info)
	if err != nil {
		return nil, fmt.Errorf("shard %d: %w", info.ID, err)
	}
	m := map[string]int{}
	for _, p := range problems {
		m[p.Source]++
	}
	if c != nil {
		c.mu.Lock()
		c.sources[key] = m
		c.mu.Unlock()
	}
	return m, nil
}

// taskName names the array task (Slurm job) that wrote a generation, or
// its host when it ran outside Slurm.
func taskName(g *shard.Generation) string {
	if g.JobID != "" {
		return g.JobID
	}
	if g.Host != "" {
		return "local@" + g.Host
	}
	return "local"
}

// loadShard reads one shard's output; with check, also its input and
// checks every answer.
func loadShard(ctx context.Context, o Options, info shard.ShardInfo, done, check bool, verdicts map[shard.Key]verdictLine) (*ShardStats, error) {
	var key string
	if done && o.Cache != nil {
		if fi, err := os.Stat(o.Layout.Output(info.ID)); err == nil {
			key = fmt.Sprintf("%d/%d/%d/%t/%d", info.ID, fi.Size(), fi.ModTime().UnixNano(), check, len(verdicts))
			o.Cache.mu.Lock()
			st, ok := o.Cache.shards[key]
			o.Cache.mu.Unlock()
			if ok {
				return st, nil
			}
		}
	}
	st := &ShardStats{ID: info.ID, Problems: info.Problems, Done: done, Checked: check,
		Busy: map[string]float64{}, reasons: map[string]int{}, tasks: map[string]*Throughput{}, nodes: map[string]*Throughput{}}
	var problems map[string]shard.Problem
	if check {
		ps, _, err := shard.ReadShardInput(o.Layout, info)
		if err != nil {
			return nil, fmt.Errorf("shard %d: %w", info.ID, err)
		}
		problems = make(map[string]shard.Problem, len(ps))
		for _, p := range ps {
			problems[p.UUID] = p
		}
	}
	correct := map[string]int{}
	unjudged := map[string]int{}
	asked := map[[2]string]bool{}
	_, err := shard.ReadOutput(o.Layout.Output(info.ID), func(g *shard.Generation) error {
		st.Generations++
		st.CompletionTokens += int64(g.CompletionTokens)
		st.lengths = append(st.lengths, int32(g.CompletionTokens))
		if !g.FinishedAt.IsZero() {
			st.finished = append(st.finished, g.FinishedAt.Unix())
		}
		st.reasons[g.FinishReason]++
		start := g.StartedAt
		if start.IsZero() && !g.FinishedAt.IsZero() {
			start = g.FinishedAt.Add(-time.Duration(g.LatencyMS) * time.Millisecond)
		}
		st.First = earliest(st.First, start)
		st.Last = latest(st.Last, g.FinishedAt)
		busy := float64(g.LatencyMS) / 1000
		if busy <= 0 && !start.IsZero() {
			busy = g.FinishedAt.Sub(start).Seconds()
		}
		tn := taskName(g)
		st.Busy[tn] += busy
		for _, pair := range []struct {
			m    map[string]*Throughput
			name string
		}{{st.tasks, tn}, {st.nodes, g.Host}} {
			name := pair.name
			if name == "" {
				name = "unknown"
			}
			t := pair.m[name]
			if t == nil {
				t = &Throughput{Name: name}
				pair.m[name] = t
			}
			t.add(&Throughput{Generations: 1, CompletionTokens: int64(g.CompletionTokens), First: start, Last: g.FinishedAt, Busy: busy})
		}
		if !check {
			return nil
		}
		p, ok := problems[g.UUID]
		if !ok {
			return nil // not this shard's problem: merge refuses it; not counted here
		}
		if st.BySource == nil {
			st.BySource = map[string]*SourceCount{}
		}
		sc := st.BySource[p.Source]
		if sc == nil {
			sc = &SourceCount{}
			st.BySource[p.Source] = sc
		}
		sc.Generations++
		switch res := o.Check(ctx, p.Answer, g.Text); res.Verdict {
		case verify.Equal:
			sc.Equal++
			correct[g.UUID]++
		case verify.Different:
			sc.Different++
		default:
			sc.Unsure++
			asked[[2]string{g.UUID, res.PredParsed}] = true
			v, judged := verdicts[g.Key()]
			switch {
			case !judged:
				sc.Unjudged++
				unjudged[g.UUID]++
			case v.Verdict == "EQUIVALENT":
				sc.JudgeEquiv++
				correct[g.UUID]++
			default:
				sc.JudgeOther++
			}
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("shard %d: %w", info.ID, err)
	}
	st.JudgeCalls = len(asked)
	if check {
		seen := map[string]bool{}
		for uuid, p := range problems {
			if seen[uuid] {
				continue
			}
			seen[uuid] = true
			sc := st.BySource[p.Source]
			if sc == nil {
				sc = &SourceCount{}
				if st.BySource == nil {
					st.BySource = map[string]*SourceCount{}
				}
				st.BySource[p.Source] = sc
			}
			sc.Problems++
			switch {
			case correct[uuid] >= o.MinCorrect:
				sc.Kept++
				st.Kept++
			case o.JudgeEnabled && correct[uuid]+unjudged[uuid] >= o.MinCorrect:
				sc.KeptPending++
				st.KeptPending++
			}
		}
	}
	if key != "" {
		o.Cache.mu.Lock()
		o.Cache.shards[key] = st
		o.Cache.mu.Unlock()
	}
	return st, nil
}

// verdictLine is one line of judge/verdicts.jsonl, read loosely.
type verdictLine struct {
	UUID             string `json:"uuid"`
	Index            int    `json:"index"`
	Model            string `json:"model"`
	Verdict          string `json:"verdict"`
	Reply            string `json:"reply"`
	PromptTokens     int64  `json:"prompt_tokens"`
	CompletionTokens int64  `json:"completion_tokens"`
}

// readVerdicts reads the judge's rulings, the last one per generation.
func readVerdicts(path string) (map[shard.Key]verdictLine, JudgeStats, error) {
	out := map[shard.Key]verdictLine{}
	var js JudgeStats
	f, err := os.Open(path)
	if errors.Is(err, os.ErrNotExist) {
		return out, js, nil
	} else if err != nil {
		return nil, js, fmt.Errorf("reading judge verdicts: %w", err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for sc.Scan() {
		var v verdictLine
		if json.Unmarshal(sc.Bytes(), &v) != nil || v.UUID == "" {
			continue // a torn last line of a merge that was killed
		}
		out[shard.Key{UUID: v.UUID, Index: v.Index}] = v
	}
	if err := sc.Err(); err != nil {
		return nil, js, fmt.Errorf("reading %s: %w", path, err)
	}
	withCounts := 0
	for _, v := range out {
		js.Calls++
		js.Model = v.Model
		switch v.Verdict {
		case "EQUIVALENT":
			js.Equivalent++
		case "DIFFERENT":
			js.Different++
		default:
			js.Ambiguous++
		}
		if v.CompletionTokens > 0 {
			withCounts++
			js.PromptTokens += v.PromptTokens
			js.CompletionTokens += v.CompletionTokens
		}
	}
	if withCounts == 0 && js.Calls > 0 {
		js.TokensEstimated = true
		for _, v := range out {
			js.CompletionTokens += int64((len(v.Reply) + 3) / 4)
		}
	}
	return out, js, nil
}
