package merge

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"text/template"
	"time"

	"github.com/distillery-hpc/distillery/shard"
)

//go:embed templates/card.md.tmpl
var cardTemplateText string

// newCardTemplate parses the dataset card template; missing keys are
// errors, so a renamed field fails the golden test, not a user's merge.
func newCardTemplate() (*template.Template, error) {
	return template.New("card").Option("missingkey=error").Funcs(template.FuncMap{
		"json": func(s string) string { b, _ := json.Marshal(s); return string(b) },
	}).Parse(cardTemplateText)
}

type keyCount struct {
	Key string
	N   int
}

type sourceRow struct {
	Split, Source string
	Rows          int
}

type splitRule struct{ Name, Text string }

// cardConfig is one config of the card's YAML: a split, or `all`.
type cardConfig struct {
	Name            string
	Default         bool
	Globs           []string
	Rows            int
	Bytes, NumBytes int64
}

type cardData struct {
	Name          string
	SizeCategory  string
	License       string
	Configs       []cardConfig
	NoAll         bool // several splits, but not disjoint
	DefaultName   string
	LoadPath      string
	EmptySplits   []string
	Rules         []splitRule
	SourceRows    []sourceRow
	S             *Summary
	Incomplete    []int
	Shards        int
	CorrectShare  string
	CompleteShare string
	MinCorrect    int
	FinishReasons []keyCount
	Models        []keyCount
	Gen           GenerationInfo
	// Simulated is set when some generation came from distillery's
	// simulator (SimModels are its names); SimulatedJudge when some
	// judge reply did.
	Simulated      bool
	SimulatedJudge bool
	SimModels      []string
	// RequestedModel is the plan's model when the servers reported other
	// names (or several); PerProblem says how the records' counts per
	// problem differ from the plan's num_generations; ExtraBody is the
	// plan's further sampling parameters as JSON.
	RequestedModel string
	PerProblem     string
	ExtraBody      string
	PromptIndented string
	Fence          string
	Judge          bool
	JudgeRejected  bool
	JudgedShare    string
	JudgeModel     string
	Date           string
	Elapsed        string
}

func sortedCounts(m map[string]int) []keyCount {
	out := make([]keyCount, 0, len(m))
	for k, n := range m {
		out = append(out, keyCount{k, n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].N != out[j].N {
			return out[i].N > out[j].N
		}
		return out[i].Key < out[j].Key
	})
	return out
}

func share(n, of int) string {
	if of == 0 {
		return "n/a"
	}
	return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(of))
}

func sizeCategory(n int) string {
	switch {
	case n < 1000:
		return "n<1K"
	case n < 10_000:
		return "1K<n<10K"
	case n < 100_000:
		return "10K<n<100K"
	case n < 1_000_000:
		return "100K<n<1M"
	default:
		return "1M<n<10M"
	}
}

func ruleText(s Split) string {
	quote := func(xs []string) string {
		q := make([]string, len(xs))
		for i, x := range xs {
			q[i] = "`" + x + "`"
		}
		return strings.Join(q, ", ")
	}
	set := func(what string, include, exclude []string) string {
		switch {
		case len(include) == 0 && len(exclude) == 0:
			return "every " + what
		case len(include) == 0:
			return "every " + what + " except " + quote(exclude)
		case len(exclude) == 0:
			return "only " + what + " " + quote(include)
		default:
			return "only " + what + " " + quote(include) + ", except " + quote(exclude)
		}
	}
	text := set("source", s.IncludeSources, s.ExcludeSources)
	if len(s.IncludeQuestionTypes)+len(s.ExcludeQuestionTypes) > 0 {
		text += "; " + set("question type", s.IncludeQuestionTypes, s.ExcludeQuestionTypes)
	}
	if s.MinCorrect > 0 {
		text += fmt.Sprintf("; at least %d correct generations", s.MinCorrect)
	}
	if s.RequireCompleteReasoning {
		text += fmt.Sprintf("; at least %d correct with complete reasoning", max(1, s.MinCorrect))
	}
	return text
}

// cardConfigs lists the card's configs: `all` first when the splits are
// two or more and disjoint (every kept row in one split at most), then the
// splits in their order.
func cardConfigs(s *Summary) (cfgs []cardConfig, noAll bool) {
	var all cardConfig
	all.Name = AllConfig
	for _, sp := range s.Splits {
		glob := sp.Dir + "/train-*"
		cfgs = append(cfgs, cardConfig{Name: sp.Name, Default: sp.Default, Globs: []string{glob},
			Rows: sp.Rows, Bytes: sp.Bytes, NumBytes: sp.NumBytes})
		all.Globs = append(all.Globs, glob)
		all.Rows += sp.Rows
		all.Bytes += sp.Bytes
		all.NumBytes += sp.NumBytes
	}
	if len(s.Splits) < 2 {
		return cfgs, false
	}
	if s.InSeveralSplits > 0 {
		return cfgs, true
	}
	return append([]cardConfig{all}, cfgs...), false
}

