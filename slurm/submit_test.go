package slurm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/shard"
)

func TestSplitArrays(t *testing.T) {
	ids := func(n int) []int {
		s := make([]int, n)
		for i := range s {
			s[i] = i
		}
		return s
	}
	cases := []struct {
		name           string
		shards         []int
		perTask, max   int
		wantArrayTasks []int
	}{
		{"twelve by five", ids(12), 1, 5, []int{5, 5, 2}},
		{"exact", ids(10), 1, 5, []int{5, 5}},
		{"two per task", ids(12), 2, 5, []int{5, 1}},
		{"one array", ids(3), 1, 1001, []int{3}},
		{"uneven per task", ids(5), 2, 2, []int{2, 1}},
		{"none", nil, 1, 5, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			arrays := SplitArrays(tc.shards, tc.perTask, tc.max)
			var got []int
			var all []int
			for _, a := range arrays {
				got = append(got, len(a))
				for i, task := range a {
					if task.Index != i {
						t.Errorf("task %d has index %d", i, task.Index)
					}
					all = append(all, task.Shards...)
				}
			}
			if !reflect.DeepEqual(got, tc.wantArrayTasks) {
				t.Errorf("array sizes %v, want %v", got, tc.wantArrayTasks)
			}
			if !reflect.DeepEqual(all, tc.shards) && len(tc.shards) > 0 {
				t.Errorf("shards %v, want %v", all, tc.shards)
			}
		})
	}
}

// fakeSlurm answers like the Slurm commands, from a script of canned
// outputs, and records every call.
type fakeSlurm struct {
	calls    [][]string
	nextID   int
	failOn   int // fail the nth sbatch call (1-based), 0: never
	sbatches int
	squeue   string
	noSlurm  bool
	// reject: sbatch --test-only refuses every script with this message.
	reject string
}

func (f *fakeSlurm) exec(_ context.Context, name string, args ...string) ([]byte, []byte, error) {
	f.calls = append(f.calls, append([]string{name}, args...))
	if f.noSlurm {
		return nil, nil, fmt.Errorf("%s: %w", name, ErrNotFound)
	}
	switch name {
	case "scontrol":
		return []byte("Configuration data as of 2026-11-26T18:00:00\nMaxArraySize            = 5\nSLURM_VERSION           = 22.05.8\n"), nil, nil
	case "sbatch":
		if args[0] == "--test-only" && f.reject != "" {
			return nil, []byte(f.reject + "\n"), errors.New("exit status 1")
		}
		if args[0] == "--test-only" {
			return nil, []byte("sbatch: Job 3 to start at 2026-11-26T18:00:00 using 1 processors on nodes n1 in partition debug\n"), nil
		}
		f.sbatches++
		if f.sbatches == f.failOn {
			return nil, []byte("sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified\n"), errors.New("exit status 1")
		}
		f.nextID++
		return []byte(fmt.Sprintf("%d\n", 100+f.nextID-1)), nil, nil
	case "squeue":
		return []byte(f.squeue), nil, nil
	case "sacct":
		return nil, []byte("Slurm accounting storage is disabled\n"), errors.New("exit status 1")
	case "scancel":
		return nil, nil, nil
	}
	return nil, nil, fmt.Errorf("unexpected command %s", name)
}

func submitRequest(t *testing.T, shards []int) SubmitRequest {
	dir := t.TempDir()
	l := shard.Layout{Dir: filepath.Join(dir, "run")}
	sim := DefaultServerConfig()
	sim.Kind = "sim"
	return SubmitRequest{
		Command:    "submit",
		Layout:     l,
		Job:        JobInput{Slurm: DefaultConfig(), ConfigFile: filepath.Join(dir, "c.toml"), RunDir: l.Dir, LogDir: l.LogDir()},
		Server:     sim,
		Shards:     shards,
		ConfigHash: "abc",
		Now:        time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC),
	}
}

