package report

import (
	"fmt"
	"math"
	"sort"
	"time"

	"github.com/distillery-hpc/distillery/shard"
)

// Range is a projected figure with its range: Value is the estimate, Low
// and High bound it at about 95% when the shards still to run are like
// the ones done (the spread across the done shards, and the uncertainty
// of their mean).
type Range struct {
	Value float64 `json:"value"`
	Low   float64 `json:"low"`
	High  float64 `json:"high"`
}

// KeptRange is the kept-problems projection, in all and per source.
type KeptRange struct {
	Range
	BySource map[string]Range `json:"by_source"`
}

// Projection is the campaign projected from the shards done so far: the
// `projection` object of `distillery status --json`.
type Projection struct {
	// Basis says what it is projected from.
	Basis         string `json:"basis"`
	ShardsDone    int    `json:"shards_done"`    // shards the rates come from
	ShardsChecked int    `json:"shards_checked"` // of them, with their answers checked
	Shards        int    `json:"shards"`         // in the plan projected
	Problems      int    `json:"problems"`

	GenerationsTotal      Range `json:"generations_total"`
	CompletionTokensTotal Range `json:"completion_tokens_total"`
	GPUHoursTotal         Range `json:"gpu_hours_total"`
	// MakespanSeconds is from the start of the run (the first generation)
	// to its last shard, with Workers tasks running at once.
	MakespanSeconds Range     `json:"makespan_seconds"`
	Workers         int       `json:"workers"`
	KeptProblems    KeptRange `json:"kept_problems"`
	JudgeCalls      Range     `json:"judge_calls"`
	GPUHoursSource  string    `json:"gpu_hours_source"`
}

// target is what is projected: the work left.
type target struct {
	remaining      []float64      // per shard not done, its problems still to run
	remainingCheck float64        // problems whose answers are not checked yet
	sources        map[string]int // problems per source not checked yet
	known          Known
	elapsed        float64 // seconds from the start to now
	done           bool
	workers        int
	shards         int
	problems       int
}

// Known is what the run has already spent or made.
type Known struct {
	Generations      float64
	CompletionTokens float64
	GPUHours         float64
	Kept             float64
	KeptBySource     map[string]float64
	JudgeCalls       float64
}

type sample struct{ x, p float64 }

// estimate projects known plus the remaining shards' share at the done
// shards' per-problem rate, with a range from the spread of those rates.
func estimate(known float64, xs []sample, remaining []float64) Range {
	var sx, sp float64
	for _, s := range xs {
		sx += s.x
		sp += s.p
	}
	R := 0.0
	for _, p := range remaining {
		R += p
	}
	if sp == 0 || R == 0 {
		return Range{known, known, known}
	}
	mean := sx / sp
	v := known + mean*R
	n := float64(len(xs))
	if n < 2 {
		return Range{v, v, v}
	}
	var ss float64
	for _, s := range xs {
		d := s.x/s.p - mean
		ss += d * d
	}
	sd := math.Sqrt(ss / (n - 1))
	pbar := sp / n
	half := 1.96 * sd * math.Sqrt(pbar*R+R*R/n)
	return Range{v, math.Max(known, v-half), v + half}
}

// Project projects the whole plan of r from its done shards.
func Project(r *Run) *Projection {
	t := target{known: Known{KeptBySource: map[string]float64{}}, workers: r.Workers, shards: len(r.Plan.Shards), problems: planProblems(r.Plan)}
	written := map[int]*ShardStats{}
	for _, s := range r.Shards {
		written[s.ID] = s
	}
	numGen := max(r.Plan.NumGenerations, 1)
	checked := map[string]int{}
	for _, info := range r.Plan.Shards {
		s := written[info.ID]
		switch {
		case s != nil && s.Done:
		case s != nil:
			left := float64(info.Problems) * (1 - float64(s.Generations)/float64(info.Problems*numGen))
			t.remaining = append(t.remaining, math.Max(left, 0))
		default:
			t.remaining = append(t.remaining, float64(info.Problems))
		}
		if s != nil {
			t.known.Generations += float64(s.Generations)
			t.known.CompletionTokens += float64(s.CompletionTokens)
			if s.Checked {
				t.known.Kept += r.kept(s.Kept, s.KeptPending)
				t.known.JudgeCalls += float64(s.JudgeCalls)
				for src, c := range s.BySource {
					t.known.KeptBySource[src] += r.kept(c.Kept, c.KeptPending)
					checked[src] += c.Problems
				}
			}
		}
	}
	t.sources = map[string]int{}
	for src, n := range r.PlanSources {
		t.sources[src] = max(n-checked[src], 0)
		t.remainingCheck += float64(t.sources[src])
	}
	t.known.GPUHours = r.GPU.Hours
	first, last := time.Time{}, time.Time{}
	for _, s := range r.Shards {
		first, last = earliest(first, s.First), latest(last, s.Last)
	}
	t.done = len(t.remaining) == 0 || sum(t.remaining) == 0
	switch {
	case t.done && !first.IsZero():
		t.elapsed = last.Sub(first).Seconds()
	case !first.IsZero():
		t.elapsed = r.Now.Sub(first).Seconds()
	}
	return r.project(t)
}

// PlanSources counts a plan's problems per source from its input shards.
func PlanSources(l shard.Layout, p *shard.Plan) (map[string]int, error) {
	out := map[string]int{}
	for _, info := range p.Shards {
		m, err := inputSources(l, info, nil)
		if err != nil {
			return nil, err
		}
		for s, n := range m {
			out[s] += n
		}
	}
	return out, nil
}

