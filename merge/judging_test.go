package merge

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/internal/testenv"
	"github.com/distillery-hpc/distillery/runner/simserver"
	"github.com/distillery-hpc/distillery/shard"
	"github.com/distillery-hpc/distillery/verify"
)

// rejectedShards: answers the verifier calls different, some of which
// OpenR1's rule sends to the judge (complete reasoning, boxed answer).
func rejectedShards() [][]fixProblem {
	return [][]fixProblem{{
		{problem("r-1", "olympiads", "4"), []fixGen{
			{"<think>a</think> The answer is $\\boxed{5}$. JUDGE-YES", "stop"}, // judged: EQUIVALENT
			{"<think>b</think> Hence $\\boxed{ 5 }$. JUDGE-YES", "stop"},       // the same answer: the same call
			{"<think>c</think> $\\boxed{6}$ JUDGE-YES", "length"},              // cut off: not judged
			{"<think>d</think> So it is $7$. JUDGE-YES", "stop"},               // not boxed: not judged
		}},
		{problem("r-2", "cn_k12", "2"), []fixGen{
			{"<think>x</think> $\\boxed{2}$", "stop"},          // equal
			{"<think>y</think> $\\boxed{3}$ JUDGE-NO", "stop"}, // judged: DIFFERENT
		}},
	}}
}

func TestRunJudgesRejectedBoxedAnswers(t *testing.T) {
	shards := rejectedShards()
	for _, fp := range shards[0] {
		for i, g := range fp.gens {
			want := verify.Different
			if fp.p.UUID == "r-2" && i == 0 {
				want = verify.Equal
			}
			if got := verify.Check(context.Background(), fp.p.Answer, g.text); got.Verdict != want {
				t.Fatalf("fixture assumption broken: verify.Check(%q, %q) = %s, want %s", fp.p.Answer, g.text, got.Verdict, want)
			}
		}
	}
	l := writeRun(t, t.TempDir(), shards, nil)
	js := newJudgeServer(t)
	opts := testOptions(l, judgeClient(t, js.URL), js.URL)
	sum, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want int
	}{
		{"judge requests", int(js.requests.Load()), 2},
		{"JudgeCalls", sum.JudgeCalls, 2},
		{"Judged", sum.Judged, 3},
		{"JudgedRejected", sum.JudgedRejected, 3},
		{"JudgeRecovered", sum.JudgeRecovered, 2},
		{"JudgeEquivalent", sum.JudgeEquivalent, 2},
		{"JudgeDifferent", sum.JudgeDifferent, 1},
		{"Correct", sum.Correct, 3},
		{"JudgePromptTokens", int(sum.JudgePromptTokens), 20},
		{"JudgeCompletionTokens", int(sum.JudgeCompletionTokens), 20},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
		}
	}
	wantLlama := map[string][]*bool{"r-1": {b(true), b(true), nil, nil}, "r-2": {nil, b(false)}}
	rows := map[string]Row{}
	for _, sp := range sum.Splits {
		for _, r := range readSplit(t, sp.Files) {
			rows[r.UUID] = r
			if !reflect.DeepEqual(r.CorrectnessLlama, wantLlama[r.UUID]) {
				t.Errorf("%s correctness_llama = %s, want %s", r.UUID, jsonText(r.CorrectnessLlama), jsonText(wantLlama[r.UUID]))
			}
		}
	}
	if rows["r-1"].CorrectnessCount != 2 {
		t.Errorf("r-1 correctness_count = %d, want 2 (two recovered by the judge)", rows["r-1"].CorrectnessCount)
	}
	card, _ := os.ReadFile(sum.CardPath)
	for _, s := range []string{"| judge: calls | 2 |", "| judge: tokens (prompt + completion) | 20 + 20 |", "| share of generations judged | 50.0% |",
		"| of them rejected by the verifier | 3 |", "| of those, recovered (EQUIVALENT) | 2 |"} {
		if !strings.Contains(string(card), s) {
			t.Errorf("card lacks %q", s)
		}
	}

	t.Run("duckdb sees correctness_llama only where judged", func(t *testing.T) {
		out := testenv.NeedDuckDB(t).Run(t, `
const path = require('path');
const { DuckDBInstance } = require(path.join(process.env.NODE_MODULES_DIR, '@duckdb', 'node-api'));
(async () => {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const g = (process.env.DATASET_DIR + '/*/train-*.parquet').replace(/'/g, "''");
  const r = await c.runAndReadAll("SELECT uuid, correctness_llama FROM read_parquet('" + g + "') ORDER BY uuid");
  console.log(JSON.stringify(r.getRowObjectsJson()));
})().catch((e) => { console.error(e); process.exit(1); });
`, "DATASET_DIR="+l.DatasetDir())
		var got []struct {
			UUID  string  `json:"uuid"`
			Llama []*bool `json:"correctness_llama"`
		}
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		if len(got) != 2 {
			t.Fatalf("DuckDB rows: %s", out)
		}
		for _, r := range got {
			if !reflect.DeepEqual(r.Llama, wantLlama[r.UUID]) {
				t.Errorf("DuckDB: %s correctness_llama = %s, want %s", r.UUID, jsonText(r.Llama), jsonText(wantLlama[r.UUID]))
			}
		}
	})

	t.Run("a second merge asks nothing", func(t *testing.T) {
		before := js.requests.Load()
		again, err := Run(context.Background(), testOptions(l, judgeClient(t, js.URL), js.URL))
		if err != nil {
			t.Fatal(err)
		}
		if n := js.requests.Load() - before; n != 0 || again.JudgeCalls != 0 || again.JudgeCached != 2 || again.Judged != 3 {
			t.Errorf("second merge: %d requests, %d calls, %d cached, %d judged", n, again.JudgeCalls, again.JudgeCached, again.Judged)
		}
	})

	t.Run("judge_rejected off", func(t *testing.T) {
		opts := testOptions(l, judgeClient(t, js.URL), js.URL)
		opts.Judge.JudgeRejected = false
		opts.Judge.Cache = false
		before := js.requests.Load()
		off, err := Run(context.Background(), opts)
		if err != nil {
			t.Fatal(err)
		}
		if n := js.requests.Load() - before; n != 0 || off.Judged != 0 || off.Correct != 1 {
			t.Errorf("judge_rejected = false: %d requests, %d judged, %d correct", n, off.Judged, off.Correct)
		}
	})
}

