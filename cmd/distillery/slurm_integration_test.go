package main

// Integration tests of submit, status and resume on a real Slurm: the local
// one-node test cluster (slurm/testcluster/up.sh, started here when it is
// not running). They skip loudly when sbatch is absent and fail instead
// when DISTILLERY_REQUIRE_SLURM=1.
//
// The array tasks run the real templates with [server] kind = "sim" and the
// distillery built from this tree (sim-server, run, merge).

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/distillery-hpc/distillery/internal/testenv"
	"github.com/distillery-hpc/distillery/shard"
	"github.com/distillery-hpc/distillery/slurm"
)

type slurmHarness struct {
	t        *testing.T
	dir      string
	bin      string   // distillery built from this tree: submit, status, resume
	env      []string // environment with SLURM_CONF
	maxArray int
	jobName  string
}

func newSlurmHarness(t *testing.T, name string) *slurmHarness {
	env := testenv.NeedSlurm(t)
	h := &slurmHarness{t: t, dir: t.TempDir(), env: env, jobName: fmt.Sprintf("dt-%s-%d", name, os.Getpid())}
	out := h.cmd("scontrol", "show", "config")
	n, ok := slurm.MaxArraySizeOf(out)
	if !ok {
		t.Fatal("scontrol show config did not say MaxArraySize")
	}
	h.maxArray = n
	h.bin = filepath.Join(h.dir, "bin", "distillery")
	slurmGoBuild(t, h.bin, ".")
	t.Cleanup(h.cancelAll)
	return h
}

func slurmGoBuild(t *testing.T, out, pkg string) {
	t.Helper()
	cmd := exec.Command("go", "build", "-o", out, pkg)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build %s: %v\n%s", pkg, err, b)
	}
}

// cmd runs a Slurm command and fails the test when it fails.
func (h *slurmHarness) cmd(name string, args ...string) []byte {
	h.t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Env = h.env
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		h.t.Fatalf("%s %s: %v\n%s%s", name, strings.Join(args, " "), err, out, stderr.String())
	}
	return out
}

