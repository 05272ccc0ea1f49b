package slurm

import (
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestGenerateScriptSignals runs a rendered generate.sbatch with bash,
// outside Slurm, against a stand-in runner, and checks the array index ->
// shards map, the runner's command line, and what happens on USR1 (the
// time-limit warning: forwarded, then a requeue), on TERM (not forwarded:
// Slurm signals the runner itself) and on the runner's own exit codes.
func TestGenerateScriptSignals(t *testing.T) {
	bash, r := scriptTestSetup(t)
	dir := t.TempDir()
	bin := filepath.Join(dir, "bin")
	os.MkdirAll(bin, 0o755)
	fake := filepath.Join(bin, "fake-distillery")
	os.WriteFile(fake, []byte(`#!/bin/bash
echo "$@" > "$OUT/args"
echo $$ > "$OUT/pid"
if [[ -n ${FAKE_EXIT:-} ]]; then exit "$FAKE_EXIT"; fi
trap 'echo usr1 >> "$OUT/signals"; exit "${FAKE_SIGNAL_EXIT:-75}"' USR1
trap 'echo term >> "$OUT/signals"; exit "${FAKE_SIGNAL_EXIT:-75}"' TERM
while :; do sleep 0.05; done
`), 0o755)
	os.WriteFile(filepath.Join(bin, "scontrol"), []byte("#!/bin/bash\necho \"$@\" >> \"$OUT/scontrol\"\n"), 0o755)

	j := baseJob()
	j.Slurm.Setup = nil
	j.Slurm.Binary = fake
	j.Sets = []string{"generate.model=a b"}
	ext := DefaultServerConfig()
	ext.Kind = "external"
	ext.Endpoint = "http://inference:8000"
	script, err := r.Generate(GenerateInput{JobInput: j, Server: ext, Tasks: goldenTasks()})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, "generate.sbatch")
	os.WriteFile(path, script, 0o644)

	cases := []struct {
		name       string
		exit       string // FAKE_EXIT
		sigExit    string // FAKE_SIGNAL_EXIT: the runner's status after a signal
		signal     syscall.Signal
		wantCode   int
		wantSigs   string
		wantRequeu bool
	}{
		{"done", "0", "", 0, 0, "", false},
		{"runner fails", "1", "", 0, 1, "", false},
		{"runner busy", "75", "", 0, 75, "", false},
		{"time limit warning", "", "", syscall.SIGUSR1, 75, "usr1\n", true},
		{"warning as the last shard ends", "", "0", syscall.SIGUSR1, 0, "usr1\n", false},
		{"scancel", "", "", syscall.SIGTERM, 75, "term\n", false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			cmd := exec.Command(bash, path)
			cmd.Env = append(os.Environ(), "PATH="+bin+":"+os.Getenv("PATH"), "OUT="+out,
				"SLURM_ARRAY_TASK_ID=1", "SLURM_ARRAY_JOB_ID=40", "SLURM_JOB_ID=42", "FAKE_EXIT="+tc.exit, "FAKE_SIGNAL_EXIT="+tc.sigExit)
			var stderr strings.Builder
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			if tc.signal != 0 {
				pid := waitFile(t, filepath.Join(out, "pid"))
				cmd.Process.Signal(tc.signal)
				if tc.signal == syscall.SIGTERM {
					// Slurm sends TERM to every process of the job.
					time.Sleep(200 * time.Millisecond)
					if n, err := strconv.Atoi(pid); err == nil {
						p, _ := os.FindProcess(n)
						p.Signal(syscall.SIGTERM)
					}
				}
			}
			if tc.wantRequeu {
				// Slurm answers a requeue by ending the running job.
				waitFile(t, filepath.Join(out, "scontrol"))
				time.Sleep(100 * time.Millisecond)
				cmd.Process.Signal(syscall.SIGTERM)
			}
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case <-done:
			case <-time.After(20 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("the script did not end:\n%s", stderr.String())
			}
			if code := cmd.ProcessState.ExitCode(); code != tc.wantCode {
				t.Errorf("exit %d, want %d\n%s", code, tc.wantCode, stderr.String())
			}
			args, _ := os.ReadFile(filepath.Join(out, "args"))
			if want := "run -c /shared/runs/r1/distillery.toml --set generate.model=a b --shard 2 --shard 3 --set generate.endpoint=http://inference:8000\n"; string(args) != want {
				t.Errorf("runner args %q, want %q", args, want)
			}
			sigs, _ := os.ReadFile(filepath.Join(out, "signals"))
			if string(sigs) != tc.wantSigs {
				t.Errorf("runner got signals %q, want %q", sigs, tc.wantSigs)
			}
			req, _ := os.ReadFile(filepath.Join(out, "scontrol"))
			if got := string(req) == "requeue 40_1\n"; got != tc.wantRequeu {
				t.Errorf("scontrol calls %q, want requeue: %v", req, tc.wantRequeu)
			}
		})
	}
}

