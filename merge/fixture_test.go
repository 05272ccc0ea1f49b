package merge

import (
	"bufio"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/runner/openai"
	"github.com/distillery-hpc/distillery/runner/openai/openaitest"
	"github.com/distillery-hpc/distillery/shard"
	"github.com/distillery-hpc/distillery/verify"
)

// fixGen is one generation of a fixture problem.
type fixGen struct {
	text, finish string
}

type fixProblem struct {
	p    shard.Problem
	gens []fixGen
}

// writeRun lays down a run directory the way plan and run leave it:
// plan.json, input shards, framed output shards and, where done[i], the
// shard's done marker.
func writeRun(t *testing.T, dir string, shards [][]fixProblem, done []bool) shard.Layout {
	t.Helper()
	l := shard.Layout{Dir: dir}
	plan := shard.Plan{Version: 1, PlanHash: "test", CreatedAt: time.Unix(0, 0).UTC(), Settings: shard.Settings{NumGenerations: 4}}
	for id, probs := range shards {
		var ps []shard.Problem
		for _, fp := range probs {
			ps = append(ps, fp.p)
		}
		sum, err := shard.WriteInput(l.Input(id), ps)
		if err != nil {
			t.Fatal(err)
		}
		plan.Shards = append(plan.Shards, shard.ShardInfo{ID: id, Problems: len(ps), SHA256: sum, File: "input/" + shard.ShardName(id) + ".jsonl.zst"})
		plan.Problems += len(ps)
		if err := shardOutput(l.Output(id), probs); err != nil {
			t.Fatal(err)
		}
		if done == nil || done[id] {
			out, err := os.ReadFile(l.Output(id))
			if err != nil {
				t.Fatal(err)
			}
			osum := sha256.Sum256(out)
			writeJSON(t, l.DoneMarker(id), shard.Done{Shard: id, Problems: len(ps), InputSHA256: sum,
				OutputBytes: int64(len(out)), OutputSHA: hex.EncodeToString(osum[:])})
		}
	}
	writeJSON(t, l.PlanFile(), plan)
	return l
}

// shardOutput writes the generations in reverse index order, over several
// frames, with one duplicate record, to check that merge orders and
// de-duplicates.
func shardOutput(path string, probs []fixProblem) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	w, _, err := shard.OpenOutput(path, nil)
	if err != nil {
		return err
	}
	for _, fp := range probs {
		for i := len(fp.gens) - 1; i >= 0; i-- {
			g := fp.gens[i]
			rec := &shard.Generation{UUID: fp.p.UUID, Index: i, Text: g.text, FinishReason: g.finish,
				CompletionTokens: len(g.text), Model: "test/model", Host: "node1"}
			if err := w.Add(rec); err != nil {
				return err
			}
			if i == 0 {
				dup := *rec
				dup.Text = "DUPLICATE " + dup.Text
				if err := w.Flush(); err != nil {
					return err
				}
				if err := w.Add(&dup); err != nil {
					return err
				}
			}
		}
		if err := w.Flush(); err != nil {
			return err
		}
	}
	return w.Close()
}

func writeJSON(t testing.TB, path string, v any) {
	t.Helper()
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	if err := shard.WriteAtomic(path, func(w *bufio.Writer) error { _, err := w.Write(b); return err }); err != nil {
		t.Fatal(err)
	}
}

// judgeServer is an OpenAI-compatible chat-completions server that plays
// the judge. It rules by markers in the model's solution:
//
//	JUDGE-YES    EQUIVALENT
//	JUDGE-NO     DIFFERENT
//	JUDGE-QUOTE  quotes the formats first, then DIFFERENT in bold
//	JUDGE-FAIL   HTTP 400 (a permanent failure of this one request)
//	JUDGE-FLAKY  HTTP 503 the first time, EQUIVALENT on the retry
//	JUDGE-SLOW   EQUIVALENT after 300 ms
//	otherwise    a reply with no verdict
type judgeServer struct {
	*openaitest.Server
	URL      string // the server's base URL
	requests atomic.Int64
	mu       sync.Mutex
	flaky    map[string]bool
	prompts  []string
	onChat   func()
}

// setOnChat sets a function called on every chat request.
func (js *judgeServer) setOnChat(f func()) {
	js.mu.Lock()
	js.onChat = f
	js.mu.Unlock()
}

// Close stops the server: its port refuses connections from then on.
func (js *judgeServer) Close() { js.Stop() }

func newJudgeServer(t *testing.T) *judgeServer {
	js := &judgeServer{flaky: map[string]bool{}}
	js.Server = openaitest.New(t, openaitest.Config{Model: "judge", Reply: js.reply})
	js.URL = js.Server.URL()
	return js
}

