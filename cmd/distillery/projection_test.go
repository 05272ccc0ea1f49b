package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/distillery-hpc/distillery/runner/simserver"
	"github.com/distillery-hpc/distillery/shard"
)

// twelveShardRun plans 96 problems of the example set into 12 shards of
// 8 in a fresh directory and starts the simulator on its inputs; it
// returns the config path and the simulator's URL.
func twelveShardRun(t *testing.T) (string, string, shard.Layout) {
	t.Helper()
	dir := t.TempDir()
	// The example set keeps 98 problems; plan once to learn which, then
	// plan the first 96 of them.
	code, out, errs := distill(t, nil, "plan", "-c", "../../examples/quickstart.toml", "--set", "run.dir="+filepath.Join(dir, "all"))
	if code != 0 {
		t.Fatalf("plan: %d\n%s\n%s", code, out, errs)
	}
	all := shard.Layout{Dir: filepath.Join(dir, "all")}
	plan, err := shard.ReadPlan(all)
	if err != nil {
		t.Fatal(err)
	}
	var problems []shard.Problem
	for _, info := range plan.Shards {
		ps, _, err := shard.ReadShardInput(all, info)
		if err != nil {
			t.Fatal(err)
		}
		problems = append(problems, ps...)
	}
	if len(problems) < 96 {
		t.Fatalf("the example set plans %d problems, want at least 96", len(problems))
	}
	input := filepath.Join(dir, "problems.jsonl")
	err = shard.WriteAtomic(input, func(w *bufio.Writer) error {
		enc := json.NewEncoder(w)
		for _, p := range problems[:96] {
			if err := enc.Encode(p); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "distillery.toml")
	toml := fmt.Sprintf(`[run]
dir = "run"
[input]
paths = [%q]
[shard]
problems_per_shard = 8
[generate]
model = "test/model"
num_generations = 4
concurrency = 16
max_tokens = 8192
flush_interval = "50ms"
[merge]
min_correct = 2
[judge]
enabled = false
`, input)
	if err := os.WriteFile(cfg, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	if code, out, errs := distill(t, nil, "plan", "-c", cfg); code != 0 {
		t.Fatalf("plan: %d\n%s\n%s", code, out, errs)
	}
	l := shard.Layout{Dir: filepath.Join(dir, "run")}
	ps, err := simserver.LoadRunDir(l.Dir)
	if err != nil {
		t.Fatal(err)
	}
	sc := simserver.DefaultConfig()
	sc.Model = "test/model"
	sc.LoadTime = 0
	sc.TimeScale = 1e6
	sc.MeanCompletionTokens = 3000
	inst, err := simserver.New(sc, ps, nil).Start(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })
	return cfg, inst.URL, l
}

// statusJSON runs `status --json` and returns its projection.
func statusProjectionJSON(t *testing.T, cfg string) map[string]json.RawMessage {
	t.Helper()
	_, out, errs := distill(t, nil, "status", "--json", "-c", cfg)
	var doc struct {
		Projection map[string]json.RawMessage `json:"projection"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		t.Fatalf("status --json: %v\n%s\n%s", err, out, errs)
	}
	if doc.Projection == nil {
		t.Fatalf("status --json has no projection:\n%s", out)
	}
	return doc.Projection
}

type rangeJSON struct{ Value, Low, High float64 }

func figure(t *testing.T, p map[string]json.RawMessage, key string) rangeJSON {
	t.Helper()
	var r rangeJSON
	if err := json.Unmarshal(p[key], &r); err != nil || p[key] == nil {
		t.Fatalf("projection.%s: %v (%s)", key, err, p[key])
	}
	if r.Low > r.Value || r.Value > r.High {
		t.Errorf("projection.%s: value %v outside its range [%v, %v]", key, r.Value, r.Low, r.High)
	}
	return r
}

// TestProjectionAgainstFinishedRun: the projection made from 3 of 12 done
// shards is checked against the same run finished: completion tokens (the
// done markers' sum) and kept problems (merge's count) within 15%; the
// generations exactly; every figure of status --json's projection has a
// range. Then plan --estimate-from projects the whole run from the first
// three shards as a pilot.
func TestProjectionAgainstFinishedRun(t *testing.T) {
	cfg, url, l := twelveShardRun(t)
	set := "generate.endpoint=" + url
	if code, out, errs := distill(t, nil, "run", "-c", cfg, "--set", set, "--shard", "0-2"); code != 0 {
		t.Fatalf("run 0-2: %d\n%s\n%s", code, out, errs)
	}
	p := statusProjectionJSON(t, cfg)
	for _, k := range []string{"completion_tokens_total", "generations_total", "gpu_hours_total", "makespan_seconds", "kept_problems", "judge_calls"} {
		figure(t, p, k)
	}
	toks := figure(t, p, "completion_tokens_total")
	kept := figure(t, p, "kept_problems")
	gens := figure(t, p, "generations_total")
	if toks.Low == toks.High || kept.Low == kept.High {
		t.Errorf("projection from 3 of 12 shards without a range: tokens %+v, kept %+v", toks, kept)
	}

	if code, out, errs := distill(t, nil, "run", "-c", cfg, "--set", set, "--shard", "3-11"); code != 0 {
		t.Fatalf("run 3-11: %d\n%s\n%s", code, out, errs)
	}
	plan, err := shard.ReadPlan(l)
	if err != nil {
		t.Fatal(err)
	}
	var tokens int64
	for _, info := range plan.Shards {
		d, ok, err := shard.ReadDone(l, info.ID)
		if err != nil || !ok {
			t.Fatalf("shard %d not done: %v", info.ID, err)
		}
		tokens += d.Tokens
	}
	code, out, errs := distill(t, nil, "merge", "-c", cfg)
	if code != 0 {
		t.Fatalf("merge: %d\n%s\n%s", code, out, errs)
	}
	m := regexp.MustCompile(`rows\s+(\d+) kept`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("merge does not say how many problems it kept:\n%s", out)
	}
	keptTrue, _ := strconv.Atoi(m[1])

	tokErr := math.Abs(toks.Value-float64(tokens)) / float64(tokens)
	keptErr := math.Abs(kept.Value-float64(keptTrue)) / float64(keptTrue)
	t.Logf("from 3 of 12 shards: completion tokens %.0f (%.0f–%.0f), actual %d: error %.1f%%", toks.Value, toks.Low, toks.High, tokens, 100*tokErr)
	t.Logf("from 3 of 12 shards: kept problems %.1f (%.1f–%.1f), merge kept %d: error %.1f%%", kept.Value, kept.Low, kept.High, keptTrue, 100*keptErr)
	if tokErr > 0.15 {
		t.Errorf("completion tokens projected %.0f, actual %d: off by %.1f%% (> 15%%)", toks.Value, tokens, 100*tokErr)
	}
	if keptErr > 0.15 {
		t.Errorf("kept problems projected %.1f, merge kept %d: off by %.1f%% (> 15%%)", kept.Value, keptTrue, 100*keptErr)
	}
	if gens.Value != 96*4 {
		t.Errorf("generations projected %v, the plan has %d", gens.Value, 96*4)
	}

	// Finished, the projection is the run itself.
	p = statusProjectionJSON(t, cfg)
	if got := figure(t, p, "completion_tokens_total"); got.Value != float64(tokens) || got.Low != got.High {
		t.Errorf("projection of a finished run: completion tokens %+v, the done markers say %d", got, tokens)
	}
	if got := figure(t, p, "kept_problems"); got.Value != float64(keptTrue) {
		t.Errorf("projection of a finished run: kept %+v, merge kept %d", got, keptTrue)
	}

	// plan --estimate-from: a pilot of the first three shards projects
	// the whole 12-shard plan before it runs.
	pilot := filepath.Join(t.TempDir(), "pilot")
	if err := os.MkdirAll(filepath.Join(pilot, "output"), 0o755); err != nil {
		t.Fatal(err)
	}
	copyRunShards(t, l, shard.Layout{Dir: pilot}, plan, 3)
	code, out, errs = distill(t, nil, "plan", "-c", cfg, "--set", "run.dir="+filepath.Join(t.TempDir(), "new"), "--estimate-from", pilot, "--json")
	if code != 0 {
		t.Fatalf("plan --estimate-from: %d\n%s\n%s", code, out, errs)
	}
	var est map[string]json.RawMessage
	if err := json.Unmarshal([]byte(out), &est); err != nil {
		t.Fatalf("plan --estimate-from --json: %v\n%s", err, out)
	}
	et := figure(t, est, "completion_tokens_total")
	ek := figure(t, est, "kept_problems")
	t.Logf("plan --estimate-from a 3-shard pilot: completion tokens %.0f (actual %d), kept %.1f (actual %d)", et.Value, tokens, ek.Value, keptTrue)
	if e := math.Abs(et.Value-float64(tokens)) / float64(tokens); e > 0.15 {
		t.Errorf("plan --estimate-from: completion tokens %.0f, the run took %d (%.1f%% off)", et.Value, tokens, 100*e)
	}
	if e := math.Abs(ek.Value-float64(keptTrue)) / float64(keptTrue); e > 0.15 {
		t.Errorf("plan --estimate-from: kept %.1f, merge kept %d (%.1f%% off)", ek.Value, keptTrue, 100*e)
	}
	if !strings.Contains(string(est["basis"]), "pilot") {
		t.Errorf("basis %s does not name the pilot", est["basis"])
	}
}

// copyRunShards copies plan.json's first n shards (plan, inputs, outputs,
// done markers) of from into to: a finished pilot run.
func copyRunShards(t *testing.T, from, to shard.Layout, plan *shard.Plan, n int) {
	t.Helper()
	pilot := *plan
	pilot.Shards = plan.Shards[:n]
	pilot.Problems = 0
	for _, s := range pilot.Shards {
		pilot.Problems += s.Problems
		for _, pair := range [][2]string{{from.ShardInput(s), to.ShardInput(s)}, {from.Output(s.ID), to.Output(s.ID)}, {from.DoneMarker(s.ID), to.DoneMarker(s.ID)}} {
			b, err := os.ReadFile(pair[0])
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Dir(pair[1]), 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(pair[1], b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	b, _ := json.Marshal(&pilot)
	if err := os.WriteFile(to.PlanFile(), b, 0o644); err != nil {
		t.Fatal(err)
	}
}
