package main

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/distillery-hpc/distillery/internal/testenv"
	"github.com/distillery-hpc/distillery/runner/simserver"
	"github.com/distillery-hpc/distillery/shard"
)

// tmuxSession is one tmux server of the test's own (its own socket),
// running one command in a pane of a fixed size.
type tmuxSession struct {
	t      *testing.T
	tmux   string
	socket string
	status string // the file the command's exit status is written to
}

func (s *tmuxSession) run(args ...string) (string, error) {
	cmd := exec.Command(s.tmux, append([]string{"-S", s.socket}, args...)...)
	cmd.Env = append(cleanEnv(), "TMUX=")
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		return out.String(), fmt.Errorf("tmux %s: %v: %s", strings.Join(args, " "), err, errb.String())
	}
	return out.String(), nil
}

// startTmux runs command (a shell command line) in a detached tmux pane
// of width×height, kept on screen after it exits (remain-on-exit).
func startTmux(t *testing.T, command string, width, height int) *tmuxSession {
	t.Helper()
	s := &tmuxSession{t: t, tmux: testenv.NeedTmux(t)}
	dir, err := os.MkdirTemp("", "distillery-tmux-") // a short path: sockets have a length limit
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	s.socket = filepath.Join(dir, "s")
	// The shell writes the exit status: tmux's own pane_dead_status is
	// not always set when the pane is dead (3.3a marks it dead when the
	// terminal closes, and may not have reaped the process yet).
	s.status = filepath.Join(dir, "status")
	command = fmt.Sprintf("%s; echo $? > %s.tmp && mv %s.tmp %s", command, s.status, s.status, s.status)
	conf := filepath.Join(dir, "tmux.conf")
	if err := os.WriteFile(conf, []byte("set -g remain-on-exit on\nset -g status off\nset -g history-limit 5000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := s.run("-f", conf, "new-session", "-d", "-s", "w", "-x", strconv.Itoa(width), "-y", strconv.Itoa(height), command); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.run("kill-server") })
	return s
}

// screen is what the pane shows now; history adds what scrolled off.
func (s *tmuxSession) screen(history bool) string {
	args := []string{"capture-pane", "-p", "-t", "w"}
	if history {
		args = append(args, "-S", "-")
	}
	out, err := s.run(args...)
	if err != nil {
		s.t.Fatal(err)
	}
	return out
}

// exited says whether the pane's command ended, and its exit status.
func (s *tmuxSession) exited() (bool, int) {
	b, err := os.ReadFile(s.status)
	if errors.Is(err, fs.ErrNotExist) {
		return false, 0
	}
	if err != nil {
		s.t.Fatal(err)
	}
	code, err := strconv.Atoi(strings.TrimSpace(string(b)))
	if err != nil {
		s.t.Fatalf("exit status file %s: %q", s.status, b)
	}
	return true, code
}

// TestStatusWatchTmux drives `status --watch` in a real terminal (tmux,
// 80×24) while a real runner generates four shards against the simulator:
// the table is redrawn in place (one header on screen, nothing scrolled
// into the history), the generations counted grow from one refresh to
// the next, no line is wider than 80 columns, and watch ends by itself,
// with status's exit 0, when the last shard is done.
func TestStatusWatchTmux(t *testing.T) {
	testenv.NeedTmux(t)
	bin := buildDistillery(t)
	dir := t.TempDir()
	cfgPath, l := writeRunDir(t, dir, "", []int{6, 6, 6, 6}, "")
	problems, err := simserver.LoadRunDir(l.Dir)
	if err != nil {
		t.Fatal(err)
	}
	sc := simserver.DefaultConfig()
	sc.Model = "test/model"
	sc.LoadTime = 0
	sc.TimeScale = 150 // about 0.9 s a generation, 8 at once: a run of ~12 s
	inst, err := simserver.New(sc, problems, nil).Start(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { inst.Close() })

	runner := exec.Command(bin, "run", "-c", cfgPath, "--shard", "0-3", "--set", "generate.endpoint="+inst.URL)
	runner.Env = cleanEnv()
	var runOut bytes.Buffer
	runner.Stdout, runner.Stderr = &runOut, &runOut
	if err := runner.Start(); err != nil {
		t.Fatal(err)
	}
	runDone := make(chan error, 1)
	go func() { runDone <- runner.Wait() }()
	t.Cleanup(func() {
		if runner.ProcessState == nil {
			runner.Process.Kill()
			<-runDone
		}
	})
	// The runner takes shard 0's lease before it writes; watch starts once
	// the run is live.
	deadline := time.Now().Add(30 * time.Second)
	for {
		if _, err := os.Stat(l.Lease(0)); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the runner took no lease in 30 s:\n%s", runOut.String())
		}
		time.Sleep(20 * time.Millisecond)
	}

	ses := startTmux(t, fmt.Sprintf("%s status -c %s --watch --interval 400ms", bin, cfgPath), 80, 24)
	reGen := regexp.MustCompile(`generations (\d+)/96`)
	var seen []int
	var last string
	for {
		time.Sleep(450 * time.Millisecond)
		scr := ses.screen(false)
		if m := reGen.FindStringSubmatch(scr); m != nil {
			n, _ := strconv.Atoi(m[1])
			if len(seen) == 0 || seen[len(seen)-1] != n {
				seen = append(seen, n)
			}
		}
		last = scr
		if dead, _ := ses.exited(); dead || time.Now().After(deadline.Add(60*time.Second)) {
			break
		}
	}
	dead, code := ses.exited()
	if !dead {
		t.Fatalf("watch did not end when the run did; screen:\n%s\nrunner:\n%s", last, runOut.String())
	}
	if err := <-runDone; err != nil {
		t.Fatalf("runner: %v\n%s", err, runOut.String())
	}
	final := ses.screen(false)
	hist := ses.screen(true)
	t.Logf("refreshes seen with generations %v; final screen:\n%s\nhistory:\n%s", seen, final, hist)
	if code != 0 {
		t.Errorf("watch exit %d at the end of a finished run, want 0", code)
	}
	if len(seen) < 3 {
		t.Errorf("saw %d distinct refreshes (generations %v), want at least 3", len(seen), seen)
	}
	for i := 1; i < len(seen); i++ {
		if seen[i] < seen[i-1] {
			t.Errorf("generations went down between refreshes: %v", seen)
		}
	}
	if !strings.Contains(final, "generations 96/96") || !strings.Contains(final, "4 shards: 4 done") {
		t.Errorf("the last frame does not show the finished run:\n%s", final)
	}
	if n := strings.Count(hist, "SHARD "); n != 1 {
		t.Errorf("the table header is %d times in the pane and its history: watch scrolls instead of redrawing in place\n%s", n, hist)
	}
	for _, line := range strings.Split(hist, "\n") {
		if utf8.RuneCountInString(strings.TrimRight(line, " ")) > 80 {
			t.Errorf("line wider than 80 columns: %q", line)
		}
	}
	if _, ok, _ := shard.ReadDone(l, 3); !ok {
		t.Errorf("shard 3 not done after the run")
	}
}
