package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/shard"
)

// lockedBuffer is a bytes.Buffer safe to read while the command writes.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startSimServer runs `distillery sim-server args...` in-process and
// returns the URL it printed, a cancel func (SIGTERM) and its exit code.
func startSimServer(t *testing.T, args ...string) (url string, stop func() int, stderr *lockedBuffer) {
	t.Helper()
	var out lockedBuffer
	stderr = &lockedBuffer{}
	env := &Env{
		Stdin: strings.NewReader(""), Stdout: &out, Stderr: stderr,
		Getenv: func(string) string { return "" }, Environ: func() []string { return nil },
		Now: time.Now, Hostname: "testhost",
	}
	env.Logger = newLogger(env)
	ctx, cancel := context.WithCancel(context.Background())
	codec := make(chan int, 1)
	go func() { codec <- runApp(ctx, env, append([]string{"distillery", "sim-server"}, args...)) }()
	deadline := time.Now().Add(10 * time.Second)
	for {
		if s := strings.TrimSpace(out.String()); strings.HasPrefix(s, "http://") {
			url = s
			break
		}
		select {
		case code := <-codec:
			cancel()
			t.Fatalf("sim-server exited with %d: %s", code, stderr.String())
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			t.Fatalf("sim-server printed no URL: %s", stderr.String())
		}
		time.Sleep(10 * time.Millisecond)
	}
	var once sync.Once
	code := 0
	stop = func() int {
		once.Do(func() {
			cancel()
			code = <-codec
		})
		return code
	}
	t.Cleanup(func() { stop() })
	return url, stop, stderr
}

func TestSimServerCommand(t *testing.T) {
	dir := t.TempDir()
	runDir := filepath.Join(dir, "run")
	l := shard.Layout{Dir: runDir}
	if err := os.MkdirAll(l.InputDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	ps := []shard.Problem{{UUID: "p1", Problem: "What is the sum of the first three positive integers?", Answer: "6"}}
	if _, err := shard.WriteInput(l.Input(0), ps); err != nil {
		t.Fatal(err)
	}
	url, stop, stderr := startSimServer(t, "--run-dir", runDir, "--port", "0", "--time-scale", "1000000", "--load-time", "0s", "--set", "sim.share_right=1", "--set", "sim.share_wrong=0", "--set", "sim.share_rewritten=0", "--set", "sim.share_unboxed=0")
	resp, err := http.Get(url + "/health_generate")
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("/health_generate: %v %v", err, resp)
	}
	resp.Body.Close()
	body := `{"model":"m","messages":[{"role":"user","content":"What is the sum of the first three positive integers?\n\nPlease reason step by step, and put your final answer within \\boxed{}."}],"max_tokens":30000}`
	resp, err = http.Post(url+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	var r struct {
		Choices []struct {
			Message      struct{ Content string } `json:"message"`
			FinishReason string                   `json:"finish_reason"`
		} `json:"choices"`
	}
	json.NewDecoder(resp.Body).Decode(&r)
	resp.Body.Close()
	if len(r.Choices) != 1 || r.Choices[0].FinishReason != "stop" || !strings.HasSuffix(r.Choices[0].Message.Content, "\\boxed{6}") {
		t.Errorf("answer: %+v", r)
	}
	if code := stop(); code != exitOK {
		t.Errorf("exit code %d after cancel: %s", code, stderr.String())
	}
}

func TestSimServerCommandCrash(t *testing.T) {
	dir := t.TempDir()
	probs := filepath.Join(dir, "p.jsonl")
	os.WriteFile(probs, []byte(`{"uuid":"a","problem":"What is 2+3?","answer":"5"}`+"\n"), 0o644)
	url, stop, stderr := startSimServer(t, "--problems", probs, "--port", "0", "--time-scale", "1000000", "--load-time", "0s", "--crash-after", "1")
	body := `{"messages":[{"role":"user","content":"What is 2+3?"}],"max_tokens":2000}`
	for i := 0; i < 2; i++ {
		resp, err := http.Post(url+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err == nil {
			resp.Body.Close()
		}
		if i == 0 && (err != nil || resp.StatusCode != 200) {
			t.Fatalf("first request: %v %v", err, resp)
		}
		if i == 1 && err == nil {
			t.Fatal("second request succeeded after crash_after = 1")
		}
	}
	if code := stop(); code != exitError || !strings.Contains(stderr.String(), "crashed") {
		t.Errorf("exit code %d, stderr %s", code, stderr.String())
	}
}

func TestSimServerCommandBadInput(t *testing.T) {
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no shards", []string{"--run-dir", t.TempDir(), "--port", "0"}, exitError, "distillery plan"},
		{"missing problems file", []string{"--problems", filepath.Join(t.TempDir(), "nope.jsonl"), "--port", "0"}, exitError, "does not exist"},
		{"bad time scale", []string{"--time-scale", "0", "--port", "0"}, exitUsage, "sim.time_scale"},
		{"bad port", []string{"--port", "70000"}, exitUsage, "--port"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, errOut := distill(t, nil, append([]string{"sim-server"}, tt.args...)...)
			if code != tt.code || !strings.Contains(errOut, tt.want) || strings.Count(strings.TrimSpace(errOut), "\n") > 0 {
				t.Errorf("exit %d, stderr %q; want %d and one line with %q", code, errOut, tt.code, tt.want)
			}
		})
	}
}
