package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/runner/openai/openaitest"
	"github.com/distillery-hpc/distillery/shard"
)

// healthyReply is an SGLang answer with the reasoning split off.
var healthyReply = openaitest.Reply{Reasoning: "Adding up.", Content: "So the answer is \\boxed{7}.", PromptTokens: 41, CompletionTokens: 19}

// newSGLangShaped is an SGLang-shaped fake (runner/openai/openaitest, not
// our simulator) that answers healthyReply unless fault, when set, answers
// instead (its bool: it did). With loading, the port refuses connections
// that long, then /health_generate answers 503 for as long again.
func newSGLangShaped(t *testing.T, loading time.Duration, fault func(*openaitest.Request) (openaitest.Reply, bool)) *openaitest.Server {
	return openaitest.New(t, openaitest.Config{Model: "test/model", Refuse: loading, Warmup: loading, Reply: func(req *openaitest.Request) openaitest.Reply {
		if fault != nil {
			if rep, ok := fault(req); ok {
				return rep
			}
		}
		return healthyReply
	}})
}

// TestRunCommandFaults runs the binary against an SGLang-shaped server with
// one fault at a time. Each run either completes the shard (exit 0, every
// (uuid, index) once, done marker) or fails with exit 1 and one last line
// that says what happened, leaving no done marker and no lease; a rerun
// against the healthy server then completes it, asking only for what is
// missing.
func TestRunCommandFaults(t *testing.T) {
	bin := buildDistillery(t)
	const problems, gens = 6, 4
	tests := []struct {
		name    string
		loading time.Duration
		extra   string // config lines
		fault   func(*openaitest.Request) (openaitest.Reply, bool)
		fails   []string // empty: completes; else the last line holds each
	}{
		{name: "healthy"},
		{name: "refused while loading, then 503 on health, then serving", loading: 400 * time.Millisecond},
		{name: "headers then hang, bounded by request_timeout", extra: "request_timeout = \"300ms\"\n",
			fault: func(req *openaitest.Request) (openaitest.Reply, bool) {
				// The first request for each of every other problem
				// hangs: each hang is retried, none twice.
				var a, b int
				fmt.Sscanf(req.Prompt, "What is %d+%d?", &a, &b)
				return openaitest.Reply{Fault: openaitest.HeadersThenHang}, req.Attempt == 0 && b%2 == 0
			}},
		{name: "400 context length for one problem", fault: func(req *openaitest.Request) (openaitest.Reply, bool) {
			return openaitest.Reply{Status: http.StatusBadRequest, Error: "The input (40211 tokens) is longer than the model's context length (32768 tokens)."},
				strings.HasPrefix(req.Prompt, "What is 0+2?")
		}, fails: []string{"shard 0: 4 failed", "p0-0002", "longer than the model's context length", "--allow-incomplete"}},
		{name: "finish_reason abort on every attempt for one problem", fault: func(req *openaitest.Request) (openaitest.Reply, bool) {
			return openaitest.Reply{Finish: "abort"}, strings.HasPrefix(req.Prompt, "What is 0+4?")
		}, fails: []string{"shard 0: 4 failed", "p0-0004", `finish_reason "abort"`}},
		{name: "500 on every request", fault: func(*openaitest.Request) (openaitest.Reply, bool) {
			return openaitest.Reply{Status: http.StatusInternalServerError, Error: "Internal server error: CUDA error: an illegal memory access was encountered"}, true
		}, fails: []string{"server unavailable", "/v1/chat/completions", "illegal memory access"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newSGLangShaped(t, tt.loading, tt.fault)
			cfg, l := writeRunDir(t, t.TempDir(), s.URL()+"/v1", []int{problems}, tt.extra)
			run := func() (int, string, string) {
				cmd := exec.Command(bin, "run", "-c", cfg, "--shard", "0")
				cmd.Env = cleanEnv()
				var o, e bytes.Buffer
				cmd.Stdout, cmd.Stderr = &o, &e
				start := time.Now()
				code := exitCode(cmd.Run())
				if time.Since(start) > 20*time.Second {
					t.Errorf("run took %s", time.Since(start))
				}
				return code, o.String(), e.String()
			}
			code, out, errOut := run()
			last := strings.TrimSpace(errOut)
			if i := strings.LastIndexByte(last, '\n'); i >= 0 {
				last = last[i+1:]
			}
			_, done, _ := shard.ReadDone(l, 0)
			if _, err := os.Stat(l.Lease(0)); !os.IsNotExist(err) {
				t.Error("lease left behind")
			}
			before, _ := shard.ReadOutput(l.Output(0), nil)
			if before.Duplicates != 0 || before.TornBytes != 0 {
				t.Errorf("output %+v", before)
			}
			if len(tt.fails) == 0 {
				if code != 0 || !done || !strings.Contains(out, "shards 1/1 done") {
					t.Fatalf("exit %d, done %v, stdout %q\n%s", code, done, out, errOut)
				}
			} else {
				if code != 1 || done {
					t.Fatalf("exit %d, done %v: want exit 1 and no done marker\n%s", code, done, errOut)
				}
				if !strings.HasPrefix(last, "distillery: ") {
					t.Errorf("last line %q is not the error", last)
				}
				for _, w := range tt.fails {
					if !strings.Contains(last, w) {
						t.Errorf("last line %q lacks %q", last, w)
					}
				}
				// The server recovers; the rerun asks only for the rest.
				s.SetReply(func(*openaitest.Request) openaitest.Reply { return healthyReply })
				answered := s.Answered()
				if code, _, errOut := run(); code != 0 {
					t.Fatalf("rerun: exit %d\n%s", code, errOut)
				}
				if got, want := s.Answered()-answered, int64(problems*gens-before.Records); got != want {
					t.Errorf("rerun asked for %d generations, %d were missing", got, want)
				}
			}
			checkShardFile(t, l, problems, gens)
		})
	}
}

