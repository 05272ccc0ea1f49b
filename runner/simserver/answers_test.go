package simserver

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/distillery-hpc/distillery/shard"
)

var golds = []string{
	"42", "-7", "0", "1,000", "0.25", "3.5", "\\frac{1}{2}", "-\\frac{3}{4}", "\\dfrac{5}{6}", "2/3",
	"\\sqrt{2}", "3\\sqrt{3}", "2+\\sqrt{5}", "(1, 2)", "(1,2,3)", "[0, 1)", "(-\\infty, 2]", "\\{-2, 2\\}",
	"x^2+1", "x = 4", "B", "E", "\\text{yes}", "\\text{no solution}", "25\\%", "\\pi", "e", "\\frac{\\pi}{2}",
	"n(n+1)/2", "\\sin x",
}

func TestRewriteIsEquivalent(t *testing.T) {
	for _, g := range golds {
		for i := 0; i < 20; i++ {
			r := newRand(1, g, strconv.Itoa(i))
			rw := rewrite(g, r)
			if rw == g {
				t.Errorf("rewrite(%q) = the gold verbatim", g)
			}
			if v := compareAnswers(g, rw); v != VerdictEquivalent {
				t.Errorf("rewrite(%q) = %q, judged %s", g, rw, v)
			}
			if strings.Contains(g, "\\sin x") && !strings.Contains(rw, "\\sin x") {
				t.Errorf("rewrite(%q) = %q merged a command with its argument", g, rw)
			}
		}
	}
}

func TestPerturbIsDifferent(t *testing.T) {
	for _, g := range golds {
		for i := 0; i < 20; i++ {
			r := newRand(1, g, strconv.Itoa(i))
			w := perturb(g, r)
			if w == g || normalizeAnswer(w) == normalizeAnswer(g) {
				t.Errorf("perturb(%q) = %q, the same answer", g, w)
			}
			if v := compareAnswers(g, w); v == VerdictEquivalent {
				t.Errorf("perturb(%q) = %q, judged EQUIVALENT", g, w)
			}
		}
	}
}

func TestWriteCompletion(t *testing.T) {
	tests := []struct {
		name      string
		kind      Kind
		length    int
		maxTokens int
		finish    string
	}{
		{"right", KindRight, 500, 16384, "stop"},
		{"wrong", KindWrong, 500, 16384, "stop"},
		{"rewritten", KindRewritten, 500, 16384, "stop"},
		{"unboxed", KindUnboxed, 500, 16384, "stop"},
		{"tiny length grows to the skeleton", KindRight, 1, 16384, "stop"},
		{"cut", KindRight, 5000, 1000, "length"},
		{"cut just over", KindRight, 1001, 1000, "length"},
		{"cut to a few tokens", KindRight, 500, 3, "length"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := newRand(3, tt.name)
			c := writeCompletion(r, "Find $\\frac{1}{2}+0$.", "\\frac{1}{2}", tt.kind, tt.length, tt.maxTokens)
			if c.FinishReason != tt.finish {
				t.Fatalf("finish %q, want %q", c.FinishReason, tt.finish)
			}
			if c.CompletionTokens != countTokens(c.Text) && tt.finish == "stop" {
				t.Errorf("completion tokens %d, text has %d", c.CompletionTokens, countTokens(c.Text))
			}
			if c.CompletionTokens > tt.maxTokens || countTokens(c.Text) > tt.maxTokens {
				t.Errorf("%d tokens (text %d) > max %d", c.CompletionTokens, countTokens(c.Text), tt.maxTokens)
			}
			boxed, ok := lastBoxed(c.Text)
			switch {
			case tt.finish == "length":
				if ok || strings.Contains(c.Text, "</think>") {
					t.Errorf("cut text has an answer: %q", tail(c.Text, 80))
				}
			case tt.kind == KindUnboxed:
				if ok {
					t.Errorf("unboxed text has a box")
				}
			case tt.kind == KindRight:
				if boxed != "\\frac{1}{2}" {
					t.Errorf("right answer boxed %q", boxed)
				}
			case tt.kind == KindWrong:
				if compareAnswers("\\frac{1}{2}", boxed) != VerdictDifferent {
					t.Errorf("wrong answer boxed %q", boxed)
				}
			case tt.kind == KindRewritten:
				if boxed == "\\frac{1}{2}" || compareAnswers("\\frac{1}{2}", boxed) != VerdictEquivalent {
					t.Errorf("rewritten answer boxed %q", boxed)
				}
			}
			if tt.finish == "stop" && tt.length > 100 {
				if got := c.CompletionTokens; got < tt.length-5 || got > tt.length+5 {
					t.Errorf("%d tokens, want about %d", got, tt.length)
				}
			}
		})
	}
}

