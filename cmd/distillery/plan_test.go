package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/distillery-hpc/distillery/shard"
)

// testEnv returns an Env whose output goes to buffers.
func testEnv(vars map[string]string) (*Env, *bytes.Buffer, *bytes.Buffer) {
	var out, errb bytes.Buffer
	env := &Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: &errb,
		Getenv:   func(k string) string { return vars[k] },
		Environ:  func() []string { return nil },
		Now:      time.Now,
		Hostname: "testhost",
	}
	env.Logger = newLogger(env)
	return env, &out, &errb
}

// distill runs the CLI in-process and returns the exit code and output.
func distill(t *testing.T, vars map[string]string, args ...string) (int, string, string) {
	t.Helper()
	env, out, errb := testEnv(vars)
	code := runApp(context.Background(), env, append([]string{"distillery"}, args...))
	return code, out.String(), errb.String()
}

type numinaRow struct {
	Problem      string `parquet:"problem"`
	Solution     string `parquet:"solution"`
	Answer       string `parquet:"answer"`
	ProblemType  string `parquet:"problem_type"`
	QuestionType string `parquet:"question_type"`
	Source       string `parquet:"source"`
	Valid        string `parquet:"problem_is_valid"`
	Synthetic    bool   `parquet:"synthetic"`
}

type noProblemRow struct {
	Question string `parquet:"question"`
	Answer   string `parquet:"answer"`
}

func writeParquet[T any](t *testing.T, path string, rows []T) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[T](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}

func sampleRows() []numinaRow {
	return []numinaRow{
		{Problem: "What is 1+1?", Answer: "2", Source: "olympiads", Valid: "Yes"},
		{Problem: "what  is 1+1?", Answer: "2", Source: "olympiads", Valid: "Yes"}, // duplicate
		{Problem: "Prove that 2 is prime.", Answer: "proof", Source: "olympiads", Valid: "Yes"},
		{Problem: "Find x if 2x=1.", Answer: `\frac{1}{2}`, Source: "cn_k12", Valid: "Yes"},
		{Problem: "Bad one", Answer: "3", Source: "cn_k12", Valid: "No"},
		{Problem: "Find y.", Answer: "notfound", Source: "cn_k12", Valid: "Yes"},
		{Problem: "Compute 3*3.", Answer: "9", Source: "amc_aime", Valid: "Yes"},
	}
}

func TestPlanFiltersAndIsIdempotent(t *testing.T) {
	dir := t.TempDir()
	writeParquet(t, filepath.Join(dir, "p.parquet"), sampleRows())
	cfg := writeFile(t, dir, "c.toml", "[run]\ndir = \"run\"\n[input]\npaths = [\"*.parquet\"]\n[shard]\nproblems_per_shard = 2\n")
	code, out, errs := distill(t, nil, "plan", "-c", cfg)
	if code != 0 {
		t.Fatalf("plan: %d %s %s", code, out, errs)
	}
	p, err := shard.ReadPlan(shard.Layout{Dir: filepath.Join(dir, "run")})
	if err != nil {
		t.Fatal(err)
	}
	if p.Problems != 3 || len(p.Shards) != 2 || p.Rows != 7 {
		t.Fatalf("plan: %+v", p)
	}
	want := map[string]int{shard.DropDuplicate: 1, shard.DropUncheckable: 2, shard.DropInvalid: 1}
	for k, v := range want {
		if p.Dropped[k] != v {
			t.Errorf("dropped[%s] = %d, want %d (%v)", k, p.Dropped[k], v, p.Dropped)
		}
	}
	if !strings.Contains(out, "duplicate problem: 1") {
		t.Errorf("plan output does not say what it dropped: %q", out)
	}
	ps, _, err := shard.ReadInput(shard.Layout{Dir: filepath.Join(dir, "run")}.Input(1))
	if err != nil || len(ps) != 1 || ps[0].Answer != "9" || ps[0].UUID == "" {
		t.Fatalf("shard 1: %+v %v", ps, err)
	}
	before, _ := os.ReadFile(filepath.Join(dir, "run", "plan.json"))

	// Same inputs and config: a no-op.
	code, out, _ = distill(t, nil, "plan", "-c", cfg)
	after, _ := os.ReadFile(filepath.Join(dir, "run", "plan.json"))
	if code != 0 || !strings.Contains(out, "plan unchanged") || !bytes.Equal(before, after) {
		t.Fatalf("replan: %d %q", code, out)
	}
	// A different plan over the same run dir is refused.
	code, _, errs = distill(t, nil, "plan", "-c", cfg, "--set", "shard.problems_per_shard=5")
	if code == 0 || !strings.Contains(errs, "already holds a different plan") {
		t.Fatalf("different plan: %d %q", code, errs)
	}
}

func TestPlanJSONLAndStableUUIDs(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	for _, r := range sampleRows() {
		b, _ := json.Marshal(map[string]any{"problem": r.Problem, "answer": r.Answer, "source": r.Source, "problem_is_valid": r.Valid})
		buf.Write(b)
		buf.WriteByte('\n')
	}
	writeFile(t, dir, "p.jsonl", buf.String())
	var uuids []string
	for _, run := range []string{"a", "b"} {
		code, _, errs := distill(t, nil, "plan", "--set", "input.paths="+filepath.Join(dir, "p.jsonl"), "--set", "run.dir="+filepath.Join(dir, run))
		if code != 0 {
			t.Fatal(errs)
		}
		ps, _, _ := shard.ReadInput(shard.Layout{Dir: filepath.Join(dir, run)}.Input(0))
		uuids = append(uuids, ps[0].UUID)
	}
	if uuids[0] != uuids[1] || len(uuids[0]) != 36 {
		t.Fatalf("content uuids not stable: %v", uuids)
	}
}