// distillery runs the binary and returns its stdout, stderr and exit code.
func (h *slurmHarness) distillery(extraEnv []string, args ...string) (string, string, int) {
	h.t.Helper()
	cmd := exec.Command(h.bin, args...)
	cmd.Env = append(append([]string(nil), h.env...), extraEnv...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	code := 0
	if err != nil {
		ee, ok := err.(*exec.ExitError)
		if !ok {
			h.t.Fatalf("distillery %v: %v", args, err)
		}
		code = ee.ExitCode()
	}
	return stdout.String(), stderr.String(), code
}

// cancelAll cancels every job of this test, by its name, which is unique
// to this process: other checkouts may share the cluster.
func (h *slurmHarness) cancelAll() {
	cmd := exec.Command("scancel", "--name="+h.jobName)
	cmd.Env = h.env
	cmd.Run()
	cmd = exec.Command("scancel", "--name="+h.jobName+"-merge")
	cmd.Env = h.env
	cmd.Run()
}

// run is one planned run directory with its config.
type slurmTestRun struct {
	config   string
	layout   shard.Layout
	plan     *shard.Plan
	numGen   int
	problems []string // uuids
}

// newRun plans shards × perShard problems itself (in the real formats of
// package shard) and writes a config for kind = "sim".
//
// timeScale is the simulator's: a generation takes about 17 s / timeScale
// (500 tokens at 30 tokens/s), two at a time.
func (h *slurmHarness) newRun(name string, shards, perShard, numGen int, timeScale float64) *slurmTestRun {
	h.t.Helper()
	base := filepath.Join(h.dir, name)
	r := &slurmTestRun{config: filepath.Join(base, "distillery.toml"), layout: shard.Layout{Dir: filepath.Join(base, "run")}, numGen: numGen}
	plan := &shard.Plan{Version: 1, PlanHash: "test-" + name, ConfigHash: "test", CreatedAt: time.Now().UTC(), Settings: shard.Settings{NumGenerations: numGen}, Dropped: map[string]int{}}
	for s := 0; s < shards; s++ {
		var ps []shard.Problem
		for i := 0; i < perShard; i++ {
			id := fmt.Sprintf("%s-%03d-%03d", name, s, i)
			ps = append(ps, shard.Problem{UUID: id, Problem: fmt.Sprintf("What is %d + %d?", s, i),
				Solution: "Add.", Answer: strconv.Itoa(s + i), ProblemType: "Algebra", QuestionType: "math-word-problem", Source: "olympiads"})
			r.problems = append(r.problems, id)
		}
		sum, err := shard.WriteInput(r.layout.Input(s), ps)
		if err != nil {
			h.t.Fatal(err)
		}
		rel, _ := filepath.Rel(r.layout.Dir, r.layout.Input(s))
		plan.Shards = append(plan.Shards, shard.ShardInfo{ID: s, Problems: perShard, SHA256: sum, File: rel})
	}
	plan.Rows, plan.Problems = shards*perShard, shards*perShard
	b, _ := json.MarshalIndent(plan, "", "  ")
	if err := os.WriteFile(r.layout.PlanFile(), b, 0o644); err != nil {
		h.t.Fatal(err)
	}
	r.plan = plan
	cfg := fmt.Sprintf(`[run]
dir = "run"

[shard]
problems_per_shard = %d

[generate]
model = "sim"
num_generations = %d
concurrency = 2
max_tokens = 2048
wait_for_server = "2m"
lease_ttl = "10s"
grace_period = "5s"
flush_interval = "500ms"

[server]
kind = "sim"
port = 0
startup_timeout = 120

[slurm]
binary = %q
job_name = %q
signal_grace = 20

[judge]
enabled = true
model = "sim-judge"

[judge.server]
kind = "sim"
port = 0
startup_timeout = 120

[sim]
time_scale = %g
load_time = "1m"
tokens_per_second = 30
mean_completion_tokens = 500
# Narrow lengths: no generation reaches max_tokens, so every problem has a
# right answer and lands in the dataset.
length_sigma = 0.1
share_right = 1.0
share_wrong = 0.0
share_rewritten = 0.0
share_unboxed = 0.0
`, perShard, numGen, h.bin, h.jobName, timeScale)
	if err := os.WriteFile(r.config, []byte(cfg), 0o644); err != nil {
		h.t.Fatal(err)
	}
	return r
}

func (h *slurmHarness) status(r *slurmTestRun) (*slurm.Status, int) {
	h.t.Helper()
	out, errOut, code := h.distillery(nil, "status", "-c", r.config, "--json")
	var st slurm.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		h.t.Fatalf("status --json: %v (exit %d)\n%s\n%s", err, code, out, errOut)
	}
	return &st, code
}

func (r *slurmTestRun) submissions(t *testing.T) []slurm.Submission {
	t.Helper()
	subs, err := slurm.ReadSubmissions(slurm.SubmissionsFile(r.layout))
	if err != nil {
		t.Fatal(err)
	}
	return subs
}

// waitJob waits until Slurm says the job ended and returns its state.
func (h *slurmHarness) waitJob(id string, timeout time.Duration) string {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		cmd := exec.Command("squeue", slurm.SqueueArgs([]string{id})...)
		cmd.Env = h.env
		out, _ := cmd.Output()
		jobs, _ := slurm.ParseSqueue(out)
		if len(jobs) > 0 && !jobs[0].Active() {
			return jobs[0].State
		}
		time.Sleep(2 * time.Second)
	}
	h.t.Fatalf("job %s did not end within %s", id, timeout)
	return ""
}

func (h *slurmHarness) logs(r *slurmTestRun) string {
	var b strings.Builder
	files, _ := filepath.Glob(filepath.Join(r.layout.LogDir(), "*.out"))
	for _, f := range files {
		data, _ := os.ReadFile(f)
		if len(data) > 3000 {
			data = data[len(data)-3000:]
		}
		fmt.Fprintf(&b, "==> %s <==\n%s\n", f, data)
	}
	return b.String()
}