func waitFile(t *testing.T, path string) string {
	t.Helper()
	for i := 0; i < 200; i++ {
		if b, err := os.ReadFile(path); err == nil && len(b) > 0 {
			return strings.TrimSpace(string(b))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s did not appear", path)
	return ""
}

// TestMergeScriptChecksDone runs a rendered merge.sbatch with bash, outside
// Slurm, against a stand-in distillery: the merge job runs afterany, so it
// also runs when array tasks failed; it must then stop before it starts the
// judge server (merge would refuse the run anyway, after the server had
// taken the merge job's GPUs for its startup), and say what to do. With
// merge.allow_incomplete it merges what is there.
func TestMergeScriptChecksDone(t *testing.T) {
	bash, r := scriptTestSetup(t)
	cases := []struct {
		name            string
		allowIncomplete bool
		statusExit      string
		wantExit        int
		wantCalls       string // the stand-in's subcommands, in order
		wantStderr      string
	}{
		{"all done", false, "0", 0, "status sim-server merge", ""},
		{"failed shards", false, "4", 1, "status", "run 'distillery resume'"},
		{"slurm did not answer", false, "5", 1, "status", "distillery status exited 5"},
		{"allow incomplete", true, "4", 0, "sim-server merge", ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			fake := filepath.Join(dir, "fake-distillery")
			// sim-server prints a URL and stays up; the stand-in curl
			// says it is healthy.
			os.WriteFile(filepath.Join(dir, "curl"), []byte("#!/bin/sh\nexit 0\n"), 0o755)
			os.WriteFile(fake, []byte(`#!/bin/bash
printf '%s ' "$1" >> "$OUT/calls"
case $1 in
status) exit "$FAKE_STATUS" ;;
sim-server) echo http://127.0.0.1:1; exec sleep 30 ;;
esac
exit 0
`), 0o755)
			j := baseJob()
			j.Slurm.Setup = nil
			j.Slurm.Binary = fake
			j.AllowIncomplete = tc.allowIncomplete
			judge := DefaultServerConfig()
			judge.Kind = "sim"
			judge.StartupTimeout = 5
			script, err := r.Merge(MergeInput{JobInput: j, Judge: &judge})
			if err != nil {
				t.Fatal(err)
			}
			path := filepath.Join(dir, "merge.sbatch")
			os.WriteFile(path, script, 0o644)
			cmd := exec.Command(bash, path)
			cmd.Dir = dir
			var stderr strings.Builder
			cmd.Stderr = &stderr
			cmd.Env = append(os.Environ(), "OUT="+dir, "FAKE_STATUS="+tc.statusExit, "SLURM_JOB_ID=7", "PATH="+dir+":"+os.Getenv("PATH"))
			err = cmd.Run()
			code := 0
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err != nil {
				t.Fatal(err)
			}
			// The server starts in the background and the stand-in curl
			// says it is healthy at once, so its call may land after
			// merge's: compare the calls as a set.
			raw, _ := os.ReadFile(filepath.Join(dir, "calls"))
			got, want := strings.Fields(string(raw)), strings.Fields(tc.wantCalls)
			slices.Sort(got)
			slices.Sort(want)
			calls := strings.Join(got, " ")
			if code != tc.wantExit || !slices.Equal(got, want) {
				t.Errorf("exit %d, calls %q; want exit %d, calls %q\nstderr: %s", code, calls, tc.wantExit, tc.wantCalls, stderr.String())
			}
			if !strings.Contains(stderr.String(), tc.wantStderr) {
				t.Errorf("stderr %q does not say %q", stderr.String(), tc.wantStderr)
			}
		})
	}
}

// scriptTestSetup finds bash (the tests that run rendered scripts skip
// without it) and returns the built-in templates' renderer.
func scriptTestSetup(t *testing.T) (string, *Renderer) {
	t.Helper()
	bash, err := exec.LookPath("bash")
	if err != nil {
		t.Skip("SKIP: bash not found")
	}
	r, err := NewRenderer("")
	if err != nil {
		t.Fatal(err)
	}
	return bash, r
}