// checkShardFile reads the shard as raw JSON lines: every (uuid, index)
// once, each with the record fields of issue 2.
func checkShardFile(t *testing.T, l shard.Layout, problems, gens int) {
	t.Helper()
	seen := map[shard.Key]bool{}
	info, err := shard.ReadOutput(l.Output(0), func(g *shard.Generation) error {
		b, _ := json.Marshal(g)
		var m map[string]any
		json.Unmarshal(b, &m)
		for _, k := range []string{"uuid", "index", "text", "finish_reason", "prompt_tokens", "completion_tokens", "latency_ms", "model", "started_at", "finished_at", "host"} {
			if _, ok := m[k]; !ok {
				t.Errorf("record lacks %s: %s", k, b)
			}
		}
		if g.Text == "" || g.FinishReason != "stop" || g.CompletionTokens != 19 || g.Model != "test/model" {
			t.Errorf("record %s", b)
		}
		seen[g.Key()] = true
		return nil
	})
	if err != nil || info.Records != problems*gens || info.Duplicates != 0 {
		t.Fatalf("output %+v, %v", info, err)
	}
	for i := range problems {
		for k := range gens {
			if !seen[shard.Key{UUID: fmt.Sprintf("p0-%04d", i), Index: k}] {
				t.Errorf("lacks p0-%04d/%d", i, k)
			}
		}
	}
	if d, ok, err := shard.ReadDone(l, 0); err != nil || !ok || d.Generations != problems*gens {
		t.Errorf("done marker %+v %v %v", d, ok, err)
	}
}

// A bare number for one of the runner's durations is seconds, like
// slurm.startup_timeout, not TOML's nanoseconds: request_timeout = 30 made
// every request and health probe time out at once.
func TestConfigDurationAsSeconds(t *testing.T) {
	dir := t.TempDir()
	path := dir + "/d.toml"
	toml := "[generate]\nrequest_timeout = 30\nretry_max = \"2m\"\nwait_for_server = 0\n[judge]\nrequest_timeout = 600\n"
	if err := os.WriteFile(path, []byte(toml), 0o644); err != nil {
		t.Fatal(err)
	}
	c, err := loadConfig(path, func(string) string { return "" }, nil, dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Generate.RequestTimeout != 30*time.Second || c.Generate.RetryMax != 2*time.Minute || c.Generate.WaitForServer != 0 || c.Judge.RequestTimeout != 10*time.Minute {
		t.Errorf("request_timeout %s, retry_max %s, wait_for_server %s, judge.request_timeout %s",
			c.Generate.RequestTimeout, c.Generate.RetryMax, c.Generate.WaitForServer, c.Judge.RequestTimeout)
	}
	// The environment and --set read a bare number the same way.
	env := map[string]string{"DISTILLERY_GENERATE_RETRY_BASE": "2.5"}
	c, err = loadConfig(path, func(k string) string { return env[k] }, []string{"generate.grace_period=90", "judge.request_timeout=1m"}, dir)
	if err != nil {
		t.Fatal(err)
	}
	if c.Generate.RetryBase != 2500*time.Millisecond || c.Generate.GracePeriod != 90*time.Second || c.Judge.RequestTimeout != time.Minute {
		t.Errorf("retry_base %s, grace_period %s, judge.request_timeout %s", c.Generate.RetryBase, c.Generate.GracePeriod, c.Judge.RequestTimeout)
	}
	if _, err := loadConfig(path, func(string) string { return "" }, []string{"generate.grace_period=soon"}, dir); err == nil || !strings.Contains(err.Error(), "generate.grace_period") {
		t.Errorf("err = %v, want one naming generate.grace_period", err)
	}
	if err := os.WriteFile(path, []byte("[generate]\nrequest_timeout = 9999999999999\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := loadConfig(path, func(string) string { return "" }, nil, dir); err == nil || !strings.Contains(err.Error(), "generate.request_timeout") {
		t.Errorf("err = %v, want one naming generate.request_timeout", err)
	}
}