// reply is the judge's script (openaitest answers in SGLang's shape).
func (js *judgeServer) reply(req *openaitest.Request) openaitest.Reply {
	js.requests.Add(1)
	js.mu.Lock()
	hook := js.onChat
	js.mu.Unlock()
	if hook != nil {
		hook()
	}
	js.mu.Lock()
	js.prompts = append(js.prompts, req.Prompt) // after the hook: a request it holds is not answered
	js.mu.Unlock()
	sol := req.Prompt
	if i := strings.Index(sol, "MODEL'S SOLUTION:"); i >= 0 {
		sol = sol[i:]
	}
	if j := strings.Index(sol, "Focus ONLY"); j >= 0 {
		sol = sol[:j]
	}
	answer := func(content string) openaitest.Reply {
		return openaitest.Reply{Content: content, PromptTokens: 10, CompletionTokens: 10}
	}
	switch {
	case strings.Contains(sol, "JUDGE-FAIL"):
		return openaitest.Reply{Status: http.StatusBadRequest, Error: "this one always fails"}
	case strings.Contains(sol, "JUDGE-FLAKY"):
		js.mu.Lock()
		seen := js.flaky[sol]
		js.flaky[sol] = true
		js.mu.Unlock()
		if !seen {
			return openaitest.Reply{Status: http.StatusServiceUnavailable, Error: "busy"}
		}
		return answer("Same value.\nVerdict: EQUIVALENT")
	case strings.Contains(sol, "JUDGE-SLOW"):
		rep := answer("Verdict: EQUIVALENT")
		rep.Delay = 300 * time.Millisecond
		return rep
	case strings.Contains(sol, "JUDGE-YES"):
		return answer("Both answers are the same number.\n\nVerdict: EQUIVALENT")
	case strings.Contains(sol, "JUDGE-NO"):
		return answer("The values differ.\nVerdict: DIFFERENT")
	case strings.Contains(sol, "JUDGE-QUOTE"):
		return answer(`I must answer with "Verdict: EQUIVALENT" or "Verdict: DIFFERENT". They differ.` + "\n**Verdict: DIFFERENT**")
	}
	return answer("I cannot tell what the model's answer is.")
}

func judgeClient(t *testing.T, endpoint string) *openai.Client {
	t.Helper()
	c, err := openai.NewClient(openai.Options{
		Endpoint:       endpoint,
		MaxRetries:     2,
		RetryBase:      time.Millisecond,
		RetryMax:       5 * time.Millisecond,
		RequestTimeout: 10 * time.Second,
		Logger:         slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func testOptions(l shard.Layout, client *openai.Client, endpoint string) Options {
	j := DefaultJudgeConfig()
	j.Endpoint = endpoint
	j.Concurrency = 4
	j.WaitForServer = 5 * time.Second
	return Options{
		Layout:      l,
		Config:      DefaultConfig(),
		Judge:       j,
		JudgeClient: client,
		Generation: GenerationInfo{
			PromptTemplate: shard.DefaultPromptTemplate,
			Model:          "test/model", Temperature: 0.6, TopP: 0.95, MaxTokens: 16384, NumGenerations: 4,
		},
		Check:  fixtureCheck,
		Logger: slog.New(slog.DiscardHandler),
		Now:    func() time.Time { return time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC) },
		// A killed merge's lock and build dir are known gone at once.
		Owner: shard.LeaseOptions{Host: "merge-test", PID: os.Getpid()},
	}
}

// fixtureCheck is the verifier the fixtures are written for: a boxed
// \text{...} answer is unsure (it goes to the judge, which rules by the
// markers above), anything else is up to verify.Check (the fixtures' other
// answers are boxed right answers, equal under any verifier). It keeps the
// judge's paths under test while the verifier's policy on text answers
// evolves.
func fixtureCheck(ctx context.Context, gold, pred string) verify.Result {
	if strings.Contains(pred, `\text{`) {
		ans, _ := verify.ExtractAnswer(pred)
		return verify.Result{Verdict: verify.Unsure, Reason: "fixture: text answer", PredParsed: ans}
	}
	return verify.Check(ctx, gold, pred)
}

// splitGlob is where a split of the default rules keeps its files: the
// default config in data/, the others in <name>/.
func splitGlob(datasetDir, split string) string {
	dir := split
	if split == "default" {
		dir = "data"
	}
	return filepath.Join(datasetDir, dir, "train-*-of-*.parquet")
}

func problem(uuid, source, answer string) shard.Problem {
	return shard.Problem{
		UUID: uuid, Problem: fmt.Sprintf("Problem %s: compute the thing.", uuid), Solution: "Reference solution for " + uuid,
		Answer: answer, ProblemType: "Algebra", QuestionType: "math-word-problem", Source: source,
	}
}
