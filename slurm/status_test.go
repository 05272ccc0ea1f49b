package slurm

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/shard"
)

// writeOutput writes n generations into shard id's output file.
func writeOutput(t *testing.T, l shard.Layout, id, n int) {
	t.Helper()
	if err := os.MkdirAll(l.OutputDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	w, _, err := shard.OpenOutput(l.Output(id), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := w.Add(&shard.Generation{UUID: fmt.Sprint("u", i), Index: 0}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

// writeLease writes shard id's lease file as the runner does, its mtime
// set to its heartbeat (the mtime counts as a heartbeat too).
func writeLease(t *testing.T, l shard.Layout, id int, li shard.LeaseInfo) {
	t.Helper()
	b, _ := json.Marshal(li)
	if err := os.WriteFile(l.Lease(id), b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(l.Lease(id), li.Heartbeat, li.Heartbeat); err != nil {
		t.Fatal(err)
	}
}

// writeDone writes a done marker for shard id that vouches for its output
// as it is now, or with a wrong checksum when bad.
func writeDone(t *testing.T, l shard.Layout, id int, bad bool) {
	t.Helper()
	n, sum, err := shard.FileSHA256(l.Output(id))
	if err != nil {
		t.Fatal(err)
	}
	if bad {
		sum = strings.Repeat("0", 64)
	}
	b, _ := json.Marshal(shard.Done{Shard: id, Problems: 1, Generations: 1, OutputBytes: n, OutputSHA: sum})
	if err := os.WriteFile(l.DoneMarker(id), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestCollectEdgeStates: the states status must not get wrong.
func TestCollectEdgeStates(t *testing.T) {
	now := time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)
	squeueOK := "10_0|12|10|0|COMPLETED|None|n1|d\n10_1|13|10|1|CANCELLED|None|n1|d\n"
	cases := []struct {
		name   string
		squeue func() ([]byte, []byte, error)
		want   []string // shards 0..4
		resume []int
	}{
		{
			// 0: done marker checks out; 1: done marker's hash does not
			// match its output; 2: task cancelled, partial output, a
			// lease with a recent heartbeat left by the killed runner;
			// 3: task gone from squeue (MinJobAge), partial output, fresh
			// lease of that task; 4: not submitted.
			name:   "squeue answers",
			squeue: func() ([]byte, []byte, error) { return []byte(squeueOK), nil, nil },
			want:   []string{StateDone, StatePartial, StatePartial, StatePartial, StatePending},
			resume: []int{1, 2, 3, 4},
		},
		{
			name: "squeue fails",
			squeue: func() ([]byte, []byte, error) {
				return nil, []byte("squeue: error: slurm_load_jobs error: Unable to contact slurm controller (connect failure)\n"), errors.New("exit status 1")
			},
			// 2 and 3 hold fresh leases: nothing says otherwise.
			want:   []string{StateDone, StateUnknown, StateRunning, StateRunning, StatePending},
			resume: []int{4}, // 1 is unknown: Slurm may run it
		},
		{
			name:   "squeue not installed",
			squeue: func() ([]byte, []byte, error) { return nil, nil, fmt.Errorf("squeue: %w", ErrNotFound) },
			want:   []string{StateDone, StateUnknown, StateRunning, StateRunning, StatePending},
			resume: []int{4}, // 1 is unknown: Slurm may run it
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			l := shard.Layout{Dir: t.TempDir()}
			plan := planOf(5)
			for id := 0; id < 4; id++ {
				writeOutput(t, l, id, 1)
			}
			writeDone(t, l, 0, false)
			writeDone(t, l, 1, true)
			for _, id := range []int{2, 3} {
				writeLease(t, l, id, shard.LeaseInfo{Host: "n1", JobID: fmt.Sprintf("10_%d", id), Token: "x",
					Heartbeat: now.Add(-30 * time.Second), TTLSeconds: 300})
			}
			AppendSubmission(SubmissionsFile(l), Submission{Kind: "generate", JobID: "10", Time: now.Add(-time.Hour),
				Map: map[int][]int{0: {0}, 1: {1}, 2: {2}, 3: {3}}})
			exec := func(_ context.Context, name string, args ...string) ([]byte, []byte, error) {
				switch name {
				case "squeue":
					return tc.squeue()
				case "sacct":
					return nil, []byte("Slurm accounting storage is disabled\n"), errors.New("exit status 1")
				}
				return nil, nil, fmt.Errorf("unexpected %s", name)
			}
			// squeue's output for shard 1: its task is still in squeue, but
			// the shard is not done.
			st, err := Collect(context.Background(), Client{Exec: exec, Sleep: instant}, StatusRequest{Layout: l, Plan: plan, Check: shard.CheckHash, Now: now})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, s := range st.Shards {
				got = append(got, s.State)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("states %v, want %v", got, tc.want)
				for _, s := range st.Shards {
					t.Logf("shard %d: %s %q %v", s.ID, s.State, s.Note, s.Jobs)
				}
			}
			if r := st.NeedsResume(); !reflect.DeepEqual(r, tc.resume) {
				t.Errorf("NeedsResume %v, want %v", r, tc.resume)
			}
			if !strings.Contains(st.Shards[1].Note, "SHA-256") {
				t.Errorf("shard 1 note %q does not say why it is not done", st.Shards[1].Note)
			}
			if st.Done() || st.Schema != StatusSchema {
				t.Errorf("done %v, schema %d", st.Done(), st.Schema)
			}
			b, _ := json.Marshal(st)
			var doc struct {
				Counts map[string]int `json:"counts"`
			}
			json.Unmarshal(b, &doc)
			if len(doc.Counts) != len(States) {
				t.Errorf("counts %v lacks states with no shard", doc.Counts)
			}
		})
	}
}

// TestCollectWaitReason: a pending task that waits for something out of the
// ordinary (a drained or down node, the requeue delay) says so in the
// shard's note; the everyday reasons add nothing.
func TestCollectWaitReason(t *testing.T) {
	now := time.Date(2026, 11, 26, 18, 0, 0, 0, time.UTC)
	drained := "Nodes required for job are DOWN, DRAINED or reserved for jobs in higher priority partitions"
	squeue := "10_0|12|10|0|PENDING|" + drained + "|(null)|d\n" +
		"10_1|13|10|1|PENDING|BeginTime|(null)|d\n" +
		"10_2|14|10|2|PENDING|Priority|(null)|d\n" +
		"10_3|15|10|3|PENDING|JobHeldAdmin|(null)|d\n"
	want := []string{"Slurm: " + drained, "requeue delay", "", "scontrol release 10_3"}
	l := shard.Layout{Dir: t.TempDir()}
	AppendSubmission(SubmissionsFile(l), Submission{Kind: "generate", JobID: "10", Time: now.Add(-time.Hour),
		Map: map[int][]int{0: {0}, 1: {1}, 2: {2}, 3: {3}}})
	exec := func(_ context.Context, name string, args ...string) ([]byte, []byte, error) {
		if name == "squeue" {
			return []byte(squeue), nil, nil
		}
		return nil, []byte("Slurm accounting storage is disabled\n"), errors.New("exit status 1")
	}
	st, err := Collect(context.Background(), Client{Exec: exec, Sleep: instant}, StatusRequest{Layout: l, Plan: planOf(4), Check: shard.CheckHash, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	for i, s := range st.Shards {
		if s.State != StatePending {
			t.Errorf("shard %d: state %s, want pending", i, s.State)
		}
		if want[i] == "" && s.Note != "" || !strings.Contains(s.Note, want[i]) {
			t.Errorf("shard %d: note %q, want one with %q", i, s.Note, want[i])
		}
	}
}
