package merge

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"fmt"
	"path/filepath"
	"sort"
	"strings"
	"text/template"
	"time"
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

type cardData struct {
	Name           string
	SizeCategory   string
	Splits         []SplitSummary // non-empty ones
	AllSplits      []SplitSummary
	EmptySplits    []string
	Rules          []splitRule
	SourceRows     []sourceRow
	S              *Summary
	Incomplete     []int
	Shards         int
	CorrectShare   string
	CompleteShare  string
	MinCorrect     int
	FinishReasons  []keyCount
	Models         []keyCount
	Gen            GenerationInfo
	PromptIndented string
	Fence          string
	Judge          bool
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
	switch {
	case len(s.IncludeSources) == 0 && len(s.ExcludeSources) == 0:
		return "every source"
	case len(s.IncludeSources) == 0:
		return "every source except " + quote(s.ExcludeSources)
	case len(s.ExcludeSources) == 0:
		return "only " + quote(s.IncludeSources)
	default:
		return "only " + quote(s.IncludeSources) + ", except " + quote(s.ExcludeSources)
	}
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
		AllSplits:     s.Splits,
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
		JudgeModel:    opts.Judge.Model,
		Date:          now.UTC().Format("2006-01-02 15:04 UTC"),
		Elapsed:       s.Elapsed.Round(time.Millisecond).String(),
	}
	for _, sp := range s.Splits {
		if sp.Rows == 0 {
			d.EmptySplits = append(d.EmptySplits, sp.Name)
		}
		d.Splits = append(d.Splits, sp)
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