func TestHasBoxedAnswer(t *testing.T) {
	for text, want := range map[string]bool{
		`\boxed{5}`:                            true,
		`<think>\boxed{5}</think> so 5`:        false,
		`<think>x</think> \boxed{\frac{1}{2}}`: true,
		`\boxed{}`:                             false,
		`\boxed{ }`:                            false,
		`\boxed{3} and then \boxed{}`:          true,
		`\boxed{3`:                             false,
		`the answer is 5`:                      false,
	} {
		if got := hasBoxedAnswer(text); got != want {
			t.Errorf("hasBoxedAnswer(%q) = %v, want %v", text, got, want)
		}
	}
}

func TestNormaliseAnswer(t *testing.T) {
	for a, want := range map[string]string{
		` 5 `:                "5",
		`\dfrac{1}{2}`:       `\frac{1}{2}`,
		`\left( 1, 2\right)`: "(1,2)",
		`x = 3.`:             "x=3",
		`$7$`:                "7",
		`2\,000`:             "2000",
	} {
		if got := normaliseAnswer(a); got != want {
			t.Errorf("normaliseAnswer(%q) = %q, want %q", a, got, want)
		}
	}
}

// manyRejected: n problems, each with one rejected boxed answer.
func manyRejected(n int) [][]fixProblem {
	var probs []fixProblem
	for i := range n {
		probs = append(probs, fixProblem{problem(fmt.Sprintf("k-%02d", i), "olympiads", "1"),
			[]fixGen{{fmt.Sprintf("<think>t</think> $\\boxed{%d}$ JUDGE-YES", i+2), "stop"}}})
	}
	return [][]fixProblem{probs[:n/2], probs[n/2:]}
}

