package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery-hpc/distillery/internal/testenv"
	"github.com/distillery-hpc/distillery/shard"
)

// localQuickstart runs `distillery local` on the quickstart (the embedded
// simulator) into a fresh run dir, with extra flags, and returns the run
// dir.
func localQuickstart(t *testing.T, extra ...string) string {
	t.Helper()
	runDir := filepath.Join(t.TempDir(), "run")
	args := append([]string{"local", "-c", "../../examples/quickstart.toml", "--set", "run.dir=" + runDir}, extra...)
	if code, out, errs := distill(t, nil, args...); code != 0 {
		t.Fatalf("local exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	return runDir
}

// treeSums maps every file under dir to its SHA-256.
func treeSums(t *testing.T, dir string) map[string]string {
	t.Helper()
	sums := map[string]string{}
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		s := sha256.Sum256(b)
		sums[path] = hex.EncodeToString(s[:])
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return sums
}

// TestPlanSettingsRecorded: plan.json records every generation setting
// under its contract name, with the config's values.
func TestPlanSettingsRecorded(t *testing.T) {
	runDir := filepath.Join(t.TempDir(), "run")
	code, _, errs := distill(t, nil, "plan", "-c", "../../examples/quickstart.toml", "--set", "run.dir="+runDir,
		"--set", "generate.system_prompt=Be brief.", "--set", "generate.temperature=0.7")
	if code != 0 {
		t.Fatalf("plan exit %d: %s", code, errs)
	}
	b, err := os.ReadFile(shard.Layout{Dir: runDir}.PlanFile())
	if err != nil {
		t.Fatal(err)
	}
	var got map[string]any
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{
		"version": float64(shard.PlanVersion), "model": "deepseek-ai/DeepSeek-R1", "system_prompt": "Be brief.",
		"prompt_template": "{problem}\n\nPlease reason step by step, and put your final answer within \\boxed{}.",
		"num_generations": float64(4), "temperature": 0.7, "top_p": 0.95, "max_tokens": float64(16384),
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("plan.json %s = %#v, want %#v", k, got[k], v)
		}
	}
}

// TestPlanSettingsDrift: after `local` on the quickstart, every command
// that generates or describes the generations refuses a config whose
// settings differ from the plan's, in one line naming plan.json, the key
// and both values, and leaves the run dir as it was. With the plan's
// settings, merge runs again and the card and rows say what the plan
// says.
func TestPlanSettingsDrift(t *testing.T) {
	runDir := localQuickstart(t)
	l := shard.Layout{Dir: runDir}
	before := treeSums(t, runDir)
	base := []string{"-c", "../../examples/quickstart.toml", "--set", "run.dir=" + runDir}
	tests := []struct {
		name string
		args []string
		want []string // in the one-line error
	}{
		{"merge prompt", []string{"merge", "--set", "generate.prompt_template=SOMETHING ELSE {problem}"},
			[]string{"generate.prompt_template is \"SOMETHING ELSE {problem}\" here but \"{problem}\\n\\nPlease reason"}},
		{"merge temperature", []string{"merge", "--set", "generate.temperature=1.5"},
			[]string{"generate.temperature is 1.5 here but 0.6 in the plan"}},
		{"merge three keys", []string{"merge", "--set", "generate.prompt_template=SOMETHING ELSE {problem}", "--set", "generate.temperature=1.5", "--set", "generate.num_generations=9"},
			[]string{"generate.prompt_template is", "generate.temperature is 1.5", "generate.num_generations is 9 here but 4 in the plan"}},
		{"local resumed", []string{"local", "--set", "generate.num_generations=6"},
			[]string{"generate.num_generations is 6 here but 4 in the plan"}},
		{"run", []string{"run", "--shard", "0", "--set", "generate.endpoint=http://127.0.0.1:1", "--set", "generate.max_tokens=100"},
			[]string{"generate.max_tokens is 100 here but 16384 in the plan"}},
		{"plan", []string{"plan", "--set", "generate.model=other/model"},
			[]string{`generate.model is "other/model" here but "deepseek-ai/DeepSeek-R1" in the plan`}},
		{"system prompt from the environment", []string{"merge"},
			[]string{`generate.system_prompt is "Be brief." here but "" in the plan`}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var vars map[string]string
			if tt.name == "system prompt from the environment" {
				vars = map[string]string{"DISTILLERY_GENERATE_SYSTEM_PROMPT": "Be brief."}
			}
			args := append([]string{tt.args[0]}, append(append([]string{}, base...), tt.args[1:]...)...)
			code, _, errs := distill(t, vars, args...)
			msg := lastLine(errs)
			if code != exitError {
				t.Fatalf("exit %d, want %d; stderr %q", code, exitError, errs)
			}
			for _, w := range append(tt.want, l.PlanFile(), "start a new run dir") {
				if !strings.Contains(msg, w) {
					t.Errorf("error %q lacks %q", msg, w)
				}
			}
			if after := treeSums(t, runDir); len(after) != len(before) {
				t.Errorf("the refused %s changed the run dir: %d files, was %d", tt.name, len(after), len(before))
			} else {
				for f, s := range before {
					if after[f] != s {
						t.Errorf("the refused %s changed %s", tt.name, f)
					}
				}
			}
		})
	}

	// The other direction: the plan's settings merge again, and the rows
	// and card carry the plan's prompt and counts.
	if code, out, errs := distill(t, nil, append([]string{"merge"}, base...)...); code != 0 {
		t.Fatalf("merge with the plan's settings: exit %d\n%s\n%s", code, out, errs)
	}
	card, err := os.ReadFile(filepath.Join(l.DatasetDir(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, w := range []string{"4 per problem from", "temperature 0.6, top_p 0.95", "Please reason step by step"} {
		if !strings.Contains(string(card), w) {
			t.Errorf("card lacks %q", w)
		}
	}
	checkUserTurns(t, l.DatasetDir(), "\n\nPlease reason step by step, and put your final answer within \\boxed{}.")
}

// checkUserTurns reads every row of the dataset with DuckDB and fails
// unless each user turn is the row's problem followed by suffix.
func checkUserTurns(t *testing.T, datasetDir, suffix string) {
	t.Helper()
	const js = `
const path = require('path');
const { DuckDBInstance } = require(path.join(process.env.NODE_MODULES_DIR, '@duckdb', 'node-api'));
(async () => {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const glob = "'" + (process.env.DATA_DIR + '/*/train-*-of-*.parquet').replace(/'/g, "''") + "'";
  const suffix = "'" + process.env.SUFFIX.replace(/'/g, "''") + "'";
  const r = await c.runAndReadAll('SELECT count(*)::INTEGER AS n, count(*) FILTER (WHERE messages[1].content <> problem || ' + suffix + ')::INTEGER AS bad FROM read_parquet(' + glob + ')');
  console.log(JSON.stringify(r.getRowObjectsJson()[0]));
})().catch((e) => { console.error(String(e)); process.exit(1); });
`
	out := testenv.NeedDuckDB(t).Run(t, js, "DATA_DIR="+datasetDir, "SUFFIX="+suffix)
	var got struct{ N, Bad int }
	if err := json.Unmarshal(out, &got); err != nil {
		t.Fatalf("DuckDB output %q: %v", out, err)
	}
	if got.N == 0 || got.Bad != 0 {
		t.Errorf("%d rows, %d whose user turn is not the problem + %q", got.N, got.Bad, suffix)
	}
}

// TestPlanSettingsVersion1: a plan.json of format version 1 (no settings
// but num_generations) still merges: the prompt and sampling come from the
// config, with a warning, and the card says so.
func TestPlanSettingsVersion1(t *testing.T) {
	runDir := localQuickstart(t)
	l := shard.Layout{Dir: runDir}
	b, err := os.ReadFile(l.PlanFile())
	if err != nil {
		t.Fatal(err)
	}
	var p map[string]any
	if err := json.Unmarshal(b, &p); err != nil {
		t.Fatal(err)
	}
	p["version"] = 1
	for _, k := range []string{"model", "system_prompt", "prompt_template", "temperature", "top_p", "max_tokens"} {
		delete(p, k)
	}
	b, _ = json.Marshal(p)
	if err := os.WriteFile(l.PlanFile(), b, 0o644); err != nil {
		t.Fatal(err)
	}
	code, _, errs := distill(t, nil, "merge", "-c", "../../examples/quickstart.toml", "--set", "run.dir="+runDir,
		"--set", "generate.prompt_template=Solve: {problem}")
	if code != 0 {
		t.Fatalf("merge of a version 1 plan: exit %d\n%s", code, errs)
	}
	if !strings.Contains(errs, "format version 1") {
		t.Errorf("no warning about the version 1 plan:\n%s", errs)
	}
	card, _ := os.ReadFile(filepath.Join(l.DatasetDir(), "README.md"))
	if !strings.Contains(string(card), "Solve: {problem}") || !strings.Contains(string(card), "of format version 1, records none") {
		t.Errorf("card of a version 1 plan does not show the config's prompt and where it came from")
	}
	// num_generations is in a version 1 plan: it must still agree.
	code, _, errs = distill(t, nil, "merge", "-c", "../../examples/quickstart.toml", "--set", "run.dir="+runDir,
		"--set", "generate.num_generations=9")
	if code == 0 || !strings.Contains(lastLine(errs), "generate.num_generations is 9 here but 4 in the plan") {
		t.Errorf("exit %d, stderr %q", code, errs)
	}
}

// TestSimulatorProvenance: a run the simulator made records the
// simulator's name in every generation, and its card says so at the top.
func TestSimulatorProvenance(t *testing.T) {
	runDir := localQuickstart(t)
	l := shard.Layout{Dir: runDir}
	plan, err := shard.ReadPlan(l)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, s := range plan.Shards {
		if _, err := shard.ReadOutput(l.Output(s.ID), func(g *shard.Generation) error {
			n++
			if g.Model != shard.SimulatorModel {
				t.Fatalf("shard %d: generation %s/%d says model %q, want %q", s.ID, g.UUID, g.Index, g.Model, shard.SimulatorModel)
			}
			return nil
		}); err != nil {
			t.Fatal(err)
		}
	}
	if n == 0 {
		t.Fatal("no generations")
	}
	card, err := os.ReadFile(filepath.Join(l.DatasetDir(), "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	_, body, _ := strings.Cut(string(card), "\n---\n")
	head := strings.SplitN(strings.TrimSpace(body), "\n\n", 3)
	if len(head) < 2 || !strings.HasPrefix(head[1], "**Simulated run, not a model:**") || !strings.Contains(head[1], "judge's rulings") {
		t.Errorf("card does not open with the simulator banner:\n%.600s", body)
	}
	if !strings.Contains(string(card), "(requested as `deepseek-ai/DeepSeek-R1`") {
		t.Errorf("card does not name the requested model beside the simulator's")
	}
}

// lastLine is the last non-empty line of s: the error line after any
// log lines.
func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}
