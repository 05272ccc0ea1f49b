package slurm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/shard"
)

// flakySlurm is a controller that answers sbatch by a script of outcomes,
// one per call:
//
//	ok        accepted, id printed
//	busy      "Slurm temporarily unable to accept job": not accepted
//	lost      socket timeout, not accepted
//	accepted  socket timeout, but the controller accepted the job
//	late      socket timeout; the controller accepts the job after the next sbatch
//	denied    a permanent refusal
//
// squeue --format=%F|%o lists the accepted jobs by script, unless
// squeueDown says the controller does not answer queries.
type flakySlurm struct {
	script     []string
	squeueDown bool
	sbatches   int
	squeues    int
	jobs       []string // "id|script"
	lateJob    string
	cancelled  []string
	next       int
}

func (f *flakySlurm) exec(_ context.Context, name string, args ...string) ([]byte, []byte, error) {
	exit1 := errors.New("exit status 1")
	switch name {
	case "sbatch":
		outcome := "ok"
		if f.sbatches < len(f.script) {
			outcome = f.script[f.sbatches]
		}
		f.sbatches++
		script := args[len(args)-1]
		if !strings.HasPrefix(script, "/") {
			script = "/abs/" + script // squeue shows the script absolute
		}
		f.next++
		id := fmt.Sprint(200 + f.next)
		if f.lateJob != "" {
			f.jobs = append(f.jobs, f.lateJob)
			f.lateJob = ""
		}
		timeout := []byte("sbatch: error: Batch job submission failed: Socket timed out on send/recv operation\n")
		switch outcome {
		case "ok":
			f.jobs = append(f.jobs, id+"|"+script)
			return []byte(id + "\n"), nil, nil
		case "busy":
			return nil, []byte("sbatch: error: Slurm temporarily unable to accept job, sleeping and retrying\nsbatch: error: Batch job submission failed: Resource temporarily unavailable\n"), exit1
		case "lost":
			return nil, timeout, exit1
		case "accepted":
			f.jobs = append(f.jobs, id+"|"+script)
			return nil, timeout, exit1
		case "late":
			f.lateJob = id + "|" + script
			return nil, timeout, exit1
		case "denied":
			return nil, []byte("sbatch: error: Batch job submission failed: Invalid account or account/partition combination specified\n"), exit1
		}
	case "squeue":
		f.squeues++
		if f.squeueDown {
			return nil, []byte("squeue: error: slurm_load_jobs error: Socket timed out on send/recv operation\n"), exit1
		}
		return []byte(strings.Join(f.jobs, "\n") + "\n"), nil, nil
	case "scancel":
		f.cancelled = append(f.cancelled, args...)
		return nil, nil, nil
	case "scontrol":
		return []byte("MaxArraySize = 5\n"), nil, nil
	}
	return nil, nil, fmt.Errorf("unexpected %s", name)
}

func instant(ctx context.Context, _ time.Duration) error { return ctx.Err() }

func TestSbatchRetry(t *testing.T) {
	cases := []struct {
		name       string
		script     []string
		squeueDown bool
		wantID     string
		wantErr    string
		sbatches   int
		cancelled  []string
	}{
		{"ok at once", []string{"ok"}, false, "201", "", 1, nil},
		{"busy twice then ok", []string{"busy", "busy", "ok"}, false, "203", "", 3, nil},
		{"timeout but accepted: no second sbatch", []string{"accepted"}, false, "201", "", 1, nil},
		{"timeout and lost: submitted again", []string{"lost", "ok"}, false, "202", "", 2, nil},
		{"timeout, accepted late: the late copy is cancelled", []string{"late", "ok"}, false, "202", "", 2, []string{"201"}},
		{"timeout and squeue down: gives up, never submits twice", []string{"accepted", "ok"}, true, "", "may have accepted", 1, nil},
		{"permanent refusal: no retry", []string{"denied", "ok"}, false, "", "Invalid account", 1, nil},
		{"busy for good: gives up", []string{"busy", "busy", "busy", "busy", "busy", "busy", "busy"}, false, "", "gave up after 6 attempts", 6, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := &flakySlurm{script: tc.script, squeueDown: tc.squeueDown}
			c := Client{Exec: f.exec, Sleep: instant}
			sb, err := c.Sbatch(context.Background(), []string{"run/x-generate-1.sbatch"}, SubmitKey{Script: "run/x-generate-1.sbatch", JobName: "d"})
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Fatalf("err %v, want %q", err, tc.wantErr)
			}
			if sb.JobID != tc.wantID || f.sbatches != tc.sbatches || !reflect.DeepEqual(f.cancelled, tc.cancelled) {
				t.Errorf("job %q after %d sbatch calls, cancelled %v; want %q after %d, cancelled %v (notes %q)",
					sb.JobID, f.sbatches, f.cancelled, tc.wantID, tc.sbatches, tc.cancelled, sb.Notes)
			}
		})
	}
}