func TestSubmitSplitsAndRecords(t *testing.T) {
	r, err := NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	f := &fakeSlurm{}
	req := submitRequest(t, []int{0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11})
	var out bytes.Buffer
	req.Out = &out
	res, err := Submit(context.Background(), Client{Exec: f.exec}, r, req)
	if err != nil {
		t.Fatal(err)
	}
	if res.MaxArraySize != 5 || res.MaxArraySizeFrom != "scontrol show config" {
		t.Errorf("MaxArraySize %d from %s", res.MaxArraySize, res.MaxArraySizeFrom)
	}
	subs, err := ReadSubmissions(SubmissionsFile(req.Layout))
	if err != nil {
		t.Fatal(err)
	}
	if len(subs) != 4 {
		t.Fatalf("%d submissions recorded, want 3 arrays and a merge", len(subs))
	}
	wantArrays := []string{"0-4", "0-4", "0-1"}
	for i, s := range subs[:3] {
		if s.Kind != "generate" || s.Array != wantArrays[i] || s.JobID != fmt.Sprint(100+i) || s.ConfigHash != "abc" {
			t.Errorf("submission %d: %+v", i, s)
		}
		if got := s.Map[0][0]; got != 5*i {
			t.Errorf("array %d index 0 runs shard %d, want %d", i, got, 5*i)
		}
		script, err := os.ReadFile(s.Script)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Contains(script, []byte("#SBATCH --array="+wantArrays[i]+"\n")) {
			t.Errorf("script %s lacks --array=%s", s.Script, wantArrays[i])
		}
	}
	m := subs[3]
	if m.Kind != "merge" || m.Dependency != "afterany:100:101:102" || m.Argv[2] != "--dependency=afterany:100:101:102" {
		t.Errorf("merge submission %+v", m)
	}
	if !strings.Contains(out.String(), "submitted merge job 103") {
		t.Errorf("output:\n%s", out.String())
	}
}

func TestSubmitDryRun(t *testing.T) {
	r, _ := NewRenderer("")
	for _, noSlurm := range []bool{true, false} {
		f := &fakeSlurm{noSlurm: noSlurm}
		req := submitRequest(t, []int{0, 1, 2})
		req.DryRun = true
		req.Job.Slurm.MaxArraySize = 2
		var out bytes.Buffer
		req.Out = &out
		res, err := Submit(context.Background(), Client{Exec: f.exec}, r, req)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(SubmissionsFile(req.Layout)); !os.IsNotExist(err) {
			t.Errorf("a dry run recorded submissions")
		}
		if f.sbatches != 0 {
			t.Errorf("a dry run submitted %d jobs", f.sbatches)
		}
		o := out.String()
		for _, want := range []string{"#!/bin/bash", "$ sbatch --parsable ", "--dependency=afterany:<generate-1>"} {
			if !strings.Contains(o, want) {
				t.Errorf("dry run output lacks %q:\n%s", want, o)
			}
		}
		if noSlurm {
			if res.MaxArraySize != 2 || !strings.Contains(o, "sbatch not found") || len(res.Arrays) != 2 || !strings.Contains(o, "<generate-1>:<generate-2>") {
				t.Errorf("without Slurm: MaxArraySize %d, %d arrays, output:\n%s", res.MaxArraySize, len(res.Arrays), o)
			}
		} else if !strings.Contains(o, "sbatch --test-only: sbatch: Job 3 to start") || len(res.Arrays) != 1 {
			t.Errorf("with Slurm: %d arrays, output:\n%s", len(res.Arrays), o)
		}
	}
}

func TestSubmitFailureHalfway(t *testing.T) {
	r, _ := NewRenderer("")
	f := &fakeSlurm{failOn: 2}
	req := submitRequest(t, []int{0, 1, 2, 3, 4, 5, 6})
	_, err := Submit(context.Background(), Client{Exec: f.exec}, r, req)
	if err == nil || !strings.Contains(err.Error(), "arrays 100 are queued") || !strings.Contains(err.Error(), "Invalid account") {
		t.Fatalf("error %v", err)
	}
	subs, _ := ReadSubmissions(SubmissionsFile(req.Layout))
	if len(subs) != 1 || subs[0].JobID != "100" {
		t.Errorf("recorded %+v", subs)
	}
}

func TestReadSubmissionsTornTail(t *testing.T) {
	p := filepath.Join(t.TempDir(), "submissions.jsonl")
	if err := AppendSubmission(p, Submission{Kind: "generate", JobID: "7", Map: map[int][]int{0: {3}}}); err != nil {
		t.Fatal(err)
	}
	f, _ := os.OpenFile(p, os.O_APPEND|os.O_WRONLY, 0)
	f.WriteString(`{"kind":"gen`)
	f.Close()
	subs, err := ReadSubmissions(p)
	if err != nil || len(subs) != 1 || subs[0].Map[0][0] != 3 {
		t.Errorf("got %+v, %v", subs, err)
	}
}