// checkExactlyOnce checks that every shard file holds every (uuid, index)
// of its problems exactly once and nothing else.
func (h *slurmHarness) checkExactlyOnce(r *slurmTestRun) {
	h.t.Helper()
	for _, s := range r.plan.Shards {
		problems, _, err := shard.ReadInput(r.layout.Input(s.ID))
		if err != nil {
			h.t.Fatal(err)
		}
		want := map[shard.Key]bool{}
		for _, p := range problems {
			for i := 0; i < r.numGen; i++ {
				want[shard.Key{UUID: p.UUID, Index: i}] = true
			}
		}
		got := map[shard.Key]int{}
		info, err := shard.ReadOutput(r.layout.Output(s.ID), func(g *shard.Generation) error {
			got[g.Key()]++
			return nil
		})
		if err != nil {
			h.t.Fatal(err)
		}
		if info.Duplicates > 0 || info.TornBytes > 0 {
			h.t.Errorf("shard %d: %d duplicate records, %d torn bytes", s.ID, info.Duplicates, info.TornBytes)
		}
		for k := range want {
			if got[k] != 1 {
				h.t.Errorf("shard %d: %v appears %d times", s.ID, k, got[k])
			}
		}
		for k := range got {
			if !want[k] {
				h.t.Errorf("shard %d: unexpected record %v", s.ID, k)
			}
		}
	}
}

// checkDataset checks the merged dataset: its card, and the parquet, which
// must hold every planned problem exactly once (the simulator answers right
// every time in these runs).
func (h *slurmHarness) checkDataset(r *slurmTestRun) {
	h.t.Helper()
	if _, err := os.Stat(filepath.Join(r.layout.DatasetDir(), "README.md")); err != nil {
		h.t.Fatalf("no dataset card: %v\n%s", err, h.logs(r))
	}
	files, _ := filepath.Glob(filepath.Join(r.layout.DatasetDir(), "*", "train-*-of-*.parquet"))
	if len(files) == 0 {
		h.t.Fatalf("no parquet files in %s", r.layout.DatasetDir())
	}
	type row struct {
		UUID string `parquet:"uuid"`
	}
	count := map[string]int{}
	for _, f := range files {
		rows, err := parquet.ReadFile[row](f)
		if err != nil {
			h.t.Fatalf("reading %s: %v", f, err)
		}
		for _, x := range rows {
			count[x.UUID]++
		}
	}
	for _, id := range r.problems {
		if count[id] != 1 {
			h.t.Errorf("problem %s appears %d times in the dataset", id, count[id])
		}
	}
	if len(count) != len(r.problems) {
		h.t.Errorf("dataset has %d problems, planned %d", len(count), len(r.problems))
	}
}

// TestSlurmSubmitTwelveShards: 12 shards with MaxArraySize 5 go out as
// three arrays indexed from 0; all complete, the merge job runs after them
// and writes the dataset.
func TestSlurmSubmitTwelveShards(t *testing.T) {
	h := newSlurmHarness(t, "twelve")
	r := h.newRun("twelve", 12, 3, 2, 400)
	out, errOut, code := h.distillery(nil, "submit", "-c", r.config)
	if code != 0 {
		t.Fatalf("submit: exit %d\n%s\n%s", code, out, errOut)
	}
	t.Log(out)
	subs := r.submissions(t)
	var arrays []string
	var merge slurm.Submission
	covered := map[int]int{}
	for _, s := range subs {
		switch s.Kind {
		case "generate":
			arrays = append(arrays, s.Array)
			for _, ids := range s.Map {
				for _, id := range ids {
					covered[id]++
				}
			}
		case "merge":
			merge = s
		}
	}
	wantArrays := (12 + h.maxArray - 1) / h.maxArray
	if len(arrays) != wantArrays {
		t.Errorf("%d arrays (%v), want %d for MaxArraySize %d", len(arrays), arrays, wantArrays, h.maxArray)
	}
	if h.maxArray == 5 && strings.Join(arrays, " ") != "0-4 0-4 0-1" {
		t.Errorf("arrays %v, want 0-4 0-4 0-1", arrays)
	}
	for id := 0; id < 12; id++ {
		if covered[id] != 1 {
			t.Errorf("shard %d is in %d arrays", id, covered[id])
		}
	}
	if merge.JobID == "" || !strings.HasPrefix(merge.Dependency, "afterany:") || strings.Count(merge.Dependency, ":") != wantArrays {
		t.Errorf("merge submission %+v", merge)
	}
	h.waitDone(r, 4*time.Minute)
	if st := h.waitJob(merge.JobID, 3*time.Minute); st != "COMPLETED" {
		t.Fatalf("merge job %s ended %s\n%s", merge.JobID, st, h.logs(r))
	}
	h.checkExactlyOnce(r)
	h.checkDataset(r)
	if _, _, code := h.distillery(nil, "resume", "-c", r.config); code != 0 {
		t.Errorf("resume on a finished run: exit %d", code)
	}
}

