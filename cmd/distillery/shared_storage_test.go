//go:build linux

package main

import (
	"fmt"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	"github.com/distillery-hpc/distillery/internal/testenv"
)

// teammate adds a second user (another uid, in group 0, the group of the
// files root makes) for the test and returns its credential; it is removed
// when the test ends.
func teammate(t *testing.T) *syscall.Credential {
	t.Helper()
	if os.Geteuid() != 0 {
		testenv.Skip(t, testenv.Root, "not root: cannot add a second user to read the run dir as a teammate")
	}
	if _, err := exec.LookPath("useradd"); err != nil {
		testenv.Skip(t, testenv.Root, "useradd not found: %v", err)
	}
	name := fmt.Sprintf("dmate%d", os.Getpid()%100000)
	if out, err := exec.Command("useradd", "-M", "-N", "-g", "0", "-s", "/bin/sh", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd: %v\n%s", err, out)
	}
	t.Cleanup(func() { exec.Command("userdel", name).Run() })
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.Atoi(u.Uid)
	return &syscall.Credential{Uid: uint32(uid), Gid: 0}
}

// asTeammate runs a command as the teammate and returns its exit code and
// output.
func asTeammate(cred *syscall.Credential, dir, name string, args ...string) (int, string) {
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	cmd.Env = append(cleanEnv(), "HOME="+dir)
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: cred}
	out, err := cmd.CombinedOutput()
	return exitCode(err), string(out)
}

// TestTeammateReadsRunDir: on shared project storage, a teammate (another
// uid, the same group) runs `distillery status` on a run dir someone else
// made and reads its dataset. The run is made under umask 027, so only
// the group may read: files that ignore the umask (0600, 0700) fail it.
func TestTeammateReadsRunDir(t *testing.T) {
	cred := teammate(t)
	bin := buildDistillery(t)
	shared, err := os.MkdirTemp("", "distillery-shared-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(shared) })
	// The project directory: the group may enter it.
	if err := os.Chmod(shared, 0o750); err != nil {
		t.Fatal(err)
	}
	old := syscall.Umask(0o027)
	defer syscall.Umask(old)

	sharedBin := filepath.Join(shared, "distillery")
	copyFile(t, bin, sharedBin)
	os.Chmod(sharedBin, 0o750)
	copyFile(t, "../../examples/quickstart.toml", filepath.Join(shared, "quickstart.toml"))
	copyFile(t, "../../examples/problems.parquet", filepath.Join(shared, "problems.parquet"))
	cfg := filepath.Join(shared, "quickstart.toml")
	runDir := filepath.Join(shared, "run")
	if code, out, errs := distill(t, nil, "local", "-c", cfg, "--set", "run.dir="+runDir, "--no-judge"); code != 0 {
		t.Fatalf("local exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}

	// The setup can fail: a file the umask does not decide (os.CreateTemp
	// makes 0600) is not the teammate's to read.
	private, err := os.CreateTemp(shared, "private-")
	if err != nil {
		t.Fatal(err)
	}
	private.Close()
	if code, out := readAs(cred, shared, []string{private.Name()}); code == 0 {
		t.Fatalf("the teammate read a 0600 file (%s): the test cannot tell", out)
	}

	code, out := asTeammate(cred, shared, sharedBin, "status", "-c", cfg, "--set", "run.dir="+runDir)
	if code != 0 || !strings.Contains(out, "done") {
		t.Errorf("teammate's status: exit %d\n%s", code, out)
	}
	code, out = asTeammate(cred, shared, sharedBin, "status", "--json", "-c", cfg, "--set", "run.dir="+runDir)
	if code != 0 || !strings.Contains(out, `"dataset": true`) {
		t.Errorf("teammate's status --json: exit %d\n%s", code, out)
	}
	var files []string
	filepath.Walk(filepath.Join(runDir, "dataset"), func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() {
			files = append(files, p)
		}
		return nil
	})
	if len(files) < 3 {
		t.Fatalf("dataset files: %v", files)
	}
	code, out = asTeammate(cred, shared, "ls", "-lR", filepath.Join(runDir, "dataset"))
	if code != 0 {
		t.Errorf("teammate's ls dataset: exit %d\n%s", code, out)
	}
	if code, out := readAs(cred, shared, files); code != 0 {
		t.Errorf("teammate cannot read the dataset: exit %d\n%.2000s", code, out)
	}
	// And the rest of the run dir: plan, done markers, outputs.
	var rest []string
	filepath.Walk(runDir, func(p string, fi os.FileInfo, err error) error {
		if err == nil && !fi.IsDir() && !strings.Contains(p, "/dataset/") {
			rest = append(rest, p)
		}
		return nil
	})
	if code, out := readAs(cred, shared, rest); code != 0 {
		t.Errorf("teammate cannot read the run dir: exit %d\n%.2000s", code, out)
	}
}

// readAs reads files as the teammate; out holds cat's complaints only.
func readAs(cred *syscall.Credential, dir string, files []string) (int, string) {
	return asTeammate(cred, dir, "sh", append([]string{"-c", `cat "$@" >/dev/null`, "sh"}, files...)...)
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o666); err != nil {
		t.Fatal(err)
	}
}