// renderCard renders <dataset>/README.md.
func renderCard(opts Options, s *Summary, now time.Time) ([]byte, error) {
	t, err := newCardTemplate()
	if err != nil {
		return nil, fmt.Errorf("parsing the dataset card template: %w", err)
	}
	d := cardData{
		Name:          "distillery dataset " + filepath.Base(opts.Layout.Dir),
		SizeCategory:  sizeCategory(s.Kept),
		License:       opts.Config.License,
		LoadPath:      s.DatasetDir,
		S:             s,
		Incomplete:    s.Incomplete,
		Shards:        s.Shards,
		CorrectShare:  share(s.Correct, s.Generations),
		CompleteShare: share(s.ReasoningComplete, s.Generations),
		MinCorrect:    opts.Config.MinCorrect,
		FinishReasons: sortedCounts(s.FinishReasons),
		Models:        sortedCounts(s.Models),
		Gen:           opts.Generation,
		Judge:         opts.JudgeClient != nil || s.Judged > 0,
		JudgeRejected: opts.Judge.JudgeRejected,
		JudgedShare:   share(s.Judged, s.Generations),
		JudgeModel:    judgeModel(opts, s),
		Date:          now.UTC().Format("2006-01-02 15:04 UTC"),
		Elapsed:       s.Elapsed.Round(time.Millisecond).String(),
	}
	if d.License == "" {
		d.License = DefaultLicense
	}
	d.Configs, d.NoAll = cardConfigs(s)
	d.provenance(opts.Generation, s)
	for _, sp := range s.Splits {
		if sp.Default {
			d.DefaultName = sp.Name
		}
		if sp.Rows == 0 {
			d.EmptySplits = append(d.EmptySplits, sp.Name)
		}
		for _, kc := range sortedCounts(sp.Sources) {
			d.SourceRows = append(d.SourceRows, sourceRow{sp.Name, kc.Key, kc.N})
		}
	}
	for _, r := range opts.Config.Splits {
		d.Rules = append(d.Rules, splitRule{r.Name, ruleText(r)})
	}
	prompt := opts.Generation.PromptTemplate
	if opts.Generation.SystemPrompt != "" {
		prompt = "[system] " + opts.Generation.SystemPrompt + "\n[user] " + prompt
	}
	d.Fence = "```"
	for strings.Contains(prompt, d.Fence) {
		d.Fence += "`"
	}
	lines := strings.Split(prompt, "\n")
	for i, l := range lines {
		if l != "" {
			lines[i] = "   " + l
		}
	}
	d.PromptIndented = strings.Join(lines, "\n")
	var buf bytes.Buffer
	if err := t.Execute(&buf, d); err != nil {
		return nil, fmt.Errorf("rendering the dataset card: %w", err)
	}
	return buf.Bytes(), nil
}

// provenance fills in what the card says about where the generations came
// from: the simulator banner, the model names the servers reported against
// the one requested, and counts per problem that differ from the plan's.
func (d *cardData) provenance(gen GenerationInfo, s *Summary) {
	for _, kc := range d.Models {
		if shard.IsSimulatorModel(kc.Key) {
			d.Simulated = true
			d.SimModels = append(d.SimModels, kc.Key)
		}
	}
	for m := range s.JudgeModels {
		if shard.IsSimulatorModel(m) {
			d.Simulated, d.SimulatedJudge = true, true
			if !slices.Contains(d.SimModels, m) {
				d.SimModels = append(d.SimModels, m)
			}
		}
	}
	if len(d.Models) > 0 && (len(d.Models) > 1 || d.Models[0].Key != gen.Model) {
		d.RequestedModel = gen.Model
	}
	if len(s.PerProblem) > 1 || len(s.PerProblem) == 1 && s.PerProblem[gen.NumGenerations] == 0 {
		ns := make([]int, 0, len(s.PerProblem))
		for n := range s.PerProblem {
			ns = append(ns, n)
		}
		sort.Ints(ns)
		parts := make([]string, len(ns))
		for i, n := range ns {
			parts[i] = fmt.Sprintf("%d problems have %d", s.PerProblem[n], n)
		}
		d.PerProblem = "the output holds other counts: " + strings.Join(parts, ", ")
	}
	if len(gen.ExtraBody) > 0 {
		b, _ := json.Marshal(gen.ExtraBody)
		d.ExtraBody = string(b)
	}
}

// judgeModel names the judge as its server reported itself, else as
// configured (every ruling reused from the cache).
func judgeModel(opts Options, s *Summary) string {
	if len(s.JudgeModels) == 0 {
		return opts.Judge.Model
	}
	names := make([]string, 0, len(s.JudgeModels))
	for _, kc := range sortedCounts(s.JudgeModels) {
		names = append(names, kc.Key)
	}
	return strings.Join(names, "`, `")
}
