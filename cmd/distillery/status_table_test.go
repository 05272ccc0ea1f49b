package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/distillery-hpc/distillery/shard"
	"github.com/distillery-hpc/distillery/slurm"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

// statusNow is the fixed "now" of the status fixture.
var statusNow = time.Date(2026, 12, 7, 18, 0, 0, 0, time.UTC)

// writeGenerations writes n generations of shard id (problems p<id>-NNNN,
// 4 per problem) into its output as array task job on host, one every
// 30+5×id s from start, answering \boxed{7} (right) except every fifth one and
// problem 1's, with every seventh cut at the token cap.
func writeGenerations(t *testing.T, l shard.Layout, id, n int, job, host string, start time.Time) {
	t.Helper()
	if err := os.MkdirAll(l.OutputDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	w, _, err := shard.OpenOutput(l.Output(id), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		text, reason, toks := "<think>7</think> \\boxed{7}", "stop", 900+40*i+100*id
		if i%5 == 4 || i/4 == 1 { // problem 1 has no right answer: it is not kept
			text = "<think>8</think> \\boxed{8}"
		}
		if i%7 == 6 {
			text, reason, toks = "<think>so long", "length", 4096
		}
		fin := start.Add(time.Duration(i+1) * time.Duration(30+5*id) * time.Second)
		g := &shard.Generation{UUID: fmt.Sprintf("p%d-%04d", id, i/4), Index: i % 4, Text: text, FinishReason: reason,
			PromptTokens: 50, CompletionTokens: toks, LatencyMS: 25_000, Model: "test/model",
			StartedAt: fin.Add(-25 * time.Second), FinishedAt: fin, Host: host, JobID: job}
		if err := w.Add(g); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// markDone writes shard id's done marker, as the runner does once every
// generation is in its output.
func markDone(t *testing.T, l shard.Layout, id, problems int, job, host string) {
	t.Helper()
	n, sum, err := shard.FileSHA256(l.Output(id))
	if err != nil {
		t.Fatal(err)
	}
	info, err := shard.ReadOutput(l.Output(id), nil)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := json.Marshal(shard.Done{Shard: id, Problems: problems, Generations: info.Records, OutputBytes: n, OutputSHA: sum,
		Model: "test/model", Host: host, JobID: job, CompletedAt: statusNow.Add(-time.Hour)})
	if err := os.WriteFile(l.DoneMarker(id), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// statusFixture is a run of 8 shards of 4 problems (4 generations each)
// with a shard in every state Slurm can put it in: 0 and 6 done, 1
// running (its task runs and it holds a fresh lease), 2 pending in the
// queue, 3 partial (its task is gone from squeue, half its output
// written), 4 failed (its task failed before writing), 5 not submitted,
// 7 running outside Slurm (a fresh lease of a runner on a login node).
// The returned client is Slurm answering (or, with silent, squeue failing:
// the submitted shards that are not done become unknown).
func statusFixture(t *testing.T, silent bool) (*Config, slurm.Client) {
	t.Helper()
	dir := t.TempDir()
	cfgPath, l := writeRunDir(t, dir, "http://127.0.0.1:9", []int{4, 4, 4, 4, 4, 4, 4, 4}, "")
	cfg, err := loadConfig(cfgPath, func(string) string { return "" }, nil, dir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := statusNow.Add(-3 * time.Hour)
	writeGenerations(t, l, 0, 16, "41_0", "gpu-node01", t0)
	markDone(t, l, 0, 4, "41_0", "gpu-node01")
	writeGenerations(t, l, 6, 16, "41_5", "gpu-node03", t0.Add(20*time.Minute))
	markDone(t, l, 6, 4, "41_5", "gpu-node03")
	writeGenerations(t, l, 1, 5, "41_1", "gpu-node02", statusNow.Add(-4*time.Minute))
	writeGenerations(t, l, 3, 8, "41_3", "gpu-node01", t0.Add(time.Hour))
	writeGenerations(t, l, 7, 3, "", "login1", statusNow.Add(-3*time.Minute))
	for id, li := range map[int]shard.LeaseInfo{
		1: {Host: "gpu-node02", PID: 4242, JobID: "41_1", Token: "a", AcquiredAt: statusNow.Add(-5 * time.Minute), Heartbeat: statusNow.Add(-20 * time.Second), TTLSeconds: 300},
		7: {Host: "login1", PID: 777, Token: "b", AcquiredAt: statusNow.Add(-3 * time.Minute), Heartbeat: statusNow.Add(-10 * time.Second), TTLSeconds: 300},
	} {
		b, _ := json.Marshal(li)
		if err := os.WriteFile(l.Lease(id), b, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(l.Lease(id), li.Heartbeat, li.Heartbeat); err != nil {
			t.Fatal(err)
		}
	}
	if err := slurm.AppendSubmission(slurm.SubmissionsFile(l), slurm.Submission{Time: t0, Command: "submit", Kind: "generate", JobID: "41",
		Array: "0-5", Map: map[int][]int{0: {0}, 1: {1}, 2: {2}, 3: {3}, 4: {4}, 5: {6}}}); err != nil {
		t.Fatal(err)
	}
	squeue := "41_1|43|41|1|RUNNING|None|gpu-node02|distillery-gen\n" +
		"41_2|44|41|2|PENDING|Priority|(null)|distillery-gen\n" +
		"41_4|46|41|4|FAILED|NonZeroExitCode|gpu-node03|distillery-gen\n"
	return cfg, slurm.Client{Exec: func(_ context.Context, name string, args ...string) ([]byte, []byte, error) {
		switch name {
		case "squeue":
			if silent {
				return nil, []byte("squeue: error: slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n"), errors.New("exit status 1")
			}
			return []byte(squeue), nil, nil
		case "sacct":
			return nil, []byte("sacct: error: Slurm accounting storage is disabled\n"), errors.New("exit status 1")
		}
		return nil, nil, fmt.Errorf("%s: %w", name, slurm.ErrNotFound)
	}, Sleep: func(ctx context.Context, _ time.Duration) error { return ctx.Err() }}
}

// golden compares got with testdata/name (rewritten with -update).
func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -run %s -update to write it)", err, t.Name())
	}
	if got != string(want) {
		t.Errorf("%s differs from %s (go test -run '%s' -update rewrites it)\n--- got:\n%s\n--- want:\n%s", name, path, t.Name(), got, want)
	}
}

// TestStatusGolden: the status table, its totals and the projection for a
// run with a shard in every state, Slurm answering and not; and the
// --watch frame of the same run, which fits 80 columns and 24 lines.
func TestStatusGolden(t *testing.T) {
	for _, tc := range []struct {
		name   string
		silent bool
		states map[string]int
	}{
		{"slurm", false, map[string]int{"done": 2, "running": 2, "pending": 2, "partial": 1, "failed": 1}},
		{"slurm-silent", true, map[string]int{"done": 2, "running": 2, "pending": 1, "unknown": 3}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg, client := statusFixture(t, tc.silent)
			env, out, errb := testEnv(nil)
			env.Now = func() time.Time { return statusNow }
			err := runStatus(context.Background(), env, client, cfg, false)
			if err == nil {
				t.Fatalf("status of an unfinished run exits 0")
			}
			for k, n := range tc.states {
				if !strings.Contains(out.String(), fmt.Sprintf("%d %s", n, k)) {
					t.Errorf("status does not count %d %s", n, k)
				}
			}
			got := strings.ReplaceAll(out.String(), cfg.Run.Dir, "RUNDIR")
			golden(t, "status/"+tc.name+".txt", got)
			if errb.Len() > 0 {
				t.Logf("stderr: %s", errb)
			}

			st, err := collectStatus(context.Background(), env, client, cfg, shard.CheckSize)
			if err != nil {
				t.Fatal(err)
			}
			st.RunDir = "RUNDIR"
			frame := watchFrame(st, statusProjection(context.Background(), env, client, cfg, st, nil), 80, 24, 30*time.Second)
			lines := strings.Split(strings.TrimRight(frame, "\n"), "\n")
			if len(lines) > 23 {
				t.Errorf("the watch frame has %d lines; a 24-line terminal shows 23 and the cursor", len(lines))
			}
			for _, line := range lines {
				if n := utf8.RuneCountInString(line); n > 80 {
					t.Errorf("watch line of %d columns: %q", n, line)
				}
			}
			golden(t, "status/"+tc.name+"-watch.txt", frame)
		})
	}
}

// TestWatchFrameSmallTerminal: on a terminal too short for every shard,
// the shards that are not done come first and the cut is said.
func TestWatchFrameSmallTerminal(t *testing.T) {
	cfg, client := statusFixture(t, false)
	env, _, _ := testEnv(nil)
	env.Now = func() time.Time { return statusNow }
	st, err := collectStatus(context.Background(), env, client, cfg, shard.CheckSize)
	if err != nil {
		t.Fatal(err)
	}
	frame := watchFrame(st, nil, 60, 12, time.Second)
	lines := strings.Split(strings.TrimRight(frame, "\n"), "\n")
	if len(lines) > 11 {
		t.Errorf("%d lines on a 12-line terminal:\n%s", len(lines), frame)
	}
	for _, line := range lines {
		if utf8.RuneCountInString(line) > 60 {
			t.Errorf("line wider than 60: %q", line)
		}
	}
	if !strings.Contains(frame, "more shards") || strings.Contains(frame, "shard-00000 done") {
		t.Errorf("a short terminal does not put the unfinished shards first and say what it cut:\n%s", frame)
	}
}
