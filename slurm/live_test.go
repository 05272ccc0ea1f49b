package slurm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/internal/testenv"
)

// liveClient returns a Client on a running Slurm (testenv.NeedSlurm starts
// the local test cluster when none answers). It skips loudly when sbatch
// is not installed and fails instead when DISTILLERY_REQUIRE_SLURM=1.
func liveClient(t *testing.T) Client {
	t.Helper()
	env := testenv.NeedSlurm(t)
	c := Client{Exec: func(ctx context.Context, name string, args ...string) ([]byte, []byte, error) {
		if _, err := exec.LookPath(name); err != nil {
			return nil, nil, fmt.Errorf("%s: %w", name, ErrNotFound)
		}
		cmd := exec.CommandContext(ctx, name, args...)
		cmd.Env = env
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		err := cmd.Run()
		return stdout.Bytes(), stderr.Bytes(), err
	}}
	return c
}

// TestLiveSlurm runs the parsers on what the live cluster prints.
func TestLiveSlurm(t *testing.T) {
	c := liveClient(t)
	ctx := context.Background()
	conf, err := c.Config(ctx)
	if err != nil {
		t.Fatal(err)
	}
	maxArray := 0
	fmt.Sscan(conf["MaxArraySize"], &maxArray)
	if maxArray < 1 {
		t.Fatalf("MaxArraySize %q", conf["MaxArraySize"])
	}
	t.Logf("Slurm %s, MaxArraySize %d, %s", conf["SLURM_VERSION"], maxArray, conf["AccountingStorageType"])

	dir := t.TempDir()
	args := []string{"--job-name=distillery-live-test", "--output=" + dir + "/%A_%a.out", "--array=0-2%2", "--wrap=sleep 2"}
	sb, err := c.Sbatch(ctx, args, SubmitKey{})
	if err != nil {
		t.Fatal(err)
	}
	id := sb.JobID
	defer c.Cancel(ctx, []string{id})
	jobs, err := c.Queue(ctx, []string{id})
	if err != nil {
		t.Fatal(err)
	}
	tasks := map[int]bool{}
	for _, j := range jobs {
		if j.ArrayJobID != id || !j.Active() {
			t.Errorf("unexpected %+v", j)
		}
		tasks[j.ArrayTaskID] = true
	}
	if len(tasks) != 3 {
		t.Errorf("squeue --array shows tasks %v of array %s, want 0, 1, 2", tasks, id)
	}
	// MaxArraySize bounds the index: an array past it is refused, which is
	// why submit splits into several arrays indexed from 0.
	_, err = c.Sbatch(ctx, []string{"--output=/dev/null", fmt.Sprintf("--array=0-%d", maxArray), "--wrap=true"}, SubmitKey{})
	if err == nil || !strings.Contains(err.Error(), "Invalid job array specification") {
		t.Errorf("an array past MaxArraySize: %v", err)
	}
	// Unknown job ids are no error.
	if jobs, err := c.Queue(ctx, []string{"999999"}); err != nil || len(jobs) != 0 {
		t.Errorf("unknown job: %v, %v", jobs, err)
	}
	// Wait for the tasks to end; squeue keeps them for MinJobAge.
	deadline := time.Now().Add(60 * time.Second)
	for {
		jobs, err = c.Queue(ctx, []string{id})
		if err != nil {
			t.Fatal(err)
		}
		done := 0
		for _, j := range jobs {
			if j.State == "COMPLETED" {
				done++
			}
		}
		if done == 3 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("tasks did not complete: %+v", jobs)
		}
		time.Sleep(time.Second)
	}
	acct, err := c.Accounting(ctx, []string{id})
	switch {
	case errors.Is(err, ErrNoAccounting):
		t.Log("sacct: accounting storage is disabled on this cluster (as configured by testcluster/up.sh)")
	case err != nil:
		t.Fatal(err)
	default:
		if len(acct) < 3 {
			t.Errorf("sacct: %+v", acct)
		}
	}
	// TestOnly validates without submitting.
	msg, err := c.TestOnly(ctx, []string{"--output=/dev/null", "--wrap=true"})
	if err != nil || !strings.Contains(msg, "to start at") {
		t.Errorf("sbatch --test-only: %q, %v", msg, err)
	}
}