// TestSubmitMaybeSubmitted: an sbatch that timed out while squeue does not
// answer is recorded as unconfirmed; once squeue answers, status adopts
// the job by its script and resume does not submit its shards again.
func TestSubmitMaybeSubmitted(t *testing.T) {
	r, _ := NewRenderer("")
	f := &flakySlurm{script: []string{"accepted"}, squeueDown: true}
	req := submitRequest(t, []int{0, 1})
	req.NoMerge = true
	var out bytes.Buffer
	req.Out = &out
	_, err := Submit(context.Background(), Client{Exec: f.exec, Sleep: instant}, r, req)
	if !errors.Is(err, ErrMaybeSubmitted) {
		t.Fatalf("err %v", err)
	}
	if f.sbatches != 1 {
		t.Errorf("%d sbatch calls, want 1", f.sbatches)
	}
	if subs, _ := ReadSubmissions(SubmissionsFile(req.Layout)); len(subs) != 0 {
		t.Errorf("recorded as submitted: %+v", subs)
	}
	unc, err := ReadSubmissions(UnconfirmedFile(req.Layout))
	if err != nil || len(unc) != 1 || unc[0].JobID != "" || len(unc[0].Map) != 2 {
		t.Fatalf("unconfirmed %+v, %v", unc, err)
	}

	// squeue still down: both shards are unknown, resume would submit none.
	plan := planOf(2)
	st, err := Collect(context.Background(), Client{Exec: f.exec, Sleep: instant}, StatusRequest{Layout: req.Layout, Plan: plan, Now: req.Now})
	if err != nil {
		t.Fatal(err)
	}
	if st.Counts[StateUnknown] != 2 || len(st.NeedsResume()) != 0 {
		t.Errorf("squeue down: counts %v, resume %v", st.Counts, st.NeedsResume())
	}

	// squeue answers again: the job is there, running both shards.
	f.squeueDown = false
	f.jobs = []string{"201|" + unc[0].Script}
	exec := func(ctx context.Context, name string, args ...string) ([]byte, []byte, error) {
		if name == "squeue" && strings.Contains(strings.Join(args, " "), "--array") {
			return []byte("201_0|201|201|0|RUNNING|None|n1|d\n201_1|202|201|1|PENDING|Priority||d\n"), nil, nil
		}
		if name == "sacct" {
			return nil, []byte("Slurm accounting storage is disabled\n"), errors.New("exit status 1")
		}
		return f.exec(ctx, name, args...)
	}
	st, err = Collect(context.Background(), Client{Exec: exec, Sleep: instant}, StatusRequest{Layout: req.Layout, Plan: plan, Now: req.Now})
	if err != nil {
		t.Fatal(err)
	}
	if got := st.NeedsResume(); len(got) != 0 {
		t.Errorf("resume would submit %v again", got)
	}
	if st.Shards[0].State != StateRunning || st.Shards[1].State != StatePending || len(st.Adopted) != 1 || st.Adopted[0].JobID != "201" {
		t.Errorf("states %s, %s; adopted %+v", st.Shards[0].State, st.Shards[1].State, st.Adopted)
	}
	if _, err := os.Stat(SubmissionsFile(req.Layout)); err == nil {
		t.Error("status wrote submissions.jsonl")
	}
}

// planOf is a plan of n shards of one problem each.
func planOf(n int) *shard.Plan {
	p := &shard.Plan{Settings: shard.Settings{NumGenerations: 1}}
	for i := 0; i < n; i++ {
		p.Shards = append(p.Shards, shard.ShardInfo{ID: i, Problems: 1})
	}
	return p
}
