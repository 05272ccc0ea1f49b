package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/shard"
	"github.com/distillery-hpc/distillery/slurm"
)

// cliSlurm is a stand-in for Slurm's commands: sbatch hands out job ids,
// squeue reports what it is told, scontrol says MaxArraySize = 2.
type cliSlurm struct {
	next   int
	calls  []string
	squeue string
	absent bool
}

func (f *cliSlurm) client() slurm.Client {
	return slurm.Client{Exec: func(_ context.Context, name string, args ...string) ([]byte, []byte, error) {
		f.calls = append(f.calls, name+" "+strings.Join(args, " "))
		if f.absent {
			return nil, nil, fmt.Errorf("%s: %w", name, slurm.ErrNotFound)
		}
		switch name {
		case "scontrol":
			return []byte("MaxArraySize = 2\n"), nil, nil
		case "sbatch":
			if args[0] == "--test-only" {
				return nil, []byte("sbatch: Job 1 to start at now\n"), nil
			}
			f.next++
			return []byte(fmt.Sprintf("%d\n", 500+f.next)), nil, nil
		case "squeue":
			return []byte(f.squeue), nil, nil
		case "sacct":
			return nil, []byte("Slurm accounting storage is disabled"), errors.New("exit status 1")
		}
		return nil, nil, nil
	}}
}

// quickstart writes a config for the example problem set (16 per shard)
// with the simulator as the server, in a fresh directory.
func quickstart(t *testing.T, extra string) (*Config, string) {
	t.Helper()
	dir := t.TempDir()
	ex, err := filepath.Abs("../../examples/problems.jsonl")
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "distillery.toml")
	content := fmt.Sprintf("[run]\ndir = \"run\"\n[input]\npaths = [%q]\n[shard]\nproblems_per_shard = 16\n[server]\nkind = \"sim\"\nport = 0\n[judge]\nenabled = false\n%s", ex, extra)
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg, err := loadConfig(path, func(string) string { return "" }, nil, dir)
	if err != nil {
		t.Fatal(err)
	}
	return cfg, dir
}

func TestSubmitPlansAndSplits(t *testing.T) {
	cfg, _ := quickstart(t, "")
	env, out, _ := testEnv(nil)
	env.Now = func() time.Time { return time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC) }
	f := &cliSlurm{}
	if err := runSubmit(context.Background(), env, f.client(), cfg, submitOptions{}); err != nil {
		t.Fatal(err)
	}
	plan, err := shard.ReadPlan(shard.Layout{Dir: cfg.Run.Dir})
	if err != nil {
		t.Fatalf("submit did not plan: %v", err)
	}
	subs, _ := slurm.ReadSubmissions(slurm.SubmissionsFile(shard.Layout{Dir: cfg.Run.Dir}))
	arrays := (len(plan.Shards) + 1) / 2
	if len(subs) != arrays+1 {
		t.Fatalf("%d submissions for %d shards with MaxArraySize 2:\n%s", len(subs), len(plan.Shards), out)
	}
	if !strings.Contains(out.String(), "planned ") || !strings.Contains(out.String(), "submitted merge job") {
		t.Errorf("output:\n%s", out)
	}
	// A second submit is refused: resume is the way to go on.
	err = runSubmit(context.Background(), env, f.client(), cfg, submitOptions{})
	if err == nil || !strings.Contains(err.Error(), "distillery resume") {
		t.Errorf("second submit: %v", err)
	}
	// Nothing ran yet: status says every shard is pending in Slurm (exit 3).
	var sq strings.Builder
	for _, s := range subs {
		for idx := range s.Map {
			fmt.Fprintf(&sq, "%s_%d|%s|%s|%d|PENDING|Priority||distillery\n", s.JobID, idx, s.JobID, s.JobID, idx)
		}
	}
	f.squeue = sq.String()
	env2, out2, _ := testEnv(nil)
	err = runStatus(context.Background(), env2, f.client(), cfg, false)
	var ce *codedError
	if !errors.As(err, &ce) || ce.code != exitNotDone {
		t.Errorf("status: %v, want exit %d\n%s", err, exitNotDone, out2)
	}
	if !strings.Contains(out2.String(), fmt.Sprintf("%d shards: %d pending", len(plan.Shards), len(plan.Shards))) {
		t.Errorf("status output:\n%s", out2)
	}
	// resume finds nothing to do while Slurm holds every shard.
	env3, out3, _ := testEnv(nil)
	if err := runResume(context.Background(), env3, f.client(), cfg, submitOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out3.String(), "nothing to resume") {
		t.Errorf("resume output:\n%s", out3)
	}
	// When Slurm has forgotten the jobs and nothing was written, every
	// shard failed: status exits 4 and resume submits them all again.
	f.squeue = ""
	env4, _, _ := testEnv(nil)
	err = runStatus(context.Background(), env4, f.client(), cfg, true)
	if !errors.As(err, &ce) || ce.code != exitFailed {
		t.Errorf("status: %v, want exit %d", err, exitFailed)
	}
	env5, out5, _ := testEnv(nil)
	if err := runResume(context.Background(), env5, f.client(), cfg, submitOptions{}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out5.String(), fmt.Sprintf("submitted %d shards of %d", len(plan.Shards), len(plan.Shards))) {
		t.Errorf("resume output:\n%s", out5)
	}
}