// TestBadInputs: each gets a one-line error, a non-zero exit, and leaves no
// plan behind.
func TestBadInputs(t *testing.T) {
	dir := t.TempDir()
	good := filepath.Join(dir, "good.parquet")
	writeParquet(t, good, sampleRows())
	noProblem := filepath.Join(dir, "noproblem.parquet")
	writeParquet(t, noProblem, []noProblemRow{{Question: "q", Answer: "1"}})
	data, _ := os.ReadFile(good)
	truncated := writeFile(t, dir, "truncated.parquet", string(data[:len(data)/2]))
	empty := writeFile(t, dir, "empty.jsonl", "")
	emptyParquet := writeFile(t, dir, "empty.parquet", "")
	allDropped := writeFile(t, dir, "dropped.jsonl", `{"problem":"p","answer":"proof"}`+"\n")
	badJSON := writeFile(t, dir, "bad.jsonl", `{"problem":"p","answer":"1"}`+"\n{oops\n")
	unknownKey := writeFile(t, dir, "unknown.toml", "[generate]\nendpont = \"http://x\"\n")
	malformed := writeFile(t, dir, "malformed.toml", "[generate\nendpoint = 1\n")

	cases := []struct {
		name string
		args []string
		want []string
	}{
		{"missing input file", []string{"--set", "input.paths=" + filepath.Join(dir, "nope.parquet")}, []string{"nope.parquet does not exist"}},
		{"glob matching nothing", []string{"--set", "input.paths=" + filepath.Join(dir, "*.csv")}, []string{"matches no file"}},
		{"no problem column", []string{"--set", "input.paths=" + noProblem}, []string{"noproblem.parquet", `no column "problem"`, "[input.columns]"}},
		{"truncated parquet", []string{"--set", "input.paths=" + truncated}, []string{"truncated.parquet", "not a readable parquet file"}},
		{"empty jsonl", []string{"--set", "input.paths=" + empty}, []string{"empty.jsonl has no rows"}},
		{"empty parquet", []string{"--set", "input.paths=" + emptyParquet}, []string{"empty.parquet is empty"}},
		{"everything dropped", []string{"--set", "input.paths=" + allDropped}, []string{"no problems left to plan", "uncheckable answer: 1"}},
		{"bad json line", []string{"--set", "input.paths=" + badJSON}, []string{"bad.jsonl line 2"}},
		{"unknown config key", []string{"-c", unknownKey}, []string{"unknown key generate.endpont"}},
		{"malformed toml", []string{"-c", malformed}, []string{"malformed.toml:2", "malformed TOML"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			runDir := filepath.Join(t.TempDir(), "run")
			args := append([]string{"plan", "--set", "run.dir=" + runDir}, tc.args...)
			code, out, errs := distill(t, nil, args...)
			if code == 0 {
				t.Fatalf("exit 0; out %q", out)
			}
			msg := strings.TrimSpace(errs)
			if strings.Count(msg, "\n") != 0 {
				t.Errorf("error is not one line: %q", msg)
			}
			for _, w := range tc.want {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q does not mention %q", msg, w)
				}
			}
			if _, err := os.Stat(filepath.Join(runDir, "plan.json")); err == nil {
				t.Errorf("a plan.json was left behind")
			}
		})
	}
}

func TestUsageErrorsAreOneLineWithExit2(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want string
	}{
		{"unknown flag", []string{"plan", "--bogus"}, "plan: flag provided but not defined: -bogus"},
		{"bad flag value", []string{"merge", "--workers", "abc"}, `merge: invalid value "abc"`},
		{"argument before the flags", []string{"plan", "extra", "-c", "x.toml"}, `plan takes no arguments, got "extra"`},
		{"merge argument", []string{"merge", "run"}, "merge takes no arguments"},
		{"sim-server argument", []string{"sim-server", "x"}, "sim-server takes no arguments"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			code, out, errs := distill(t, nil, tc.args...)
			msg := strings.TrimSpace(errs)
			if code != exitUsage || strings.Contains(msg, "\n") || !strings.Contains(msg, tc.want) || out != "" {
				t.Errorf("exit %d, stderr %q, stdout %q: want exit %d and one line with %q", code, msg, out, exitUsage, tc.want)
			}
		})
	}
}

// A list key set with --set keeps its commas: the value is the list.
func TestSetListKeyWithCommas(t *testing.T) {
	dir := t.TempDir()
	a := writeFile(t, dir, "a.jsonl", `{"problem":"What is 1+1?","answer":"2"}`+"\n")
	b := writeFile(t, dir, "b.jsonl", `{"problem":"What is 2+2?","answer":"4"}`+"\n")
	code, out, errs := distill(t, nil, "plan", "--set", "run.dir="+filepath.Join(dir, "run"), "--set", "input.paths="+a+","+b)
	if code != 0 || !strings.Contains(out, "planned 2 problems") {
		t.Fatalf("exit %d, out %q, err %q", code, out, errs)
	}
}