// TestMergeJudgeHelperProcess is no test of its own:
// TestRunKilledWhileJudging runs the test binary with it to merge
// $DISTILLERY_MERGE_HELPER_DIR against the judge at
// $DISTILLERY_MERGE_HELPER_JUDGE in a process it can kill.
func TestMergeJudgeHelperProcess(t *testing.T) {
	dir, url := os.Getenv("DISTILLERY_MERGE_HELPER_DIR"), os.Getenv("DISTILLERY_MERGE_HELPER_JUDGE")
	if dir == "" || url == "" {
		return
	}
	opts := testOptions(shard.Layout{Dir: dir}, judgeClient(t, url), url)
	opts.Judge.Concurrency = 1
	if _, err := Run(context.Background(), opts); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

// TestRunKilledWhileJudging SIGKILLs a merge while the judge holds its
// fifth request; the next merge asks the judge about the rest only,
// nothing it had answered before.
func TestRunKilledWhileJudging(t *testing.T) {
	l := writeRun(t, t.TempDir(), manyRejected(12), nil)
	js := newJudgeServer(t)
	held := make(chan struct{})
	release := make(chan struct{})
	defer close(release)
	js.setOnChat(func() {
		if js.requests.Load() == 5 {
			close(held)
			<-release
		}
	})
	cmd := exec.Command(os.Args[0], "-test.run=^TestMergeJudgeHelperProcess$")
	cmd.Env = append(os.Environ(), "DISTILLERY_MERGE_HELPER_DIR="+l.Dir, "DISTILLERY_MERGE_HELPER_JUDGE="+js.URL)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		t.Fatal("the merge never sent a fifth judge request")
	}
	cmd.Process.Kill()
	cmd.Wait()
	js.mu.Lock()
	answered := append([]string(nil), js.prompts...)
	js.prompts = nil
	js.mu.Unlock()
	if len(answered) != 4 {
		t.Fatalf("the judge answered %d requests before the kill, want 4", len(answered))
	}
	js.setOnChat(nil)

	sum, err := Run(context.Background(), testOptions(l, judgeClient(t, js.URL), js.URL))
	if err != nil {
		t.Fatal(err)
	}
	js.mu.Lock()
	defer js.mu.Unlock()
	for _, p := range js.prompts {
		for _, a := range answered {
			if p == a {
				t.Errorf("asked again after the kill:\n%s", p)
			}
		}
	}
	if len(js.prompts) != 8 || sum.JudgeCached != 4 || sum.JudgeCalls != 8 || sum.Judged != 12 {
		t.Errorf("resumed merge: %d prompts, %d cached, %d calls, %d judged; want 8, 4, 8, 12", len(js.prompts), sum.JudgeCached, sum.JudgeCalls, sum.Judged)
	}
}

// TestRunSimulatorJudgesRejected: against the SGLang-compatible simulator
// (a judge that is not our fixture server), the first merge asks about
// the rejected boxed answers and a second merge asks nothing.
func TestRunSimulatorJudgesRejected(t *testing.T) {
	l := writeRun(t, t.TempDir(), rejectedShards(), nil)
	cfg := simserver.DefaultConfig()
	cfg.LoadTime = 0
	cfg.TimeScale = 1e6
	sim := simserver.New(cfg, nil, nil)
	var chats atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/chat/completions" {
			chats.Add(1)
		}
		sim.Handler().ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)
	opts := testOptions(l, judgeClient(t, srv.URL), srv.URL)
	opts.Check = nil // the real verifier
	first, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if first.JudgedRejected != 3 || first.JudgeCalls != 2 || chats.Load() != 2 || first.JudgeNoVerdict != 0 {
		t.Errorf("first merge: %d rejected judged in %d calls (%d chat requests), %d without a verdict; want 3 in 2, every reply with a verdict",
			first.JudgedRejected, first.JudgeCalls, chats.Load(), first.JudgeNoVerdict)
	}
	second, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if chats.Load() != 2 || second.JudgeCalls != 0 || second.Judged != first.Judged {
		t.Errorf("second merge: %d chat requests in all, %d calls, %d judged (first %d); want no new request", chats.Load(), second.JudgeCalls, second.Judged, first.Judged)
	}
}