func TestSubmitDryRunWithoutSlurm(t *testing.T) {
	cfg, _ := quickstart(t, "")
	env, out, _ := testEnv(nil)
	f := &cliSlurm{absent: true}
	if err := runSubmit(context.Background(), env, f.client(), cfg, submitOptions{DryRun: true, Sets: []string{"generate.temperature=0.7"}}); err != nil {
		t.Fatal(err)
	}
	o := out.String()
	for _, want := range []string{"#SBATCH --signal=B:USR1@300", "#SBATCH --requeue", "$ sbatch --parsable ", "sbatch not found",
		"--set 'generate.temperature=0.7'", "would submit (dry run)", "--dependency=afterany:<generate-1>"} {
		if !strings.Contains(o, want) {
			t.Errorf("dry run output lacks %q", want)
		}
	}
	if _, err := os.Stat(slurm.SubmissionsFile(shard.Layout{Dir: cfg.Run.Dir})); !os.IsNotExist(err) {
		t.Error("a dry run recorded a submission")
	}
}

func TestSubmitConfigErrors(t *testing.T) {
	cases := []struct {
		name, extra, want string
		noFile            bool
	}{
		{"no config file", "", "pass -c FILE", true},
		{"external without endpoint", "", `server.kind = "external" needs server.endpoint`, false},
		{"bad directive", "[slurm]\npartition = \"a\\nb\"\n", "slurm.partition", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			cfg, _ := quickstart(t, tc.extra)
			if tc.noFile {
				cfg.File = ""
			}
			if strings.HasPrefix(tc.name, "external") {
				cfg.Server.Kind = "external"
			}
			env, _, _ := testEnv(nil)
			err := runSubmit(context.Background(), env, (&cliSlurm{}).client(), cfg, submitOptions{})
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("got %v, want an error mentioning %q", err, tc.want)
			}
		})
	}
}

// TestSubmitExistingEndpoints: a set generate.endpoint or judge.endpoint
// names a server that exists, so the scripts start none.
func TestSubmitExistingEndpoints(t *testing.T) {
	cfg, _ := quickstart(t, "")
	cfg.Server.Kind = "sglang"
	cfg.Generate.Endpoint = "http://gpu-node-7:30000"
	cfg.Judge.Enabled = true
	cfg.Judge.Server.Kind = "sglang"
	cfg.Judge.Endpoint = "http://judge:30001"
	env, out, errb := testEnv(nil)
	if err := runSubmit(context.Background(), env, (&cliSlurm{absent: true}).client(), cfg, submitOptions{DryRun: true}); err != nil {
		t.Fatal(err)
	}
	o := out.String()
	if strings.Contains(o, "sglang.launch_server") {
		t.Error("a script starts SGLang although the endpoints are set")
	}
	for _, want := range []string{"ENDPOINT=http://gpu-node-7:30000", "ENDPOINT=http://judge:30001"} {
		if !strings.Contains(o, want) {
			t.Errorf("scripts lack %s", want)
		}
	}
	if !strings.Contains(errb.String(), "generate.endpoint is set") || !strings.Contains(errb.String(), "judge.endpoint is set") {
		t.Errorf("no note on stderr: %s", errb)
	}
}
