package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/runner/openai/openaitest"
	"github.com/distillery-hpc/distillery/shard"
)

// mergeTestRun writes a one-shard run directory with two problems: one
// answered right, one with a boxed answer the verifier rejects and the
// judge (judge_rejected, the default) recovers.
func mergeTestRun(t *testing.T, dir string, done bool) {
	t.Helper()
	l := shard.Layout{Dir: dir}
	probs := []shard.Problem{
		{UUID: "a", Problem: "1+1?", Answer: "2", Source: "olympiads", ProblemType: "Algebra", QuestionType: "math-word-problem"},
		{UUID: "b", Problem: "2+2?", Answer: "4", Source: "cn_k12", ProblemType: "Algebra", QuestionType: "math-word-problem"},
	}
	sum, err := shard.WriteInput(l.Input(0), probs)
	if err != nil {
		t.Fatal(err)
	}
	os.MkdirAll(l.OutputDir(), 0o755)
	w, _, err := shard.OpenOutput(l.Output(0), nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, g := range []shard.Generation{
		{UUID: "a", Index: 0, Text: "<think>easy</think> \\boxed{2}", FinishReason: "stop"},
		{UUID: "a", Index: 1, Text: "<think>hmm \\boxed{\\text{two}}", FinishReason: "length"},
		{UUID: "b", Index: 0, Text: "<think>x</think> It is \\boxed{5}.", FinishReason: "stop"},
	} {
		w.Add(&g)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	write := func(path string, v any) {
		b, _ := json.Marshal(v)
		if err := shard.WriteAtomic(path, func(w *bufio.Writer) error { _, err := w.Write(b); return err }); err != nil {
			t.Fatal(err)
		}
	}
	write(l.PlanFile(), shard.Plan{Version: 1, Problems: 2, Settings: shard.Settings{NumGenerations: 2},
		Shards: []shard.ShardInfo{{ID: 0, Problems: 2, SHA256: sum}}})
	if done {
		write(l.DoneMarker(0), shard.Done{Shard: 0, Problems: 2, Generations: 3})
	}
}

// mergeTestJudge is a judge (runner/openai/openaitest) that rules
// EQUIVALENT on the generation "It is \\boxed{5}." and DIFFERENT on the
// rest, reporting one prompt and one completion token per call.
func mergeTestJudge(t *testing.T) *openaitest.Server {
	return openaitest.New(t, openaitest.Config{Model: "judge", Reply: func(req *openaitest.Request) openaitest.Reply {
		verdict := "DIFFERENT"
		if bytes.Contains(req.Body, []byte(`It is \\boxed{5}`)) {
			verdict = "EQUIVALENT"
		}
		return openaitest.Reply{Content: "Compared.\nVerdict: " + verdict, PromptTokens: 1, CompletionTokens: 1}
	}})
}

func mergeTestEnv(stdout, stderr *bytes.Buffer) *Env {
	return &Env{
		Stdin: strings.NewReader(""), Stdout: stdout, Stderr: stderr,
		Getenv: func(string) string { return "" }, Environ: func() []string { return nil },
		Now: time.Now, Hostname: "test", Logger: slog.New(slog.NewTextHandler(stderr, nil)),
	}
}

func TestMergeCommand(t *testing.T) {
	judge := mergeTestJudge(t)
	tests := []struct {
		name    string
		done    bool
		args    []string
		wantErr []string // substrings of a one-line error
		wantOut []string
	}{
		{name: "judged", done: true, args: nil,
			wantOut: []string{"problems       2 (2 with generations)", "generations    3", "verified       equal ", "verified       equal 2, different 1, unsure 0", "judged         1: equivalent 1,", "judge calls    1 (1 prompt + 1 completion tokens); 33.3% of generations judged, 1 of them rejected by the verifier, 1 of those recovered", "split default  1 rows in 1 files", "dataset card   "}},
		{name: "no judge", done: true, args: []string{"--no-judge"},
			wantOut: []string{"judged         0", "split default  1 rows in 1 files"}},
		{name: "unfinished shard", done: false, args: nil,
			wantErr: []string{"shard-00000", "--allow-incomplete", "distillery resume"}},
		{name: "unfinished shard allowed", done: false, args: []string{"--allow-incomplete"},
			wantOut: []string{"INCOMPLETE: 1 shards", "split default  1 rows in 1 files"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			mergeTestRun(t, filepath.Join(dir, "run"), tt.done)
			cfg := filepath.Join(dir, "distillery.toml")
			// The plan is of format version 1 (num_generations only): the
			// config has to agree with it there.
			os.WriteFile(cfg, []byte("[run]\ndir = \"run\"\n\n[generate]\nnum_generations = 2\n\n[judge]\nendpoint = \""+judge.URL()+"\"\nwait_for_server = \"5s\"\n"), 0o644)
			var stdout, stderr bytes.Buffer
			args := append([]string{"distillery", "merge", "-c", cfg}, tt.args...)
			err := newApp(mergeTestEnv(&stdout, &stderr)).RunContext(context.Background(), args)
			if tt.wantErr != nil {
				if err == nil {
					t.Fatalf("no error; stdout:\n%s", stdout.String())
				}
				for _, s := range tt.wantErr {
					if !strings.Contains(err.Error(), s) || strings.Contains(err.Error(), "\n") {
						t.Errorf("error %q: want one line containing %q", err, s)
					}
				}
				return
			}
			if err != nil {
				t.Fatalf("%v\nstderr:\n%s", err, stderr.String())
			}
			for _, s := range tt.wantOut {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q:\n%s", s, stdout.String())
				}
			}
			if _, err := os.Stat(filepath.Join(dir, "run", "dataset", "data", "train-00000-of-00001.parquet")); err != nil {
				t.Error(err)
			}
		})
	}
}
