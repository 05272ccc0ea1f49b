package main

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/distillery-hpc/distillery/shard"
	"github.com/distillery-hpc/distillery/slurm"
)

// TestStatusJSONSchema pins the top-level keys of `status --json` and the
// keys of a shard: scripts read them.
func TestStatusJSONSchema(t *testing.T) {
	cfg, _ := quickstart(t, "")
	env, _, _ := testEnv(nil)
	f := &cliSlurm{}
	if err := runSubmit(context.Background(), env, f.client(), cfg, submitOptions{}); err != nil {
		t.Fatal(err)
	}
	env2, out, _ := testEnv(nil)
	err := runStatus(context.Background(), env2, f.client(), cfg, true)
	var ce *codedError
	if !errors.As(err, &ce) || ce.code != exitFailed {
		t.Fatalf("status: %v, want exit %d", err, exitFailed)
	}
	var doc map[string]json.RawMessage
	if err := json.Unmarshal(out.Bytes(), &doc); err != nil {
		t.Fatal(err)
	}
	var keys []string
	for k := range doc {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	// Always present (omitempty ones may be added by the state of the run).
	want := []string{"accounting", "counts", "generations_done", "generations_per_hour", "generations_planned",
		"problems", "problems_done", "run_dir", "schema_version", "shards", "slurm", "time"}
	for _, k := range want {
		if !slices.Contains(keys, k) {
			t.Errorf("status --json lacks %q (has %v)", k, keys)
		}
	}
	var counts map[string]int
	json.Unmarshal(doc["counts"], &counts)
	var ck []string
	for k := range counts {
		ck = append(ck, k)
	}
	slices.Sort(ck)
	if !reflect.DeepEqual(ck, []string{"done", "failed", "partial", "pending", "running", "unknown"}) {
		t.Errorf("counts keys %v", ck)
	}
	var shards []map[string]json.RawMessage
	json.Unmarshal(doc["shards"], &shards)
	for _, k := range []string{"id", "state", "problems", "problems_done", "generations", "generations_planned", "active", "submitted"} {
		if _, ok := shards[0][k]; !ok {
			t.Errorf("a shard lacks %q: %v", k, shards[0])
		}
	}
}

func TestStatusExitCodes(t *testing.T) {
	cases := []struct {
		counts map[string]int
		shards int
		code   int
	}{
		{map[string]int{"done": 2}, 2, 0},
		{map[string]int{"done": 1, "running": 1}, 2, exitNotDone},
		{map[string]int{"done": 1, "pending": 1}, 2, exitNotDone},
		{map[string]int{"running": 1, "partial": 1}, 2, exitFailed},
		{map[string]int{"failed": 1, "pending": 1}, 2, exitFailed},
		{map[string]int{"unknown": 1, "done": 1}, 2, exitUnknown},
	}
	for _, tc := range cases {
		st := &slurm.Status{Counts: tc.counts, Shards: make([]slurm.ShardStatus, tc.shards)}
		err := statusExit(st)
		code := 0
		var ce *codedError
		if errors.As(err, &ce) {
			code = ce.code
		}
		if code != tc.code {
			t.Errorf("%v: exit %d, want %d (%v)", tc.counts, code, tc.code, err)
		}
	}
}

// TestSubmitRedoesUntrustedDone: a done marker that does not match its
// output (checksum) does not keep submit from submitting the shard.
func TestSubmitRedoesUntrustedDone(t *testing.T) {
	cfg, _ := quickstart(t, "")
	env, _, _ := testEnv(nil)
	f := &cliSlurm{}
	if err := runSubmit(context.Background(), env, f.client(), cfg, submitOptions{DryRun: true}); err != nil {
		t.Fatal(err)
	}
	l := shard.Layout{Dir: cfg.Run.Dir}
	os.MkdirAll(l.OutputDir(), 0o755)
	w, _, err := shard.OpenOutput(l.Output(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Add(&shard.Generation{UUID: "u", Index: 0})
	w.Close()
	n, _, _ := shard.FileSHA256(l.Output(0))
	b, _ := json.Marshal(shard.Done{Shard: 0, Problems: 16, Generations: 16, OutputBytes: n, OutputSHA: strings.Repeat("0", 64)})
	os.WriteFile(l.DoneMarker(0), b, 0o644)
	env2, out, _ := testEnv(nil)
	if err := runSubmit(context.Background(), env2, f.client(), cfg, submitOptions{DryRun: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out.String(), "0) SHARDS=( 0 )") {
		t.Errorf("shard 0 with an untrusted done marker is not submitted:\n%s", out)
	}
}

// TestResumeDryRunRefusesWithoutSqueue: when squeue fails for a run with
// submitted shards, `resume --dry-run` refuses as the real resume does,
// instead of saying the shards are pending or running.
func TestResumeDryRunRefusesWithoutSqueue(t *testing.T) {
	cfg, _ := quickstart(t, "")
	env, _, _ := testEnv(nil)
	f := &cliSlurm{}
	if err := runSubmit(context.Background(), env, f.client(), cfg, submitOptions{}); err != nil {
		t.Fatal(err)
	}
	down := &cliSlurm{absent: true}
	for _, dry := range []bool{false, true} {
		env2, out, _ := testEnv(nil)
		err := runResume(context.Background(), env2, down.client(), cfg, submitOptions{DryRun: dry})
		if err == nil || !strings.Contains(err.Error(), "resume needs squeue") {
			t.Errorf("dry run %v: err %v, stdout %q; want the squeue refusal", dry, err, out)
		}
	}
}

// TestWarnResources: an SGLang server in a job that asks Slurm for too few
// GPUs or CPUs is warned about, naming the key to set; enough GPUs, or GPUs
// requested in extra directives, are not. A simulated campaign's judge is
// simulated too, so nothing warns about its GPUs.
func TestWarnResources(t *testing.T) {
	for _, tc := range []struct {
		name string
		edit func(c *Config)
		want []string
	}{
		{"defaults", func(c *Config) {}, []string{"slurm.gpus_per_node = 8", "slurm.merge_gpus_per_node = 4"}},
		{"enough", func(c *Config) { c.Slurm.GPUsPerNode, c.Slurm.MergeGPUsPerNode = 8, 4 }, nil},
		{"two nodes", func(c *Config) {
			c.Slurm.MergeGPUsPerNode, c.Server.TP, c.Server.Nodes, c.Slurm.GPUsPerNode = 4, 16, 2, 4
		}, []string{"slurm.gpus_per_node = 8"}},
		{"gres directive", func(c *Config) {
			c.Slurm.ExtraDirectives = []string{"--gres=gpu:8"}
			c.Judge.Enabled = false
		}, nil},
		{"sim", func(c *Config) { c.Server.Kind, c.Judge.Server.Kind = "sim", "sim" }, nil},
		{"sim judge follows the generate server", func(c *Config) { c.Server.Kind = "sim" }, nil},
		{"sglang judge configured", func(c *Config) { c.Server.Kind, c.Judge.Server.TP = "sim", 2 }, []string{"slurm.merge_gpus_per_node = 2"}},
		{"too few cpus", func(c *Config) {
			c.Slurm.GPUsPerNode, c.Slurm.MergeGPUsPerNode, c.Slurm.CPUsPerTask = 8, 4, 4
		}, []string{"8 GPUs per node but asks Slurm for 4 CPUs: set slurm.cpus_per_task to at least 8"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := defaultConfig()
			tc.edit(&c)
			env, _, errb := testEnv(nil)
			warnResources(env, &c, generateServer(env, &c), judgeServer(env, &c))
			var warnings []string
			for _, l := range strings.Split(errb.String(), "\n") {
				if strings.HasPrefix(l, "warning:") {
					warnings = append(warnings, l)
				}
			}
			got := strings.Join(warnings, "\n")
			if len(tc.want) == 0 && got != "" {
				t.Errorf("unexpected warning %q", got)
			}
			for _, w := range tc.want {
				if !strings.Contains(got, w) {
					t.Errorf("warning %q lacks %q", got, w)
				}
			}
		})
	}
}

// TestStatusTextMerge: once every shard is done (exit 0), the text output
// says where the dataset stands: the merge job pending or running, the
// dataset's directory, or that there is none yet and how to get it.
func TestStatusTextMerge(t *testing.T) {
	cases := []struct {
		name string
		st   slurm.Status
		want string
	}{
		{"pending", slurm.Status{PendingMerges: []string{"13"}}, "merge job 13 is pending"},
		{"running", slurm.Status{RunningMerges: []string{"13"}}, "merge job 13 is running"},
		{"dataset", slurm.Status{Dataset: true}, "dataset: run/dataset"},
		{"none", slurm.Status{}, "no dataset yet: `distillery resume` submits the merge job"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := tc.st
			st.RunDir = "run"
			st.Counts = map[string]int{slurm.StateDone: 1}
			st.Shards = []slurm.ShardStatus{{ID: 0, State: slurm.StateDone}}
			var b strings.Builder
			printStatus(&b, &st)
			if !strings.Contains(b.String(), tc.want) {
				t.Errorf("status says\n%s\nwant a line with %q", b.String(), tc.want)
			}
		})
	}
}

// TestStatusTextNewestAttempt: a shard run by several tasks shows the
// newest (the last of Jobs) with the count of earlier ones, and a line
// under the table says what the notation means.
func TestStatusTextNewestAttempt(t *testing.T) {
	st := slurm.Status{RunDir: "run", Counts: map[string]int{slurm.StateDone: 1},
		Shards: []slurm.ShardStatus{{ID: 0, State: slurm.StateDone, Jobs: []string{"2208_0 FAILED", "2301_0 COMPLETED"}}}}
	var b strings.Builder
	printStatus(&b, &st)
	out := b.String()
	for _, want := range []string{"2301_0 COMPLETED (+1 earlier)", "(+N earlier): N earlier tasks ran it too"} {
		if !strings.Contains(out, want) {
			t.Errorf("status says\n%s\nwant %q", out, want)
		}
	}
	if strings.Contains(out, "2208_0") {
		t.Errorf("status shows the older attempt:\n%s", out)
	}
}