// waitDone polls status until it exits 0.
func (h *slurmHarness) waitDone(r *slurmTestRun, timeout time.Duration) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		st, code := h.status(r)
		if code == 0 {
			if !st.Done() {
				h.t.Fatalf("status exit 0 but counts %v", st.Counts)
			}
			return
		}
		if time.Now().After(deadline) {
			out, _, _ := h.distillery(nil, "status", "-c", r.config)
			h.t.Fatalf("not done after %s (exit %d):\n%s\n%s", timeout, code, out, h.logs(r))
		}
		time.Sleep(3 * time.Second)
	}
}

// TestSlurmChaosResume: tasks are cancelled mid-shard, others hit their
// time limit, one task is submitted twice by hand; resume (repeated until
// status says done) completes the run with every (uuid, index) exactly
// once, and the last merge job writes the dataset.
func TestSlurmChaosResume(t *testing.T) {
	h := newSlurmHarness(t, "chaos")
	// 8 shards × 100 problems × 2 generations; at ~0.25 s a generation a
	// shard needs ~50 s, so the 1-minute limit, with the USR1 warning 20 s
	// before it (Slurm may send it up to a minute early), stops those that
	// are not cancelled.
	r := h.newRun("chaos", 8, 100, 2, 30)
	out, errOut, code := h.distillery(nil, "submit", "-c", r.config,
		"--set", "slurm.time=1", "--set", "slurm.requeue_on_signal=false", "--no-merge")
	if code != 0 {
		t.Fatalf("submit: exit %d\n%s\n%s", code, out, errOut)
	}
	subs := r.submissions(t)

	// Wait until at least three tasks run and have written something.
	var running []slurm.ShardStatus
	deadline := time.Now().Add(2 * time.Minute)
	for {
		st, _ := h.status(r)
		running = running[:0]
		for _, s := range st.Shards {
			if s.State == slurm.StateRunning && s.Generations > 0 && len(s.Jobs) > 0 {
				running = append(running, s)
			}
		}
		if len(running) >= 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tasks did not start: %v\n%s", st.Counts, h.logs(r))
		}
		time.Sleep(time.Second)
	}
	task := func(s slurm.ShardStatus) string { return strings.Fields(s.Jobs[len(s.Jobs)-1])[0] }
	// scancel two running tasks mid-shard.
	h.cmd("scancel", task(running[0]), task(running[1]))
	t.Logf("cancelled %s (shard %d) and %s (shard %d)", task(running[0]), running[0].ID, task(running[1]), running[1].ID)
	// Submit a third running task's shard again by hand, with the same
	// script and index: the lease keeps the two copies apart.
	arr, idx, _ := strings.Cut(task(running[2]), "_")
	var script string
	for _, s := range subs {
		if s.JobID == arr {
			script = s.Script
		}
	}
	dup := strings.TrimSpace(string(h.cmd("sbatch", "--parsable", "--array="+idx, script)))
	t.Logf("submitted %s (shard %d) again by hand: job %s", task(running[2]), running[2].ID, dup)

	// Resume until done, with a longer time limit for the new arrays.
	deadline = time.Now().Add(6 * time.Minute)
	resumes := 0
	for {
		st, code := h.status(r)
		if code == 0 {
			break
		}
		if time.Now().After(deadline) {
			out, _, _ := h.distillery(nil, "status", "-c", r.config)
			t.Fatalf("not done after %d resumes:\n%s\n%s", resumes, out, h.logs(r))
		}
		if code == 4 {
			out, errOut, rc := h.distillery(nil, "resume", "-c", r.config, "--set", "slurm.time=10")
			if rc != 0 {
				t.Fatalf("resume: exit %d\n%s\n%s", rc, out, errOut)
			}
			resumes++
			t.Logf("resume %d (counts %v): %s", resumes, st.Counts, strings.TrimSpace(out))
		}
		time.Sleep(3 * time.Second)
	}
	if resumes == 0 {
		t.Error("nothing needed a resume: the chaos did not bite")
	}
	subs = r.submissions(t)
	var merge string
	for _, s := range subs {
		if s.Kind == "merge" {
			merge = s.JobID
		}
	}
	if merge == "" {
		t.Fatal("no merge job was submitted by resume")
	}
	if st := h.waitJob(merge, 3*time.Minute); st != "COMPLETED" {
		t.Fatalf("merge job %s ended %s\n%s", merge, st, h.logs(r))
	}
	h.waitJob(dup, 2*time.Minute)
	if logs := h.logs(r); !strings.Contains(logs, "got SIGUSR1") && !strings.Contains(logs, "DUE TO TIME LIMIT") {
		t.Errorf("no task hit its time limit:\n%s", logs)
	}
	h.checkExactlyOnce(r)
	h.checkDataset(r)
}