// ProjectPlan projects another plan (say all of NuminaMath-1.5) from the
// done shards of pilot, as if none of it had run: workers tasks at once.
func ProjectPlan(pilot *Run, p *shard.Plan, sources map[string]int, workers int) *Projection {
	t := target{known: Known{KeptBySource: map[string]float64{}}, workers: max(workers, 1), shards: len(p.Shards), problems: planProblems(p), sources: sources}
	for _, info := range p.Shards {
		t.remaining = append(t.remaining, float64(info.Problems))
		t.remainingCheck += float64(info.Problems)
	}
	pr := pilot.project(t)
	pr.Basis = fmt.Sprintf("from the pilot %s (%d done shards, %d checked)", pilot.Dir, pr.ShardsDone, pr.ShardsChecked)
	return pr
}

// kept counts the problems kept, and of those pending the judge the
// share it passes.
func (r *Run) kept(kept, pending int) float64 {
	return float64(kept) + r.JudgePass*float64(pending)
}

// planProblems counts the problems of p's shards.
func planProblems(p *shard.Plan) int {
	n := 0
	for _, s := range p.Shards {
		n += s.Problems
	}
	return n
}

func sum(xs []float64) float64 {
	s := 0.0
	for _, x := range xs {
		s += x
	}
	return s
}

// project applies r's per-shard rates to t.
func (r *Run) project(t target) *Projection {
	var gens, toks, gpu, secs, kept, judge []sample
	keptBy := map[string]*[2]float64{} // source -> kept, problems (checked)
	nChecked := 0
	for _, s := range r.Shards {
		if !s.Done || s.Problems == 0 {
			continue
		}
		p := float64(s.Problems)
		gens = append(gens, sample{float64(s.Generations), p})
		toks = append(toks, sample{float64(s.CompletionTokens), p})
		if h := r.shardGPUHours(s); h > 0 {
			gpu = append(gpu, sample{h, p})
		}
		if sec := r.shardTaskSeconds(s); sec > 0 {
			secs = append(secs, sample{sec, p})
		}
		if s.Checked {
			nChecked++
			kept = append(kept, sample{r.kept(s.Kept, s.KeptPending), p})
			for src, c := range s.BySource {
				if keptBy[src] == nil {
					keptBy[src] = &[2]float64{}
				}
				keptBy[src][0] += r.kept(c.Kept, c.KeptPending)
				keptBy[src][1] += float64(c.Problems)
			}
			judge = append(judge, sample{float64(s.JudgeCalls), p})
		}
	}
	pr := &Projection{
		ShardsDone:     len(gens),
		ShardsChecked:  nChecked,
		Shards:         t.shards,
		Problems:       t.problems,
		Workers:        t.workers,
		GPUHoursSource: r.GPU.Source,
	}
	pr.Basis = fmt.Sprintf("from %d done shards (%d with answers checked) of %d", pr.ShardsDone, nChecked, t.shards)
	pr.GenerationsTotal = estimate(t.known.Generations, gens, t.remaining)
	pr.CompletionTokensTotal = estimate(t.known.CompletionTokens, toks, t.remaining)
	pr.GPUHoursTotal = estimate(t.known.GPUHours, gpu, t.remaining)
	work := estimate(0, secs, t.remaining)
	w := float64(max(t.workers, 1))
	pr.MakespanSeconds = Range{t.elapsed + work.Value/w, t.elapsed + work.Low/w, t.elapsed + work.High/w}
	pr.JudgeCalls = estimate(t.known.JudgeCalls, judge, []float64{t.remainingCheck})

	// Kept per source: the source's kept share so far (the whole
	// sample's where the source has not been seen), a binomial range.
	var allK, allP float64
	for _, kp := range keptBy {
		allK += kp[0]
		allP += kp[1]
	}
	pr.KeptProblems.BySource = map[string]Range{}
	srcs := make([]string, 0, len(t.sources))
	for s := range t.sources {
		srcs = append(srcs, s)
	}
	for s := range t.known.KeptBySource {
		if _, ok := t.sources[s]; !ok {
			srcs = append(srcs, s)
		}
	}
	sort.Strings(srcs)
	total := 0.0
	for _, s := range srcs {
		k, n := allK, allP
		if kp := keptBy[s]; kp != nil && kp[1] > 0 {
			k, n = kp[0], kp[1]
		}
		known := t.known.KeptBySource[s]
		R := float64(t.sources[s])
		if n == 0 {
			pr.KeptProblems.BySource[s] = Range{known, known, known + R}
			total += known
			continue
		}
		q := k / n
		v := known + q*R
		half := 1.96 * math.Sqrt(R*q*(1-q)+R*R*q*(1-q)/n)
		pr.KeptProblems.BySource[s] = Range{v, math.Max(known, v-half), math.Min(known+R, v+half)}
		total += v
	}
	// The total's range: the spread of the kept share across shards.
	tr := estimate(t.known.Kept, kept, []float64{t.remainingCheck})
	lo, hi := tr.Low-tr.Value, tr.High-tr.Value
	pr.KeptProblems.Range = Range{total, math.Max(t.known.Kept, total+lo), math.Min(total+hi, t.known.Kept+t.remainingCheck)}
	if t.done {
		pr.MakespanSeconds = Range{t.elapsed, t.elapsed, t.elapsed}
	}
	return pr
}
