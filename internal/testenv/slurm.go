package testenv

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/internal/realdata"
)

// NeedSlurm returns the environment (os.Environ plus SLURM_CONF) in which
// the Slurm commands reach a running cluster: the one already answering,
// or the local one-node test cluster, started with slurm/testcluster/up.sh
// (idempotent and locked, shared by every checkout on the machine; never
// stopped here). It skips with -short, and skips when sbatch is not
// installed (fails when DISTILLERY_REQUIRE_SLURM=1).
func NeedSlurm(t testing.TB) []string {
	t.Helper()
	if testing.Short() {
		t.Skip("SKIP: real-Slurm tests do not run with -short")
	}
	if _, err := exec.LookPath("sbatch"); err != nil {
		Skip(t, Slurm, "sbatch not found: the real-Slurm tests did not run (apt-get install -y slurm-wlm munge; see slurm/testcluster/up.sh)")
	}
	env := os.Environ()
	if slurmUp(env) {
		return env
	}
	root, err := realdata.ModuleRoot()
	if err != nil {
		t.Fatal(err)
	}
	t.Log("starting the local test cluster with slurm/testcluster/up.sh")
	cmd := exec.Command(filepath.Join(root, "slurm", "testcluster", "up.sh"))
	cmd.Env = append(os.Environ(), "MAX_ARRAY_SIZE=5")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("slurm/testcluster/up.sh: %v\n%s", err, stderr.String())
	}
	for _, line := range strings.Split(string(out), "\n") {
		if v, ok := strings.CutPrefix(line, "export SLURM_CONF="); ok {
			env = append(env, "SLURM_CONF="+strings.Trim(v, `'"`))
		}
	}
	if !slurmUp(env) {
		t.Fatalf("the test cluster did not come up:\n%s", stderr.String())
	}
	return env
}

// slurmUp says whether sinfo, run in env, shows a node that can take jobs.
func slurmUp(env []string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "sinfo", "-h", "-o", "%T")
	cmd.Env = env
	out, err := cmd.Output()
	return err == nil && (bytes.Contains(out, []byte("idle")) || bytes.Contains(out, []byte("mix")) || bytes.Contains(out, []byte("alloc")))
}
