package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/distillery-hpc/distillery/runner/openai/openaitest"
	"github.com/distillery-hpc/distillery/shard"
)

func TestParseShardIDs(t *testing.T) {
	tests := []struct {
		in   []string
		want []int
		err  string
	}{
		{in: []string{"3"}, want: []int{3}},
		{in: []string{"3", "4"}, want: []int{3, 4}},
		{in: []string{"3,4"}, want: []int{3, 4}},
		{in: []string{"00010"}, want: []int{10}}, // decimal, not octal
		{in: []string{"2-4", "7"}, want: []int{2, 3, 4, 7}},
		{in: []string{" 1 , 2 "}, want: []int{1, 2}},
		{in: []string{"x"}, err: `"x" is not a shard id`},
		{in: []string{"-1"}, err: "not a shard id"},
		{in: []string{"4-2"}, err: "not a range"},
		{in: []string{""}, err: "no shard id"},
	}
	for _, tt := range tests {
		got, err := parseShardIDs(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("parseShardIDs(%q) err = %v, want %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tt.want) {
			t.Errorf("parseShardIDs(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
		}
	}
}

func TestSlurmJobID(t *testing.T) {
	env := func(m map[string]string) func(string) string { return func(k string) string { return m[k] } }
	if got := slurmJobID(env(map[string]string{"SLURM_JOB_ID": "12", "SLURM_ARRAY_JOB_ID": "10", "SLURM_ARRAY_TASK_ID": "2"})); got != "10_2" {
		t.Errorf("array: %q", got)
	}
	if got := slurmJobID(env(map[string]string{"SLURM_JOB_ID": "12"})); got != "12" {
		t.Errorf("job: %q", got)
	}
	if got := slurmJobID(env(nil)); got != "" {
		t.Errorf("none: %q", got)
	}
}

// newRunTestServer is an SGLang-shaped fake (runner/openai/openaitest)
// that answers every chat request after a random latency in [minLat,
// maxLat); its Answered counts the answers delivered.
func newRunTestServer(t *testing.T, minLat, maxLat time.Duration) *openaitest.Server {
	return openaitest.New(t, openaitest.Config{Model: "test/model", Reply: func(*openaitest.Request) openaitest.Reply {
		lat := minLat
		if maxLat > minLat {
			lat += rand.N(maxLat - minLat)
		}
		return openaitest.Reply{Content: "Let me think. \\boxed{7}", Delay: lat}
	}})
}

// writeRunDir writes plan.json and one input shard per entry of sizes,
// as the planner would, plus a config file; it returns the config path.
func writeRunDir(t *testing.T, dir, endpoint string, sizes []int, extra string) (string, shard.Layout) {
	t.Helper()
	l := shard.Layout{Dir: filepath.Join(dir, "run")}
	// The plan records the settings the config below generates with.
	settings := configSettings(defaultConfig().Generate)
	settings.Model, settings.NumGenerations = "test/model", 4
	plan := shard.Plan{Version: shard.PlanVersion, PlanHash: "t", Settings: settings, CreatedAt: time.Now().UTC()}
	for id, n := range sizes {
		var ps []shard.Problem
		for i := range n {
			ps = append(ps, shard.Problem{UUID: fmt.Sprintf("p%d-%04d", id, i), Problem: fmt.Sprintf("What is %d+%d?", id, i), Answer: "7"})
		}
		sum, err := shard.WriteInput(l.Input(id), ps)
		if err != nil {
			t.Fatal(err)
		}
		plan.Shards = append(plan.Shards, shard.ShardInfo{ID: id, Problems: n, SHA256: sum, File: "input/" + shard.ShardName(id) + ".jsonl.zst"})
	}
	if err := shard.WriteAtomic(l.PlanFile(), func(w *bufio.Writer) error { return json.NewEncoder(w).Encode(&plan) }); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(dir, "distillery.toml")
	toml := fmt.Sprintf(`[run]
dir = "run"

[generate]
endpoint = %q
model = "test/model"
num_generations = 4
concurrency = 8
flush_interval = "30ms"
max_retries = 3
retry_base = "5ms"
retry_max = "50ms"
wait_for_server = "5s"
grace_period = "3s"
%s`, endpoint, extra)
	if err := os.WriteFile(cfg, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	return cfg, l
}

// cleanEnv is the test's environment without DISTILLERY_* and SLURM_*
// variables, so a test run inside a Slurm allocation behaves the same.
func cleanEnv() []string {
	var env []string
	for _, kv := range os.Environ() {
		if strings.HasPrefix(kv, "DISTILLERY_") || strings.HasPrefix(kv, "SLURM_") {
			continue
		}
		env = append(env, kv)
	}
	return env
}

func buildDistillery(t *testing.T) string {
	t.Helper()
	if testing.Short() {
		t.Skip("SKIP: builds the binary; not in -short")
	}
	bin := filepath.Join(t.TempDir(), "distillery")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

func exitCode(err error) int {
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return ee.ExitCode()
	}
	if err != nil {
		return -1
	}
	return 0
}

func TestRunCommand(t *testing.T) {
	bin := buildDistillery(t)
	run := func(t *testing.T, args ...string) (stdout, stderr string, code int) {
		t.Helper()
		cmd := exec.Command(bin, args...)
		cmd.Env = cleanEnv()
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		err := cmd.Run()
		return o.String(), e.String(), exitCode(err)
	}
	lastLine := func(s string) string {
		lines := strings.Split(strings.TrimSpace(s), "\n")
		return lines[len(lines)-1]
	}

	t.Run("completes and summarises", func(t *testing.T) {
		srv := newRunTestServer(t, 0, time.Millisecond)
		cfg, l := writeRunDir(t, t.TempDir(), srv.URL(), []int{5, 6}, "")
		out, errOut, code := run(t, "run", "-c", cfg, "--shard", "0,1")
		if code != 0 {
			t.Fatalf("exit %d\n%s", code, errOut)
		}
		if !strings.Contains(out, "shards 2/2 done") || !strings.Contains(out, "generations 44 new") || !strings.Contains(out, "gen/s") {
			t.Errorf("summary %q", out)
		}
		for id := range 2 {
			if _, ok, _ := shard.ReadDone(l, id); !ok {
				t.Errorf("shard %d not done", id)
			}
		}
	})
	t.Run("unknown shard", func(t *testing.T) {
		cfg, _ := writeRunDir(t, t.TempDir(), "http://127.0.0.1:1", []int{1, 1, 1}, "")
		_, errOut, code := run(t, "run", "-c", cfg, "--shard", "9")
		if code == 0 || !strings.Contains(lastLine(errOut), "shard 9 is not in the plan: it has 3 shards") {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("empty endpoint", func(t *testing.T) {
		cfg, _ := writeRunDir(t, t.TempDir(), "", []int{1}, "")
		_, errOut, code := run(t, "run", "-c", cfg, "--shard", "0")
		if code == 0 || !strings.Contains(errOut, "DISTILLERY_GENERATE_ENDPOINT") || strings.Count(strings.TrimSpace(errOut), "\n") != 0 {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
	})
	t.Run("unreachable endpoint", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		cfg, l := writeRunDir(t, t.TempDir(), url, []int{2}, "")
		start := time.Now()
		_, errOut, code := run(t, "run", "-c", cfg, "--shard", "0", "--set", "generate.wait_for_server=500ms")
		if code != 1 || !strings.Contains(lastLine(errOut), url) {
			t.Errorf("exit %d, stderr %q", code, errOut)
		}
		if time.Since(start) > 10*time.Second {
			t.Errorf("took %s", time.Since(start))
		}
		if _, err := os.Stat(l.Output(0)); !os.IsNotExist(err) {
			t.Error("wrote an output shard without a server")
		}
	})
	t.Run("sigterm drains with exit 75", func(t *testing.T) {
		srv := newRunTestServer(t, 100*time.Millisecond, 200*time.Millisecond)
		cfg, l := writeRunDir(t, t.TempDir(), srv.URL(), []int{200}, "")
		cmd := exec.Command(bin, "run", "-c", cfg, "--shard", "0")
		cmd.Env = cleanEnv()
		var e bytes.Buffer
		cmd.Stderr = &e
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		for srv.Answered() < 20 {
			time.Sleep(10 * time.Millisecond)
		}
		cmd.Process.Signal(syscall.SIGTERM)
		code := exitCode(cmd.Wait())
		if code != exitTempFail {
			t.Fatalf("exit %d, want %d\n%s", code, exitTempFail, e.String())
		}
		if _, ok, _ := shard.ReadDone(l, 0); ok {
			t.Error("drained shard marked done")
		}
		if _, err := os.Stat(l.Lease(0)); !os.IsNotExist(err) {
			t.Error("lease not released")
		}
		info, err := shard.ReadOutput(l.Output(0), nil)
		if err != nil || int64(info.Records) != srv.Answered() || info.TornBytes != 0 {
			t.Errorf("output %+v (%v), server answered %d: in-flight answers must be written", info, err, srv.Answered())
		}
	})
	t.Run("two runners on one shard", func(t *testing.T) {
		// A shard submitted twice by hand: two processes start together.
		// One writes it; the other sees a live lease and skips it (75), or
		// finds it done (0). Never two writers.
		srv := newRunTestServer(t, 5*time.Millisecond, 30*time.Millisecond)
		cfg, l := writeRunDir(t, t.TempDir(), srv.URL(), []int{150}, "lease_ttl = \"600ms\"\n")
		cmds := make([]*exec.Cmd, 2)
		errs := make([]bytes.Buffer, 2)
		for i := range cmds {
			cmds[i] = exec.Command(bin, "run", "-c", cfg, "--shard", "0")
			cmds[i].Env = cleanEnv()
			cmds[i].Stderr = &errs[i]
		}
		for _, c := range cmds {
			if err := c.Start(); err != nil {
				t.Fatal(err)
			}
		}
		zero := 0
		for i, c := range cmds {
			switch code := exitCode(c.Wait()); code {
			case 0:
				zero++
			case exitTempFail:
			default:
				t.Errorf("runner %d: exit %d\n%s", i, code, errs[i].String())
			}
		}
		if zero == 0 {
			t.Errorf("neither runner finished the shard\n%s\n%s", errs[0].String(), errs[1].String())
		}
		info, err := shard.ReadOutput(l.Output(0), nil)
		if err != nil || info.Records != 600 || info.Duplicates != 0 || info.TornBytes != 0 {
			t.Errorf("output %+v, %v", info, err)
		}
		if srv.Answered() != 600 {
			t.Errorf("server answered %d requests for 600 pairs: both runners generated", srv.Answered())
		}
	})
	t.Run("crash: SIGKILL at random moments, resume each time", func(t *testing.T) {
		testRunCrashes(t, bin)
	})
}

// testRunCrashes is the crash test of issue 2: SIGKILL the runner at random
// moments at least 20 times during one shard, resume each time; the final
// shard holds every (uuid, index) exactly once and nothing else.
func testRunCrashes(t *testing.T, bin string) {
	const problems, gens, wantKills = 600, 4, 22
	srv := newRunTestServer(t, 5*time.Millisecond, 40*time.Millisecond)
	cfg, l := writeRunDir(t, t.TempDir(), srv.URL(), []int{problems}, "")
	kills, runs, torn := 0, 0, 0
	deadline := time.Now().Add(45 * time.Second)
	for kills < wantKills {
		if time.Now().After(deadline) {
			t.Fatalf("only %d kills in 45 s", kills)
		}
		cmd := exec.Command(bin, "run", "-c", cfg, "--shard", "0")
		cmd.Env = cleanEnv()
		var e bytes.Buffer
		cmd.Stderr = &e
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		runs++
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		select {
		case err := <-done:
			t.Fatalf("run %d ended on its own before %d kills (exit %d): make the shard bigger\n%s", runs, wantKills, exitCode(err), e.String())
		case <-time.After(20*time.Millisecond + rand.N(400*time.Millisecond)):
		}
		cmd.Process.Signal(syscall.SIGKILL)
		err := <-done
		var ee *exec.ExitError
		if strings.Contains(e.String(), "torn tail") {
			torn++ // this run found the last one's torn frame and cut it
		}
		if errors.As(err, &ee) && ee.Sys().(syscall.WaitStatus).Signal() == syscall.SIGKILL {
			kills++
		} else {
			t.Fatalf("run %d: %v\n%s", runs, err, e.String())
		}
	}
	partial, _ := shard.ReadOutput(l.Output(0), nil)
	t.Logf("%d kills, %d torn tails cut; before the last run the shard held %d of %d pairs (%d torn bytes)", kills, torn, partial.Records, problems*gens, partial.TornBytes)
	if partial.Records == 0 || partial.Records >= problems*gens {
		t.Fatalf("kills did not land mid-shard: %d records", partial.Records)
	}

	cmd := exec.Command(bin, "run", "-c", cfg, "--shard", "0")
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("final run: %v\n%s", err, out)
	}

	// Our reader: every pair once, no duplicates, no torn tail.
	seen := map[shard.Key]int{}
	info, err := shard.ReadOutput(l.Output(0), func(g *shard.Generation) error { seen[g.Key()]++; return nil })
	if err != nil || info.Duplicates != 0 || info.TornBytes != 0 || info.Records != problems*gens {
		t.Fatalf("output %+v, %v", info, err)
	}
	for i := range problems {
		for k := range gens {
			if seen[shard.Key{UUID: fmt.Sprintf("p0-%04d", i), Index: k}] != 1 {
				t.Fatalf("p0-%04d/%d seen %d times", i, k, seen[shard.Key{UUID: fmt.Sprintf("p0-%04d", i), Index: k}])
			}
		}
	}
	// An independent reader: the raw file is one valid zstd stream end to
	// end whose lines are exactly the pairs, each once.
	f, err := os.Open(l.Output(0))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	raw, err := io.ReadAll(zr)
	if err != nil {
		t.Fatalf("zstd stream does not decode end to end: %v", err)
	}
	checkLines(t, "zstd.NewReader", raw, problems*gens)
	if zc, err := exec.LookPath("zstdcat"); err == nil {
		out, err := exec.Command(zc, l.Output(0)).Output()
		if err != nil {
			t.Fatalf("zstdcat: %v", err)
		}
		checkLines(t, "zstdcat", out, problems*gens)
	} else {
		t.Log("zstdcat not installed; checked with the Go decoder only")
	}
	d, ok, err := shard.ReadDone(l, 0)
	if err != nil || !ok || d.Generations != problems*gens {
		t.Fatalf("done marker %+v %v %v", d, ok, err)
	}
	if _, err := os.Stat(l.Lease(0)); !os.IsNotExist(err) {
		t.Error("lease left behind")
	}
	t.Logf("%d runs, server answered %d requests for %d pairs", runs+1, srv.Answered(), problems*gens)
}

func checkLines(t *testing.T, who string, raw []byte, want int) {
	t.Helper()
	seen := map[shard.Key]bool{}
	lines := bytes.Split(bytes.TrimSuffix(raw, []byte("\n")), []byte("\n"))
	for i, line := range lines {
		var g shard.Generation
		if err := json.Unmarshal(line, &g); err != nil {
			t.Fatalf("%s: line %d does not decode: %v", who, i+1, err)
		}
		if seen[g.Key()] {
			t.Fatalf("%s: %s/%d appears twice", who, g.UUID, g.Index)
		}
		seen[g.Key()] = true
	}
	if len(lines) != want {
		t.Fatalf("%s: %d lines, want %d", who, len(lines), want)
	}
}