func TestCollectStates(t *testing.T) {
	dir := t.TempDir()
	l := shard.Layout{Dir: dir}
	plan := &shard.Plan{Settings: shard.Settings{NumGenerations: 2}}
	for i := 0; i < 7; i++ {
		plan.Shards = append(plan.Shards, shard.ShardInfo{ID: i, Problems: 1})
	}
	os.MkdirAll(l.OutputDir(), 0o755)
	os.WriteFile(l.DoneMarker(0), []byte(`{"shard":0,"problems":1,"generations":2}`), 0o644)
	for _, id := range []int{1, 5} {
		w, _, err := shard.OpenOutput(l.Output(id), nil)
		if err != nil {
			t.Fatal(err)
		}
		w.Add(&shard.Generation{UUID: "u", Index: 0})
		w.Close()
	}
	now := time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)
	// shard 5 is held by a runner outside Slurm's records (fresh lease),
	// shard 6 had a lease that went stale.
	writeLease(t, l, 5, shard.LeaseInfo{Host: "n7", JobID: "99_1", Token: "a", Heartbeat: now.Add(-10 * time.Second), TTLSeconds: 60})
	writeLease(t, l, 6, shard.LeaseInfo{Host: "n8", JobID: "98_0", Token: "b", Heartbeat: now.Add(-time.Hour), TTLSeconds: 60})
	for _, s := range []Submission{
		{Kind: "generate", JobID: "10", Time: now.Add(-time.Hour), Map: map[int][]int{0: {1}, 1: {2}, 2: {3}, 3: {4}}},
		{Kind: "merge", JobID: "11"},
	} {
		AppendSubmission(SubmissionsFile(l), s)
	}
	f := &fakeSlurm{squeue: "10_0|12|10|0|TIMEOUT|TimeLimit|n1|d\n" +
		"10_1|13|10|1|RUNNING|None|n1|d\n" +
		"10_2|10|10|2|PENDING|JobArrayTaskLimit||d\n" +
		"10_3|14|10|3|CANCELLED|None|n1|d\n" +
		"11|11|11|N/A|PENDING|Dependency||d-merge\n"}
	st, err := Collect(context.Background(), Client{Exec: f.exec}, StatusRequest{Layout: l, Plan: plan, NumGenerations: 4, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{StateDone, StatePartial, StateRunning, StatePending, StateFailed, StateRunning, StatePending}
	for i, s := range st.Shards {
		if s.State != want[i] {
			t.Errorf("shard %d: %s, want %s (%+v)", i, s.State, want[i], s)
		}
	}
	if got := st.NeedsResume(); !reflect.DeepEqual(got, []int{1, 4, 6}) {
		t.Errorf("NeedsResume = %v, want [1 4 6]", got)
	}
	if !reflect.DeepEqual(st.PendingMerges, []string{"11"}) || !reflect.DeepEqual(st.ActiveArrays, []string{"10"}) {
		t.Errorf("pending merges %v, active arrays %v", st.PendingMerges, st.ActiveArrays)
	}
	if st.Shards[5].Lease == nil || st.Shards[5].Lease.Host != "n7" || st.Shards[5].Lease.JobID != "99_1" {
		t.Errorf("lease %+v", st.Shards[5].Lease)
	}
	if !strings.Contains(st.Shards[6].Note, "stale lease") {
		t.Errorf("shard 6 note %q", st.Shards[6].Note)
	}
	if st.GenerationsDone != 4 || st.Generations != 14 || st.GenerationsPerHour != 4 {
		t.Errorf("generations %d/%d at %g/h", st.GenerationsDone, st.Generations, st.GenerationsPerHour)
	}
	if st.Done() {
		t.Error("Done")
	}
}

// TestCollectWithAccounting: squeue has forgotten the ended tasks and not
// expanded the pending ones; sacct fills in both.
func TestCollectWithAccounting(t *testing.T) {
	l := shard.Layout{Dir: t.TempDir()}
	plan := &shard.Plan{Settings: shard.Settings{NumGenerations: 1}}
	for i := 0; i < 4; i++ {
		plan.Shards = append(plan.Shards, shard.ShardInfo{ID: i, Problems: 1})
	}
	AppendSubmission(SubmissionsFile(l), Submission{Kind: "generate", JobID: "10", Map: map[int][]int{0: {0}, 1: {1}, 2: {2}, 3: {3}}})
	exec := func(_ context.Context, name string, args ...string) ([]byte, []byte, error) {
		switch name {
		case "squeue":
			return []byte("10_1|12|10|1|RUNNING|None|n1|d\n"), nil, nil
		case "sacct":
			return []byte("10_0|11|TIMEOUT|0:0|n1|d\n10_1|12|RUNNING|0:0|n1|d\n10_[2-3]|10|PENDING|0:0|None assigned|d\n"), nil, nil
		}
		return nil, nil, fmt.Errorf("unexpected %s", name)
	}
	st, err := Collect(context.Background(), Client{Exec: exec}, StatusRequest{Layout: l, Plan: plan, Now: time.Now()})
	if err != nil {
		t.Fatal(err)
	}
	if !st.Accounting {
		t.Error("accounting not used")
	}
	want := []string{StateFailed, StateRunning, StatePending, StatePending}
	for i, s := range st.Shards {
		if s.State != want[i] || len(s.Jobs) != 1 {
			t.Errorf("shard %d: %s %v, want %s", i, s.State, s.Jobs, want[i])
		}
	}
	if st.Shards[0].Jobs[0] != "10_0 TIMEOUT" {
		t.Errorf("shard 0 jobs %v", st.Shards[0].Jobs)
	}
}

// TestSubmitDryRunRejected: a dry run whose scripts sbatch --test-only
// rejects still prints every script, then fails with Slurm's reason
// (ErrRejected), since a real submit would fail the same way.
func TestSubmitDryRunRejected(t *testing.T) {
	r, _ := NewRenderer("")
	f := &fakeSlurm{reject: "sbatch: error: invalid partition specified: nosuch"}
	req := submitRequest(t, []int{0, 1})
	req.DryRun = true
	var out bytes.Buffer
	req.Out = &out
	_, err := Submit(context.Background(), Client{Exec: f.exec}, r, req)
	if !errors.Is(err, ErrRejected) || !strings.Contains(err.Error(), "invalid partition specified: nosuch") || !strings.Contains(err.Error(), "2 of the scripts") {
		t.Fatalf("err = %v, want ErrRejected naming Slurm's reason for both scripts", err)
	}
	if !strings.Contains(out.String(), "merge.sbatch") {
		t.Errorf("the merge script was not printed:\n%s", out.String())
	}
}

// TestCollectJobsNewestLast: a shard run by two arrays (a resume after a
// failure) lists its tasks newest last whatever order squeue gives, and
// `status` shows the newest, so a done shard shows the task that did it,
// not the earlier failure.
func TestCollectJobsNewestLast(t *testing.T) {
	l := shard.Layout{Dir: t.TempDir()}
	plan := &shard.Plan{Settings: shard.Settings{NumGenerations: 1}, Shards: []shard.ShardInfo{{ID: 0, Problems: 1}}}
	now := time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)
	for _, s := range []Submission{
		{Kind: "generate", JobID: "2208", Time: now.Add(-time.Hour), Map: map[int][]int{0: {0}}},
		{Kind: "generate", JobID: "10450", Time: now.Add(-time.Minute), Map: map[int][]int{0: {0}}},
	} {
		AppendSubmission(SubmissionsFile(l), s)
	}
	// squeue lists the newer array first (it sorts by its own keys).
	f := &fakeSlurm{squeue: "10450_0|10451|10450|0|RUNNING|None|n1|d\n" +
		"2208_0|2209|2208|0|FAILED|NonZeroExitCode|n1|d\n"}
	st, err := Collect(context.Background(), Client{Exec: f.exec}, StatusRequest{Layout: l, Plan: plan, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := st.Shards[0].Jobs, []string{"2208_0 FAILED", "10450_0 RUNNING"}; !reflect.DeepEqual(got, want) {
		t.Errorf("jobs %q, want %q (newest last)", got, want)
	}
}
