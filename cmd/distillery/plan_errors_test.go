package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/shard"
)

func TestPlanRefusesUnknownColumnKey(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "p.jsonl", `{"question":"p","answer":"1"}`+"\n")
	cfg := writeFile(t, dir, "c.toml", "[run]\ndir = \"run\"\n[input]\npaths = [\"p.jsonl\"]\n[input.columns]\nproblme = \"question\"\n")
	code, _, errs := distill(t, nil, "plan", "-c", cfg)
	msg := strings.TrimSpace(errs)
	if code != exitError || strings.Contains(msg, "\n") || !strings.Contains(msg, "input.columns.problme") || !strings.Contains(msg, "unknown field") {
		t.Fatalf("exit %d, stderr %q: want one line naming input.columns.problme", code, msg)
	}
	if _, err := os.Stat(filepath.Join(dir, "run")); err == nil {
		t.Errorf("a refused plan made the run dir")
	}
}

// manyProblems writes n distinct problems as JSONL.
func manyProblems(t *testing.T, dir string, n int) string {
	t.Helper()
	var b strings.Builder
	for i := range n {
		fmt.Fprintf(&b, `{"problem":"What is %d + %d?","answer":"%d","source":"olympiads"}`+"\n", i, i, 2*i)
	}
	return writeFile(t, dir, "many.jsonl", b.String())
}

// unplannedShards lists the input shard files of a run dir.
func inputShardFiles(runDir string) []string {
	m, _ := filepath.Glob(filepath.Join(runDir, "input", "*"))
	return m
}

// checkPlanComplete fails unless the run dir holds either no plan.json, or
// a plan.json whose every shard is on disk with its planned checksum and
// nothing else in input/.
func checkPlanComplete(t *testing.T, runDir string) (planned bool) {
	t.Helper()
	l := shard.Layout{Dir: runDir}
	if _, err := os.Stat(l.PlanFile()); err != nil {
		return false
	}
	p, err := shard.ReadPlan(l)
	if err != nil {
		t.Fatalf("plan.json is there but does not read: %v", err)
	}
	for _, s := range p.Shards {
		_, sum, err := shard.ReadInput(l.Input(s.ID))
		if err != nil || sum != s.SHA256 {
			t.Fatalf("plan.json names shard %d, which is not complete on disk (%v)", s.ID, err)
		}
	}
	if n := len(inputShardFiles(runDir)); n != len(p.Shards) {
		t.Fatalf("input/ holds %d files, plan.json names %d shards", n, len(p.Shards))
	}
	return true
}

// TestPlanInterrupted stops plan while it writes input shards: Ctrl-C
// exits 130 and takes back every shard it wrote; SIGKILL can leave shards
// without a plan.json, which nothing runs and the next plan replaces, so
// that planning again gives exactly the plan an uninterrupted run gives.
func TestPlanInterrupted(t *testing.T) {
	bin := buildDistillery(t)
	dir := t.TempDir()
	manyProblems(t, dir, 300)
	cfgText := "[run]\ndir = \"run\"\n[input]\npaths = [\"many.jsonl\"]\n[shard]\nproblems_per_shard = 1\n"
	cfg := writeFile(t, dir, "c.toml", cfgText)
	runDir := filepath.Join(dir, "run")

	// start runs plan and waits until it has written at least one shard.
	start := func(t *testing.T) *exec.Cmd {
		t.Helper()
		cmd := exec.Command(bin, "plan", "-c", cfg)
		cmd.Env = cleanEnv()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for len(inputShardFiles(runDir)) < 2 {
			if time.Now().After(deadline) {
				cmd.Process.Kill()
				cmd.Wait()
				t.Fatal("plan wrote no shard within 30s")
			}
			time.Sleep(2 * time.Millisecond)
		}
		return cmd
	}

	t.Run("ctrl-c", func(t *testing.T) {
		cmd := start(t)
		cmd.Process.Signal(syscall.SIGINT)
		err := cmd.Wait()
		if code := exitCode(err); code != exitCanceled {
			if code == 0 {
				t.Skip("SKIP: plan finished before the signal arrived")
			}
			t.Fatalf("exit %d, want %d", code, exitCanceled)
		}
		if left := inputShardFiles(runDir); len(left) > 0 || checkPlanComplete(t, runDir) {
			t.Fatalf("an interrupted plan left %d input files (e.g. %v)", len(left), left[:min(1, len(left))])
		}
	})

	t.Run("sigkill", func(t *testing.T) {
		for i := range 5 {
			cmd := start(t)
			time.Sleep(time.Duration(i*7) * time.Millisecond)
			cmd.Process.Kill()
			cmd.Wait()
			checkPlanComplete(t, runDir) // either no plan.json, or a complete one
		}
		if code, out, errs := distill(t, nil, "plan", "-c", cfg); code != 0 {
			t.Fatalf("plan after the kills: %d %s %s", code, out, errs)
		}
		if !checkPlanComplete(t, runDir) {
			t.Fatal("no plan.json after a full plan")
		}
		got, _ := shard.ReadPlan(shard.Layout{Dir: runDir})

		// The same plan, never interrupted, in a fresh dir.
		fresh := t.TempDir()
		os.Link(filepath.Join(dir, "many.jsonl"), filepath.Join(fresh, "many.jsonl"))
		if code, out, errs := distill(t, nil, "plan", "-c", writeFile(t, fresh, "c.toml", cfgText)); code != 0 {
			t.Fatalf("fresh plan: %d %s %s", code, out, errs)
		}
		want, _ := shard.ReadPlan(shard.Layout{Dir: filepath.Join(fresh, "run")})
		if got.PlanHash != want.PlanHash || len(got.Shards) != len(want.Shards) {
			t.Fatalf("plan after kills: hash %s, %d shards; uninterrupted: %s, %d", got.PlanHash, len(got.Shards), want.PlanHash, len(want.Shards))
		}
		for i := range want.Shards {
			if got.Shards[i].SHA256 != want.Shards[i].SHA256 {
				t.Fatalf("shard %d differs from the uninterrupted plan's", i)
			}
		}
	})
}

func TestConfigThatIsADirectory(t *testing.T) {
	dir := t.TempDir()
	code, _, errs := distill(t, nil, "plan", "-c", dir)
	if msg := strings.TrimSpace(errs); code != exitError || !strings.Contains(msg, dir+" is a directory") || strings.Contains(msg, "\n") {
		t.Fatalf("exit %d, stderr %q", code, msg)
	}
}
