package report

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/distillery-hpc/distillery/slurm"
)

// Chart is one chart of the report.
type Chart struct {
	ID   string
	Note string
	SVG  template.HTML
}

// page is what the template renders.
type page struct {
	Title      string
	Run        *Run
	P          *Projection
	Generated  string
	Summary    []kv
	Projection [][4]string
	BySource   [][4]string
	Charts     []Chart
}

type kv struct{ K, V string }

// Charts returns the report's charts, in page order (their IDs are
// stable: tests and readers look them up).
func Charts(r *Run, p *Projection) []Chart {
	var cs []Chart
	add := func(id, note string, svg string) {
		cs = append(cs, Chart{ID: id, Note: note, SVG: template.HTML(svg)})
	}

	// Progress over time, with the ETA.
	st := r.Status
	lc := LineChart{ID: "progress", Title: "Generations written over time", YLabel: "generations", XTime: true}
	lc.Series = append(lc.Series, Series{Name: "written", Points: r.Progress})
	note := ""
	if n := len(r.Progress); n > 0 && st.ETASeconds > 0 && !st.Done() {
		last := r.Progress[n-1]
		now := float64(r.Now.Unix())
		eta := now + st.ETASeconds
		lc.Series = append(lc.Series, Series{Name: "projected", Dashed: true,
			Points: []Point{{math.Max(last.X, now), float64(st.GenerationsDone)}, {eta, float64(st.Generations)}}})
		lc.Marks = append(lc.Marks, Mark{X: eta, Label: "ETA " + time.Unix(int64(eta), 0).UTC().Format("Jan 2 15:04")})
		note = fmt.Sprintf("ETA %s at %.0f generations/hour", dur(st.ETASeconds), st.GenerationsPerHour)
	}
	add("progress", note, lc.SVG())

	// Throughput per task and per node.
	bar := func(id, title, unit string, ts []*Throughput) string {
		b := BarChart{ID: id, Title: title, Unit: unit}
		for _, t := range ts {
			b.Labels = append(b.Labels, t.Name)
			b.Values = append(b.Values, []float64{math.Round(t.PerHour())})
		}
		return b.SVG()
	}
	add("throughput-tasks", "", bar("throughput-tasks", "Throughput per array task (generations/hour)", "/h", r.Tasks))
	add("throughput-nodes", "", bar("throughput-nodes", "Throughput per node (generations/hour)", "/h", r.Nodes))

	// Completion lengths, with the cap.
	hg := Histogram{ID: "lengths", Title: "Completion length (tokens)", XLabel: "completion tokens", Edges: r.LengthEdges, Counts: r.LengthCounts}
	if r.MaxTokens > 0 {
		hg.Marks = []Mark{{X: float64(r.MaxTokens), Label: fmt.Sprintf("max_tokens %d", r.MaxTokens)}}
	}
	gens := 0
	for _, n := range r.LengthCounts {
		gens += n
	}
	add("lengths", fmt.Sprintf("%d of %d generations (%.1f%%) hit the cap", r.AtCap, gens, pct(r.AtCap, gens)), hg.SVG())

	// Finish reasons.
	fr := BarChart{ID: "finish-reasons", Title: "Finish reasons"}
	for _, k := range sortedKeys(r.FinishReasons) {
		name := k
		if name == "" {
			name = "(none)"
		}
		fr.Labels = append(fr.Labels, name)
		fr.Values = append(fr.Values, []float64{float64(r.FinishReasons[k])})
	}
	add("finish-reasons", "", fr.SVG())

	// Correctness by source and by path.
	stacks := []string{"checker equal", "judge equivalent", "judge not equivalent", "different", "unsure, not judged"}
	bs := BarChart{ID: "correct-source", Title: "Correctness by source (generations)", Stacks: stacks}
	var all SourceCount
	for _, src := range sortedKeys(r.Sources) {
		c := r.Sources[src]
		all.add(c)
		bs.Labels = append(bs.Labels, src)
		bs.Values = append(bs.Values, []float64{float64(c.Equal), float64(c.JudgeEquiv), float64(c.JudgeOther), float64(c.Different), float64(c.Unjudged)})
	}
	add("correct-source", fmt.Sprintf("answers of %d shards checked", r.Sampled), bs.SVG())
	bp := BarChart{ID: "correct-path", Title: "Correctness by path (generations)"}
	for _, row := range []struct {
		l string
		n int
	}{{"checker: equal", all.Equal}, {"checker: different", all.Different}, {"checker: unsure", all.Unsure},
		{"judge: equivalent", all.JudgeEquiv}, {"judge: not equivalent", all.JudgeOther}, {"unsure, not judged", all.Unjudged}} {
		bp.Labels = append(bp.Labels, row.l)
		bp.Values = append(bp.Values, []float64{float64(row.n)})
	}
	add("correct-path", fmt.Sprintf("correct: %d of %d (%.1f%%)", all.Equal+all.JudgeEquiv, all.Generations, pct(all.Equal+all.JudgeEquiv, all.Generations)), bp.SVG())

	// Failures by reason.
	fb := BarChart{ID: "failures", Title: "Failures by reason"}
	fails := map[string]int{}
	for k, n := range r.Failures {
		fails[k] = n
	}
	fails["cut at max_tokens"] = r.AtCap
	for _, k := range sortedKeys(fails) {
		fb.Labels = append(fb.Labels, k)
		fb.Values = append(fb.Values, []float64{float64(fails[k])})
	}
	add("failures", "", fb.SVG())

	// Judge share and tokens.
	jb := BarChart{ID: "judge", Title: "Judge: rulings and tokens"}
	for _, row := range []struct {
		l string
		n float64
	}{{"equivalent", float64(r.Judge.Equivalent)}, {"different", float64(r.Judge.Different)}, {"ambiguous", float64(r.Judge.Ambiguous)},
		{"unsure, not judged yet", float64(r.Judge.Pending)}} {
		jb.Labels = append(jb.Labels, row.l)
		jb.Values = append(jb.Values, []float64{row.n})
	}
	tokNote := fmt.Sprintf("%d completion tokens", r.Judge.CompletionTokens)
	if r.Judge.TokensEstimated {
		tokNote = fmt.Sprintf("≈%d reply tokens (estimated from the replies' length)", r.Judge.CompletionTokens)
	} else if r.Judge.PromptTokens > 0 {
		tokNote = fmt.Sprintf("%d prompt + %d completion tokens", r.Judge.PromptTokens, r.Judge.CompletionTokens)
	}
	add("judge", fmt.Sprintf("%d rulings, %.1f%% of the checked generations; %s", r.Judge.Calls, 100*r.Judge.Share, tokNote), jb.SVG())

	// GPU-hours per task, and per 1,000 kept traces.
	gb := BarChart{ID: "gpu-hours", Title: "GPU-hours per array task", Unit: "GPU-h"}
	for _, t := range r.Tasks {
		h := r.taskGPUHours(t.Name)
		gb.Labels = append(gb.Labels, t.Name)
		gb.Values = append(gb.Values, []float64{math.Round(h*100) / 100})
	}
	add("gpu-hours", fmt.Sprintf("%.2f GPU-hours; %.2f per 1,000 kept traces (%s)", r.GPU.Hours, r.GPU.PerThousandKept, r.GPU.Source), gb.SVG())
	return cs
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func sortedKeys[V any](m map[string]V) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

// dur formats seconds for a person: 3d4h, 5h12m, 7m30s.
func dur(sec float64) string {
	d := time.Duration(sec) * time.Second
	switch {
	case d >= 48*time.Hour:
		return fmt.Sprintf("%dd%dh", int(d.Hours())/24, int(d.Hours())%24)
	case d >= time.Hour:
		return fmt.Sprintf("%dh%02dm", int(d.Hours()), int(d.Minutes())%60)
	default:
		return d.Round(time.Second).String()
	}
}

// FormatRange prints a projected figure as "v (lo–hi)".
func FormatRange(r Range, f func(float64) string) string {
	if r.Low == r.High {
		return f(r.Value)
	}
	return fmt.Sprintf("%s (%s–%s)", f(r.Value), f(r.Low), f(r.High))
}

// Num formats a count: 1234567 -> 1.23M.
func Num(v float64) string { return num(math.Round(v)) }

// Hours formats GPU-hours.
func Hours(v float64) string {
	if v >= 100 {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2f", v)
}

// Duration formats seconds: 3d4h, 5h12m, 7m30s.
func Duration(v float64) string { return dur(v) }

// ProjectionRows are the projection's lines as (figure, value, range,
// note), shared by status and the report.
func ProjectionRows(p *Projection) [][4]string {
	row := func(name string, r Range, f func(float64) string, note string) [4]string {
		rng := ""
		if r.Low != r.High {
			rng = f(r.Low) + "–" + f(r.High)
		}
		return [4]string{name, f(r.Value), rng, note}
	}
	return [][4]string{
		row("generations", p.GenerationsTotal, Num, ""),
		row("completion tokens", p.CompletionTokensTotal, Num, ""),
		row("GPU-hours", p.GPUHoursTotal, Hours, ""),
		row("makespan", p.MakespanSeconds, dur, workers(p.Workers)),
		row("kept problems", p.KeptProblems.Range, Num, fmt.Sprintf("of %d", p.Problems)),
		row("judge calls", p.JudgeCalls, Num, ""),
	}
}

func workers(n int) string {
	if n == 1 {
		return "with 1 worker"
	}
	return fmt.Sprintf("with %d workers", n)
}

// Render writes the report page of r, with its projection p.
func Render(w io.Writer, r *Run, p *Projection) error {
	pg := page{Title: "distillery report: " + r.Dir, Run: r, P: p, Generated: r.Now.UTC().Format("2006-01-02 15:04 UTC")}
	st := r.Status
	var counts []string
	for _, k := range slurm.States {
		if n := st.Counts[k]; n > 0 {
			counts = append(counts, fmt.Sprintf("%d %s", n, k))
		}
	}
	pg.Summary = []kv{
		{"shards", fmt.Sprintf("%d: %s", len(st.Shards), strings.Join(counts, ", "))},
		{"problems", fmt.Sprintf("%d of %d done", st.ProblemsDone, st.Problems)},
		{"generations", fmt.Sprintf("%d of %d (%.1f%%)", st.GenerationsDone, st.Generations, pct(st.GenerationsDone, st.Generations))},
	}
	if st.GenerationsPerHour > 0 {
		eta := "done"
		if !st.Done() {
			eta = dur(st.ETASeconds)
		}
		pg.Summary = append(pg.Summary, kv{"rate", fmt.Sprintf("%.0f generations/hour; ETA %s", st.GenerationsPerHour, eta)})
	}
	if r.Model != "" {
		pg.Summary = append(pg.Summary, kv{"model", r.Model})
	}
	pg.Summary = append(pg.Summary, kv{"GPU-hours", fmt.Sprintf("%.2f so far, %.2f per 1,000 kept traces", r.GPU.Hours, r.GPU.PerThousandKept)})
	if p != nil {
		pg.Projection = ProjectionRows(p)
		for _, s := range sortedKeys(p.KeptProblems.BySource) {
			rg := p.KeptProblems.BySource[s]
			pg.BySource = append(pg.BySource, [4]string{s, Num(rg.Value), Num(rg.Low) + "–" + Num(rg.High), fmt.Sprint(r.PlanSources[s])})
		}
	}
	pg.Charts = Charts(r, p)
	t, err := template.New("report").Parse(pageTemplate)
	if err != nil {
		return err
	}
	return t.Execute(w, pg)
}

const pageTemplate = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>{{.Title}}</title>
<style>
body{font-family:system-ui,sans-serif;margin:0 auto;max-width:920px;padding:12px;color:#111;line-height:1.4}
h1{font-size:1.25rem;margin:.2em 0}h2{font-size:1.05rem;margin:1.2em 0 .3em}
table{border-collapse:collapse;width:100%;font-size:.92rem}td,th{padding:3px 6px;border-bottom:1px solid #e4e4e4;text-align:left;vertical-align:top}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.wrap{overflow-x:auto}
figure{margin:14px 0;padding:6px;border:1px solid #e4e4e4;border-radius:6px}
figcaption{font-size:.85rem;color:#444;margin-top:2px}
svg.chart{display:block;max-width:100%;height:auto}
.muted{color:#666;font-size:.85rem}
</style>
</head>
<body>
<h1>{{.Title}}</h1>
<p class="muted">Generated {{.Generated}} from the run directory{{if .Run.Status.Accounting}} and Slurm accounting{{end}}.</p>
<div class="wrap"><table id="summary">
{{range .Summary}}<tr><th>{{.K}}</th><td>{{.V}}</td></tr>
{{end}}</table></div>
{{if .P}}<h2>Projection of the whole plan</h2>
<p class="muted">{{.P.Basis}}; ranges are about 95%, from the spread across shards.</p>
<div class="wrap"><table id="projection">
<tr><th>figure</th><th class="n">projected</th><th class="n">range</th><th></th></tr>
{{range .Projection}}<tr><td>{{index . 0}}</td><td class="n">{{index . 1}}</td><td class="n">{{index . 2}}</td><td class="muted">{{index . 3}}</td></tr>
{{end}}</table></div>
{{if .BySource}}<h2>Kept problems per source (projected)</h2>
<div class="wrap"><table id="kept-by-source">
<tr><th>source</th><th class="n">kept</th><th class="n">range</th><th class="n">planned</th></tr>
{{range .BySource}}<tr><td>{{index . 0}}</td><td class="n">{{index . 1}}</td><td class="n">{{index . 2}}</td><td class="n">{{index . 3}}</td></tr>
{{end}}</table></div>{{end}}{{end}}
<h2>Charts</h2>
{{range .Charts}}<figure id="fig-{{.ID}}">{{.SVG}}{{if .Note}}<figcaption>{{.Note}}</figcaption>{{end}}</figure>
{{end}}
</body>
</html>
`