// TestSlurmStatusMixed builds a run with one shard in each state and
// checks what status says about each.
func TestSlurmStatusMixed(t *testing.T) {
	h := newSlurmHarness(t, "mixed")
	r := h.newRun("mixed", 6, 2, 2, 400)
	l := r.layout
	// shard 0: done.
	slurmWriteFile(t, l.DoneMarker(0), `{"shard":0,"problems":2,"generations":4}`)
	// shard 1: partial, nothing runs it.
	w, _, err := shard.OpenOutput(l.Output(1), nil)
	if err != nil {
		t.Fatal(err)
	}
	w.Add(&shard.Generation{UUID: "mixed-001-000", Index: 0, Text: "x"})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	// shard 2: running (a task that sleeps); shard 3: pending (held);
	// shard 4: failed (a task that exits 1 at once); shard 5: never
	// submitted.
	sleepy := slurmWriteScript(t, h.dir, "sleep.sbatch", "sleep 300")
	failing := slurmWriteScript(t, h.dir, "fail.sbatch", "exit 1")
	logs := "--output=" + filepath.Join(h.dir, "%x-%A_%a.out")
	run := strings.TrimSpace(string(h.cmd("sbatch", "--parsable", "--job-name="+h.jobName, logs, "--array=0", sleepy)))
	held := strings.TrimSpace(string(h.cmd("sbatch", "--parsable", "--job-name="+h.jobName, logs, "--hold", "--array=0-1", sleepy)))
	fail := strings.TrimSpace(string(h.cmd("sbatch", "--parsable", "--job-name="+h.jobName, logs, "--array=0", failing)))
	for _, s := range []slurm.Submission{
		{Kind: "generate", JobID: run, Array: "0", Map: map[int][]int{0: {2}}},
		{Kind: "generate", JobID: held, Array: "0-1", Map: map[int][]int{0: {3}, 1: {3}}},
		{Kind: "generate", JobID: fail, Array: "0", Map: map[int][]int{0: {4}}},
	} {
		s.Time = time.Now().UTC()
		if err := slurm.AppendSubmission(slurm.SubmissionsFile(l), s); err != nil {
			t.Fatal(err)
		}
	}
	want := map[int]string{0: "done", 1: "partial", 2: "running", 3: "pending", 4: "failed", 5: "pending"}
	deadline := time.Now().Add(90 * time.Second)
	for {
		st, code := h.status(r)
		got := map[int]string{}
		for _, s := range st.Shards {
			got[s.ID] = s.State
		}
		if fmt.Sprint(got) == fmt.Sprint(want) {
			if code != 4 {
				t.Errorf("status exit %d, want 4 (failed shards)", code)
			}
			if st.Shards[5].Note != "not submitted" || len(st.Shards[3].Jobs) != 2 {
				t.Errorf("shard 5 note %q, shard 3 jobs %v", st.Shards[5].Note, st.Shards[3].Jobs)
			}
			if st.ProblemsDone != 2 || st.GenerationsDone != 5 {
				t.Errorf("problems done %d, generations %d; want 2, 5", st.ProblemsDone, st.GenerationsDone)
			}
			// resume picks exactly the failed, partial and unsubmitted ones.
			out, errOut, rc := h.distillery(nil, "resume", "-c", r.config, "--dry-run")
			if rc != 0 || !strings.Contains(out, "1) SHARDS=( 4 )") || !strings.Contains(out, "0) SHARDS=( 1 )") ||
				!strings.Contains(out, "2) SHARDS=( 5 )") || strings.Contains(out, "3) SHARDS") {
				t.Errorf("resume --dry-run (exit %d) does not pick shards 1, 4, 5:\n%s\n%s", rc, out, errOut)
			}
			text, _, _ := h.distillery(nil, "status", "-c", r.config)
			t.Log("\n" + text)
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("states %v, want %v", got, want)
		}
		time.Sleep(2 * time.Second)
	}
}

func slurmWriteFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func slurmWriteScript(t *testing.T, dir, name, body string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	var b bytes.Buffer
	w := bufio.NewWriter(&b)
	fmt.Fprintf(w, "#!/bin/bash\n%s\n", body)
	w.Flush()
	slurmWriteFile(t, p, b.String())
	return p
}

// TestSlurmRequeueOnTimeLimit: with requeue_on_signal (the default), a task
// warned of its time limit drains and requeues itself, and its shards
// complete without a resume. Slurm holds a requeued job for its requeue
// delay (about two minutes, Reason=BeginTime); the test lifts that hold with
// `scontrol update StartTime=now`, as an admin could, to stay short.
func TestSlurmRequeueOnTimeLimit(t *testing.T) {
	h := newSlurmHarness(t, "requeue")
	r := h.newRun("requeue", 2, 100, 2, 30)
	out, errOut, code := h.distillery(nil, "submit", "-c", r.config, "--set", "slurm.time=1", "--no-merge")
	if code != 0 {
		t.Fatalf("submit: exit %d\n%s\n%s", code, out, errOut)
	}
	ids := []string{}
	for _, s := range r.submissions(t) {
		ids = append(ids, s.JobID)
	}
	deadline := time.Now().Add(7 * time.Minute)
	lifted := 0
	needResume := 0
	held := map[string]time.Time{}
	for {
		_, code := h.status(r)
		if code == 0 {
			break
		}
		// While Slurm requeues a task, squeue may show it ended for a
		// moment; a shard that needs a resume for several polls in a row
		// means the task did not requeue itself.
		if code == 4 {
			needResume++
		} else {
			needResume = 0
		}
		if needResume >= 4 {
			out, _, _ := h.distillery(nil, "status", "-c", r.config)
			t.Fatalf("a shard needs resume although its task should have requeued itself:\n%s\n%s", out, h.logs(r))
		}
		if time.Now().After(deadline) {
			out, _, _ := h.distillery(nil, "status", "-c", r.config)
			t.Fatalf("not done:\n%s\n%s", out, h.logs(r))
		}
		jobs, err := slurm.ParseSqueue(h.cmd("squeue", slurm.SqueueArgs(ids)...))
		if err != nil {
			t.Fatal(err)
		}
		for _, j := range jobs {
			id := fmt.Sprintf("%s_%d", j.ArrayJobID, j.ArrayTaskID)
			if !j.Pending() || j.Reason != "BeginTime" {
				delete(held, id)
				continue
			}
			// Lift the hold only once the previous run has surely ended:
			// lifting it while its batch step still reports back makes
			// Slurm record that end (FAILED) instead of the requeue.
			if held[id].IsZero() {
				held[id] = time.Now()
			} else if time.Since(held[id]) > 5*time.Second {
				h.cmd("scontrol", "update", "JobId="+id, "StartTime=now")
				delete(held, id)
				lifted++
			}
		}
		time.Sleep(time.Second)
	}
	logs := h.logs(r)
	if lifted == 0 || !strings.Contains(logs, "got SIGUSR1") {
		t.Errorf("no task was requeued after a USR1 (%d holds lifted):\n%s", lifted, logs)
	}
	t.Logf("%d requeued tasks restarted", lifted)
	h.checkExactlyOnce(r)
}
