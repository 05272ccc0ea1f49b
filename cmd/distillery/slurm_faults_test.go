package main

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/slurm"
)

// TestSlurmFaults runs submit, resume and status on the real cluster with
// Slurm's commands failing the ways they fail on busy clusters. Wrappers
// in front of the real sbatch and squeue inject the faults; the wrapped
// sbatch adds --hold, so nothing runs and the test stays fast.
//
//   - sbatch #1 submits for real, then reports "Socket timed out on
//     send/recv operation" (the controller took the job, the answer got
//     lost): submit must find the job, not submit a second array.
//   - sbatch #2 says "Slurm temporarily unable to accept job": retried.
//   - resume twice in a row after a task is cancelled: the second submits
//     nothing.
//   - squeue failing: status says unknown (exit 5), resume submits nothing.
func TestSlurmFaults(t *testing.T) {
	h := newSlurmHarness(t, "faults")
	r := h.newRun("faults", 3, 2, 1, 400)
	realSbatch, err := exec.LookPath("sbatch")
	if err != nil {
		t.Fatal(err)
	}
	realSqueue, _ := exec.LookPath("squeue")
	bin := filepath.Join(h.dir, "fault-bin")
	state := filepath.Join(h.dir, "sbatch-calls")
	slurmWriteFile(t, filepath.Join(bin, "sbatch"), fmt.Sprintf(`#!/bin/bash
n=$(( $(cat %[2]q 2>/dev/null || echo 0) + 1 ))
echo "$n" > %[2]q
case $n in
1)
	%[1]q --hold "$@" >/dev/null || exit
	echo "sbatch: error: Batch job submission failed: Socket timed out on send/recv operation" >&2
	exit 1 ;;
2)
	echo "sbatch: error: Batch job submission failed: Slurm temporarily unable to accept job, sleeping and retrying" >&2
	exit 1 ;;
esac
exec %[1]q --hold "$@"
`, realSbatch, state))
	slurmWriteFile(t, filepath.Join(bin, "squeue"), fmt.Sprintf(`#!/bin/bash
if [[ -e %[2]q ]]; then
	echo "squeue: error: slurm_load_jobs error: Socket timed out on send/recv operation" >&2
	exit 1
fi
exec %[1]q "$@"
`, realSqueue, filepath.Join(h.dir, "squeue-down")))
	for _, f := range []string{"sbatch", "squeue"} {
		if err := os.Chmod(filepath.Join(bin, f), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	env := []string{"PATH=" + bin + ":" + os.Getenv("PATH")}
	queued := func() []string {
		out := h.cmd("squeue", "--noheader", "--states=all", "--format=%F %j %T", "--name="+h.jobName+","+h.jobName+"-merge")
		var ids []string
		seen := map[string]bool{}
		for _, line := range strings.Split(strings.TrimSpace(string(out)), "\n") {
			if f := strings.Fields(line); len(f) == 3 && !seen[f[0]] && f[2] != "CANCELLED" {
				seen[f[0]] = true
				ids = append(ids, f[0])
			}
		}
		return ids
	}

	out, errOut, code := h.distillery(env, "submit", "-c", r.config)
	if code != 0 {
		t.Fatalf("submit exit %d:\n%s\n%s", code, out, errOut)
	}
	subs := r.submissions(t)
	if len(subs) != 2 || subs[0].Kind != "generate" || subs[1].Kind != "merge" {
		t.Fatalf("submissions %+v", subs)
	}
	if !strings.Contains(out, "Slurm had accepted the job") || !strings.Contains(out, "succeeded at attempt 2") {
		t.Errorf("submit does not say what happened:\n%s", out)
	}
	if q := queued(); len(q) != 2 || q[0] != subs[0].JobID && q[1] != subs[0].JobID {
		t.Fatalf("Slurm holds jobs %v, want the one array %s and the merge job %s", q, subs[0].JobID, subs[1].JobID)
	}

	// A task cancelled: resume submits its shard; run at once again, it
	// submits nothing.
	// (A pending task cancelled before it was split off its array leaves no
	// record in squeue at all: status must call its shard failed anyway.)
	h.cmd("scancel", subs[0].JobID+"_1")
	time.Sleep(time.Second)
	out, errOut, code = h.distillery(env, "resume", "-c", r.config)
	if code != 0 || !strings.Contains(out, "0) SHARDS=( 1 )") && !strings.Contains(out, "submitted array") {
		t.Fatalf("resume exit %d:\n%s\n%s", code, out, errOut)
	}
	n := len(r.submissions(t))
	out, errOut, code = h.distillery(env, "resume", "-c", r.config)
	if code != 0 || !strings.Contains(out, "nothing to resume") || len(r.submissions(t)) != n {
		t.Errorf("second resume (exit %d) submitted again (%d -> %d records):\n%s\n%s", code, n, len(r.submissions(t)), out, errOut)
	}

	// squeue down: status says unknown, resume refuses.
	slurmWriteFile(t, filepath.Join(h.dir, "squeue-down"), "")
	out, errOut, code = h.distillery(env, "status", "-c", r.config, "--json")
	var st slurm.Status
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status --json: %v\n%s\n%s", err, out, errOut)
	}
	if code != 5 || st.Counts[slurm.StateUnknown] != 3 || st.Counts[slurm.StateFailed] != 0 || st.Slurm {
		t.Errorf("status with squeue down: exit %d, counts %v, slurm %v", code, st.Counts, st.Slurm)
	}
	n = len(r.submissions(t))
	_, errOut, code = h.distillery(env, "resume", "-c", r.config)
	if code == 0 || len(r.submissions(t)) != n || !strings.Contains(errOut, "squeue") {
		t.Errorf("resume with squeue down: exit %d, %d -> %d records:\n%s", code, n, len(r.submissions(t)), errOut)
	}
}