func TestLoadProblems(t *testing.T) {
	dir := t.TempDir()
	l := shard.Layout{Dir: dir}
	if err := os.MkdirAll(l.InputDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	ps := testProblems(7)
	if _, err := shard.WriteInput(l.Input(0), ps[:4]); err != nil {
		t.Fatal(err)
	}
	if _, err := shard.WriteInput(l.Input(1), ps[4:]); err != nil {
		t.Fatal(err)
	}
	got, err := LoadRunDir(dir)
	if err != nil || len(got) != 7 || got[6].UUID != ps[6].UUID {
		t.Fatalf("LoadRunDir: %v, %d problems", err, len(got))
	}
	if _, err := LoadRunDir(t.TempDir()); err == nil || !strings.Contains(err.Error(), "distillery plan") {
		t.Errorf("empty run dir: %v", err)
	}

	jsonl := filepath.Join(dir, "p.jsonl")
	os.WriteFile(jsonl, []byte(`{"problem":"What is 2+2?","answer":"4"}`+"\n\n"+`{"problem":"What is 3+3?","answer":"6","source":"x"}`+"\n"), 0o644)
	got, err = ReadProblemsFile(jsonl)
	if err != nil || len(got) != 2 || got[1].Answer != "6" {
		t.Fatalf("ReadProblemsFile: %v %+v", err, got)
	}
	bad := filepath.Join(dir, "bad.jsonl")
	os.WriteFile(bad, []byte(`{"problem":"a","answer":"1"}`+"\n"+`{"problem":`+"\n"), 0o644)
	if _, err := ReadProblemsFile(bad); err == nil || !strings.Contains(err.Error(), "line 2") {
		t.Errorf("bad line: %v", err)
	}
	if _, err := ReadProblemsFile(filepath.Join(dir, "missing.jsonl")); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("missing file: %v", err)
	}
}

func TestConfigValidate(t *testing.T) {
	if err := DefaultConfig().Validate(); err != nil {
		t.Fatalf("defaults: %v", err)
	}
	tests := []struct {
		name string
		edit func(*Config)
		key  string
	}{
		{"time scale", func(c *Config) { c.TimeScale = 0 }, "sim.time_scale"},
		{"slots", func(c *Config) { c.MaxRunningRequests = 0 }, "sim.max_running_requests"},
		{"negative share", func(c *Config) { c.ShareWrong = -1 }, "sim.share_wrong"},
		{"all shares zero", func(c *Config) { c.ShareRight, c.ShareWrong, c.ShareRewritten, c.ShareUnboxed = 0, 0, 0, 0 }, "sim.share_right"},
		{"fault above 1", func(c *Config) { c.FaultHang = 1.5 }, "sim.fault_hang"},
		{"faults sum above 1", func(c *Config) { c.Fault5xx, c.Fault429 = 0.6, 0.6 }, "sim.fault_5xx"},
		{"crash", func(c *Config) { c.CrashAfter = -1 }, "sim.crash_after"},
		{"no model name", func(c *Config) { c.Model = "" }, "sim.model"},
		// The simulator never passes for a model in the records.
		{"a model's name", func(c *Config) { c.Model = "deepseek-ai/DeepSeek-R1" }, `must start with "distillery-sim"`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := DefaultConfig()
			tt.edit(&c)
			if err := c.Validate(); err == nil || !strings.Contains(err.Error(), tt.key) {
				t.Errorf("Validate() = %v, want an error naming %s", err, tt.key)
			}
		})
	}
}

// ReadProblemsFile reads what the planner reads: parquet, and JSONL with
// numeric answers (NuminaMath rows), not only input-shard lines.
func TestReadProblemsFileFormats(t *testing.T) {
	dir := t.TempDir()
	num := filepath.Join(dir, "n.jsonl")
	os.WriteFile(num, []byte(`{"problem":"What is 6*7?","answer":42}`+"\n"), 0o644)
	got, err := ReadProblemsFile(num)
	if err != nil || len(got) != 1 || got[0].Answer != "42" {
		t.Fatalf("numeric answer: %v %+v", err, got)
	}
	pq := filepath.Join("..", "..", "examples", "problems.parquet")
	got, err = ReadProblemsFile(pq)
	if err != nil || len(got) < 50 || got[0].Problem == "" || got[0].Answer == "" {
		t.Fatalf("parquet %s: %v, %d problems", pq, err, len(got))
	}
}

// With a plan.json, LoadRunDir serves the shards it names, not every
// shard file an interrupted earlier plan left.
func TestLoadRunDirGoesByPlan(t *testing.T) {
	dir := t.TempDir()
	l := shard.Layout{Dir: dir}
	ps := testProblems(5)
	sum, err := shard.WriteInput(l.Input(0), ps[:3])
	if err != nil {
		t.Fatal(err)
	}
	if _, err := shard.WriteInput(l.Input(1), ps[3:]); err != nil { // not in the plan
		t.Fatal(err)
	}
	plan := shard.Plan{Version: 1, Shards: []shard.ShardInfo{{ID: 0, Problems: 3, SHA256: sum, File: "input/shard-00000.jsonl.zst"}}}
	b, _ := json.Marshal(plan)
	if err := os.WriteFile(l.PlanFile(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := LoadRunDir(dir)
	if err != nil || len(got) != 3 {
		t.Fatalf("LoadRunDir: %v, %d problems, want 3", err, len(got))
	}
	os.WriteFile(l.PlanFile(), []byte("{"), 0o644)
	if _, err := LoadRunDir(dir); err == nil || !strings.Contains(err.Error(), "plan.json") {
		t.Errorf("corrupt plan.json: %v", err)
	}
}
