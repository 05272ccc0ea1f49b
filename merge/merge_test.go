package merge

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/distillery-hpc/distillery/shard"
	"github.com/distillery-hpc/distillery/verify"
)

func b(v bool) *bool { return &v }

// The end-to-end fixture: two shards, five problems, every path a
// generation can take (verified, judged equivalent/different/ambiguous,
// judge error, judge retry, incomplete reasoning).
func e2eShards() [][]fixProblem {
	return [][]fixProblem{
		{
			{problem("u-a", "olympiads", "4"), []fixGen{
				{"<think>\nfour\n</think>\nSo the answer is \\boxed{4}.", "stop"},
				{"<think>\nstill thinking \\boxed{4}", "length"},
				{"<think>\nnever closed \\boxed{4}", "stop"},
				{"\\boxed{4}", "stop"},
			}},
			{problem("u-b", "cn_k12", `\frac{1}{2}`), []fixGen{
				{"So it is \\boxed{\\text{one half}}. JUDGE-YES", "stop"},
				{"\\boxed{\\text{a half, or so}} JUDGE-NO", "stop"},
			}},
			{problem("u-c", "amc_aime", "7"), []fixGen{
				{"\\boxed{\\text{seven-ish}} JUDGE-NO", "stop"},
				{"I think \\boxed{\\text{unknown}}.", "stop"},
			}},
		},
		{
			{problem("u-d", "olympiads", "9"), []fixGen{
				{"\\boxed{\\text{nine}} JUDGE-FAIL", "stop"},
				{"<think>ok</think>\\boxed{9}", "stop"},
			}},
			{problem("u-e", "aops_forum", "12"), []fixGen{
				{"<think>x</think> \\boxed{\\text{twelve}} JUDGE-FLAKY", "stop"},
				{"<think>x</think> \\boxed{\\text{a dozen}} JUDGE-QUOTE", "stop"},
				{"\\boxed{12}", "length"},
			}},
		},
	}
}

// checkFixtureVerdicts fails early, with a clear message, if the boxed
// right answers of the fixture are no longer equal under verify.Check.
func checkFixtureVerdicts(t *testing.T, shards [][]fixProblem) {
	t.Helper()
	for _, s := range shards {
		for _, fp := range s {
			for _, g := range fp.gens {
				if strings.Contains(g.text, `\text{`) {
					continue // fixtureCheck makes these unsure
				}
				if got := verify.Check(context.Background(), fp.p.Answer, g.text); got.Verdict != verify.Equal {
					t.Fatalf("fixture assumption broken: verify.Check(%q, %q) = %s (%s), the test expects equal", fp.p.Answer, g.text, got.Verdict, got.Reason)
				}
			}
		}
	}
}

func prompt(p string) string { return strings.ReplaceAll(shard.DefaultPromptTemplate, "{problem}", p) }

func expectedRows() map[string]Row {
	rows := map[string]Row{}
	for _, s := range e2eShards() {
		for _, fp := range s {
			r := Row{Problem: fp.p.Problem, Solution: fp.p.Solution, Answer: fp.p.Answer, ProblemType: fp.p.ProblemType,
				QuestionType: fp.p.QuestionType, Source: fp.p.Source, UUID: fp.p.UUID}
			for _, g := range fp.gens {
				r.Generations = append(r.Generations, g.text)
				r.FinishReasons = append(r.FinishReasons, g.finish)
			}
			rows[fp.p.UUID] = r
		}
	}
	set := func(uuid string, complete, mv []bool, llama []*bool, count int64, assistant int) {
		r := rows[uuid]
		r.IsReasoningComplete, r.CorrectnessMathVerify, r.CorrectnessLlama, r.CorrectnessCount = complete, mv, llama, count
		r.Messages = []Message{{Content: prompt(r.Problem), Role: "user"}, {Content: r.Generations[assistant], Role: "assistant"}}
		rows[uuid] = r
	}
	set("u-a", []bool{true, false, false, true}, []bool{true, true, true, true}, nil, 4, 0)
	set("u-b", []bool{true, true}, []bool{false, false}, []*bool{b(true), b(false)}, 1, 0)
	delete(rows, "u-c") // no correct generation
	set("u-d", []bool{true, true}, []bool{false, true}, nil, 1, 1)
	set("u-e", []bool{true, true, false}, []bool{false, false, true}, []*bool{b(true), b(false), nil}, 2, 0)
	return rows
}

func readSplit(t *testing.T, files []string) []Row {
	t.Helper()
	var out []Row
	for _, f := range files {
		rows, err := parquet.ReadFile[Row](f)
		if err != nil {
			t.Fatalf("reading %s back: %v", f, err)
		}
		out = append(out, rows...)
	}
	return out
}

func jsonText(v any) string {
	b, _ := json.MarshalIndent(v, "", " ")
	return string(b)
}

func TestRunEndToEnd(t *testing.T) {
	shards := e2eShards()
	checkFixtureVerdicts(t, shards)
	l := writeRun(t, t.TempDir(), shards, nil)
	js := newJudgeServer(t)
	opts := testOptions(l, judgeClient(t, js.URL), js.URL)

	sum, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("summary", func(t *testing.T) {
		checks := []struct {
			name      string
			got, want int
		}{
			{"Shards", sum.Shards, 2},
			{"Problems", sum.Problems, 5},
			{"ProblemsWithGenerations", sum.ProblemsWithGenerations, 5},
			{"Generations", sum.Generations, 13},
			{"DuplicateRecords", sum.DuplicateRecords, 5},
			{"Equal", sum.Equal, 6},
			{"Different", sum.Different, 0},
			{"Unsure", sum.Unsure, 7},
			{"Judged", sum.Judged, 6},
			{"JudgeEquivalent", sum.JudgeEquivalent, 2},
			{"JudgeDifferent", sum.JudgeDifferent, 3},
			{"JudgeAmbiguous", sum.JudgeAmbiguous, 1},
			{"JudgeNoVerdict", sum.JudgeNoVerdict, 1},
			{"JudgeErrors", sum.JudgeErrors, 1},
			{"Correct", sum.Correct, 8},
			{"Kept", sum.Kept, 4},
			{"Dropped", sum.Dropped, 1},
			{"RowsJudged", sum.RowsJudged, 2},
			{"judge requests (6 answered, 1 failed, 1 retried)", int(js.requests.Load()), 8},
		}
		for _, c := range checks {
			if c.got != c.want {
				t.Errorf("%s = %d, want %d", c.name, c.got, c.want)
			}
		}
	})

	want := expectedRows()
	t.Run("parquet-go read back", func(t *testing.T) {
		wantSplit := map[string][]string{"default": {"u-a", "u-d", "u-e"}, "extended": {"u-b"}}
		if len(sum.Splits) != 2 {
			t.Fatalf("splits: %+v", sum.Splits)
		}
		for _, sp := range sum.Splits {
			if len(sp.Files) != 1 || filepath.Base(sp.Files[0]) != "train-00000-of-00001.parquet" ||
				filepath.Dir(sp.Files[0]) != filepath.Dir(splitGlob(l.DatasetDir(), sp.Name)) {
				t.Errorf("split %s files = %v", sp.Name, sp.Files)
			}
			rows := readSplit(t, sp.Files)
			var uuids []string
			for _, r := range rows {
				uuids = append(uuids, r.UUID)
				if !reflect.DeepEqual(r, want[r.UUID]) {
					t.Errorf("row %s:\n got %s\nwant %s", r.UUID, jsonText(r), jsonText(want[r.UUID]))
				}
			}
			if !reflect.DeepEqual(uuids, wantSplit[sp.Name]) || sp.Rows != len(uuids) {
				t.Errorf("split %s rows = %v (summary %d), want %v", sp.Name, uuids, sp.Rows, wantSplit[sp.Name])
			}
		}
	})

	t.Run("schema", func(t *testing.T) {
		f, err := os.Open(sum.Splits[0].Files[0])
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		st, _ := f.Stat()
		pf, err := parquet.OpenFile(f, st.Size())
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, fl := range pf.Schema().Fields() {
			names = append(names, fl.Name())
		}
		if !reflect.DeepEqual(names, ColumnNames()) {
			t.Errorf("columns = %v, want %v", names, ColumnNames())
		}
		md := pf.Metadata()
		if len(md.RowGroups) == 0 {
			t.Fatal("no row groups")
		}
		for _, rg := range md.RowGroups {
			for _, cc := range rg.Columns {
				if cc.MetaData.Codec != format.Zstd {
					t.Errorf("column %v compression = %v, want ZSTD", cc.MetaData.PathInSchema, cc.MetaData.Codec)
				}
			}
		}
	})

	t.Run("judge prompts", func(t *testing.T) {
		js.mu.Lock()
		defer js.mu.Unlock()
		for _, p := range js.prompts {
			if !strings.Contains(p, "Verdict: EQUIVALENT") || !strings.Contains(p, "PROBLEM:") {
				t.Errorf("judge prompt lacks the verdict formats:\n%s", p)
			}
			if strings.Contains(p, "<think>") {
				t.Errorf("judge saw the think block:\n%s", p)
			}
		}
	})

	t.Run("card and layout", func(t *testing.T) {
		card, err := os.ReadFile(filepath.Join(l.DatasetDir(), "README.md"))
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range []string{"config_name: \"default\"", "num_examples: 3", "num_examples: 1", "| default | olympiads | 2 |",
			"| extended | cn_k12 | 1 |", "| judge: request errors (left unjudged) | 1 |", "| judge: rulings | 6 |", "Please reason step by step"} {
			if !strings.Contains(string(card), s) {
				t.Errorf("card lacks %q:\n%s", s, card)
			}
		}
		left, _ := filepath.Glob(filepath.Join(l.Dir, ".dataset.*"))
		if len(left) > 0 {
			t.Errorf("temporary directories left: %v", left)
		}
	})

	t.Run("duckdb", func(t *testing.T) {
		duckdbCheck(t, l.DatasetDir(), want)
	})
}

func TestRunRefusesIncompleteRun(t *testing.T) {
	shards := e2eShards()
	l := writeRun(t, t.TempDir(), shards, []bool{true, false})
	opts := testOptions(l, nil, "")
	_, err := Run(context.Background(), opts)
	var ie *IncompleteError
	if !errors.As(err, &ie) || !reflect.DeepEqual(ie.Shards, []int{1}) {
		t.Fatalf("err = %v, want an IncompleteError for shard 1", err)
	}
	msg := err.Error()
	for _, s := range []string{"shard-00001", "distillery status", "distillery resume", "--allow-incomplete"} {
		if !strings.Contains(msg, s) {
			t.Errorf("error %q does not mention %q", msg, s)
		}
	}
	if strings.Contains(msg, "\n") {
		t.Errorf("error is not one line: %q", msg)
	}
	if _, err := os.Stat(l.DatasetDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a refused merge wrote %s", l.DatasetDir())
	}

	// With AllowIncomplete it merges what is there, torn tail and all.
	f, err := os.OpenFile(l.Output(1), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.Write([]byte{0x28, 0xb5, 0x2f, 0xfd, 0x04, 0x00, 0x01})
	f.Close()
	opts.Config.AllowIncomplete = true
	sum, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(sum.Incomplete, []int{1}) || sum.TornBytes != 7 || sum.Generations != 13 {
		t.Errorf("incomplete merge summary: incomplete %v, torn %d, generations %d", sum.Incomplete, sum.TornBytes, sum.Generations)
	}
	card, _ := os.ReadFile(sum.CardPath)
	if !strings.Contains(string(card), "Incomplete run") {
		t.Errorf("card of an incomplete merge does not say so")
	}
}

func TestRunWithoutJudge(t *testing.T) {
	l := writeRun(t, t.TempDir(), e2eShards(), nil)
	sum, err := Run(context.Background(), testOptions(l, nil, ""))
	if err != nil {
		t.Fatal(err)
	}
	if sum.Judged != 0 || sum.NotJudged != 7 || sum.Kept != 3 || sum.RowsJudged != 0 {
		t.Errorf("judged %d, not judged %d, kept %d, rows judged %d; want 0, 7, 3, 0", sum.Judged, sum.NotJudged, sum.Kept, sum.RowsJudged)
	}
	for _, sp := range sum.Splits {
		for _, r := range readSplit(t, sp.Files) {
			if r.CorrectnessLlama != nil {
				t.Errorf("row %s has correctness_llama %v without a judge", r.UUID, r.CorrectnessLlama)
			}
		}
	}
}

func TestRunFilesPerSplitAndEmptySplit(t *testing.T) {
	var probs []fixProblem
	for i := 0; i < 5; i++ {
		probs = append(probs, fixProblem{problem(fmt.Sprintf("p%d", i), "olympiads", "3"), []fixGen{{"\\boxed{3}", "stop"}}})
	}
	l := writeRun(t, t.TempDir(), [][]fixProblem{probs[:3], probs[3:]}, nil)
	opts := testOptions(l, nil, "")
	opts.Config.RowsPerFile = 2
	sum, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	files, _ := filepath.Glob(filepath.Join(l.DatasetDir(), "data", "*"))
	var names []string
	for _, f := range files {
		names = append(names, filepath.Base(f))
	}
	wantNames := []string{"train-00000-of-00003.parquet", "train-00001-of-00003.parquet", "train-00002-of-00003.parquet"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Errorf("default files = %v, want %v", names, wantNames)
	}
	rows := readSplit(t, files)
	if len(rows) != 5 || rows[0].UUID != "p0" || rows[4].UUID != "p4" {
		t.Errorf("rows read back: %d", len(rows))
	}
	// The empty split gets one file with the schema and no rows.
	empty, _ := filepath.Glob(filepath.Join(l.DatasetDir(), "extended", "*"))
	if len(empty) != 1 || filepath.Base(empty[0]) != "train-00000-of-00001.parquet" {
		t.Errorf("empty split files = %v, want one train-00000-of-00001.parquet", empty)
	} else if rows := readSplit(t, empty); len(rows) != 0 {
		t.Errorf("empty split holds %d rows", len(rows))
	}
	if sum.Splits[1].Rows != 0 || len(sum.Splits[1].Files) != 1 {
		t.Errorf("extended split: %+v", sum.Splits[1])
	}
	card, _ := os.ReadFile(sum.CardPath)
	if !strings.Contains(string(card), "An empty config holds one parquet file") || !strings.Contains(string(card), "config_name: \"extended\"") {
		t.Errorf("card does not explain the empty split:\n%s", card)
	}
}

func TestRunKeepsOldDatasetOnFailure(t *testing.T) {
	l := writeRun(t, t.TempDir(), e2eShards(), nil)
	opts := testOptions(l, nil, "")
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	before := treeOf(t, l.DatasetDir())

	// A stale temporary directory from a crashed merge (its owner
	// record's heartbeat long past its TTL) is cleaned up.
	stale := filepath.Join(l.Dir, ".dataset.tmp-crashed")
	os.MkdirAll(filepath.Join(stale, "data", "default"), 0o755)
	writeStaleOwner(t, stale)

	// A merge that fails half-way (context canceled by the judge on its
	// first request) leaves the old dataset as it was.
	js := newJudgeServer(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	js.setOnChat(cancel)
	if _, err := Run(ctx, testOptions(l, judgeClient(t, js.URL), js.URL)); !errors.Is(err, context.Canceled) {
		t.Fatalf("err = %v, want context.Canceled", err)
	}
	if after := treeOf(t, l.DatasetDir()); !reflect.DeepEqual(before, after) {
		t.Errorf("failed merge changed the dataset:\nbefore %v\nafter  %v", before, after)
	}
	if left, _ := filepath.Glob(filepath.Join(l.Dir, ".dataset.*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}

	// A successful merge replaces it as a whole.
	opts = testOptions(l, nil, "")
	opts.Config.MinCorrect = 4
	sum, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Kept != 1 {
		t.Errorf("kept %d with min_correct 4, want 1", sum.Kept)
	}
	if old, _ := filepath.Glob(filepath.Join(l.DatasetDir(), "extended", "*")); len(old) != 1 || len(readSplit(t, old)) != 0 {
		t.Errorf("the old dataset's extended split survived the swap: %v", old)
	}
}

func TestRunJudgeUnreachable(t *testing.T) {
	l := writeRun(t, t.TempDir(), e2eShards(), nil)
	js := newJudgeServer(t)
	url := js.URL
	js.Close()
	opts := testOptions(l, judgeClient(t, url), url)
	opts.Judge.WaitForServer = 200 * time.Millisecond
	_, err := Run(context.Background(), opts)
	if err == nil || !strings.Contains(err.Error(), "judge endpoint "+url) || !strings.Contains(err.Error(), "--no-judge") || strings.Contains(err.Error(), "\n") {
		t.Fatalf("err = %v, want a one-line error naming the judge endpoint", err)
	}
	if _, err := os.Stat(l.DatasetDir()); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("dataset written despite the error")
	}
}

func TestRunJudgeGoneMidway(t *testing.T) {
	var probs []fixProblem
	for i := 0; i < maxConsecutiveJudgeErrors+10; i++ {
		probs = append(probs, fixProblem{problem(fmt.Sprintf("p%d", i), "olympiads", "3"), []fixGen{{"\\boxed{\\text{three}} JUDGE-FAIL", "stop"}}})
	}
	l := writeRun(t, t.TempDir(), [][]fixProblem{probs}, nil)
	js := newJudgeServer(t)
	_, err := Run(context.Background(), testOptions(l, judgeClient(t, js.URL), js.URL))
	if err == nil || !strings.Contains(err.Error(), "in a row") {
		t.Fatalf("err = %v, want the judge declared gone", err)
	}
}

func treeOf(t *testing.T, dir string) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err == nil && !info.IsDir() {
			rel, _ := filepath.Rel(dir, p)
			out[rel] = info.Size()
		}
		return nil
	})
	return out
}

func TestRunReusesJudgeRulings(t *testing.T) {
	l := writeRun(t, t.TempDir(), e2eShards(), nil)
	js := newJudgeServer(t)
	first, err := Run(context.Background(), testOptions(l, judgeClient(t, js.URL), js.URL))
	if err != nil {
		t.Fatal(err)
	}
	before := js.requests.Load()
	rowsBefore := readSplit(t, first.Splits[0].Files)

	// A crash mid-write leaves a torn last line; it is cut off.
	f, err := os.OpenFile(JudgeCachePath(l), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	f.WriteString(`{"key":"torn`)
	f.Close()

	second, err := Run(context.Background(), testOptions(l, judgeClient(t, js.URL), js.URL))
	if err != nil {
		t.Fatal(err)
	}
	// Only the request that failed is asked again (and fails again).
	if n := js.requests.Load() - before; n != 1 {
		t.Errorf("second merge sent %d judge requests, want 1", n)
	}
	if second.Judged != first.Judged || second.JudgeCached != first.Judged || second.JudgeErrors != 1 {
		t.Errorf("second merge: judged %d (cached %d), errors %d; first judged %d", second.Judged, second.JudgeCached, second.JudgeErrors, first.Judged)
	}
	if rows := readSplit(t, second.Splits[0].Files); !reflect.DeepEqual(rows, rowsBefore) {
		t.Errorf("rows differ between a judged and a cached merge")
	}
	data, _ := os.ReadFile(JudgeCachePath(l))
	if lines := strings.Split(strings.TrimSuffix(string(data), "\n"), "\n"); len(lines) != first.Judged || strings.Contains(string(data), "torn") {
		t.Errorf("cache file has %d lines (want %d) or kept the torn line:\n%s", len(lines), first.Judged, data)
	}

	// Without a judge endpoint (a re-merge with another min_correct), the
	// cached rulings still count; only --no-judge (Enabled false) drops them.
	before = js.requests.Load()
	noClient := testOptions(l, nil, "")
	third, err := Run(context.Background(), noClient)
	if err != nil {
		t.Fatal(err)
	}
	if third.Judged != first.Judged || third.JudgeCached != first.Judged || third.NotJudged != third.Unsure-first.Judged || js.requests.Load() != before {
		t.Errorf("merge without a judge: judged %d (cached %d), not judged %d of %d unsure; first judged %d", third.Judged, third.JudgeCached, third.NotJudged, third.Unsure, first.Judged)
	}
	if rows := readSplit(t, third.Splits[0].Files); !reflect.DeepEqual(rows, rowsBefore) {
		t.Errorf("rows differ between a judged merge and one from cached rulings only")
	}
	noClient.Judge.Enabled = false
	if fourth, err := Run(context.Background(), noClient); err != nil || fourth.Judged != 0 || fourth.NotJudged != fourth.Unsure {
		t.Errorf("merge with judging off: judged %d, not judged %d of %d (%v)", fourth.Judged, fourth.NotJudged, fourth.Unsure, err)
	}

	// With the cache off, everything is asked again.
	before = js.requests.Load()
	opts := testOptions(l, judgeClient(t, js.URL), js.URL)
	opts.Judge.Cache = false
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	if n := js.requests.Load() - before; n != 7 {
		t.Errorf("uncached merge sent %d judge requests, want 7", n)
	}
}

func TestRunRefusesChangedInput(t *testing.T) {
	l := writeRun(t, t.TempDir(), e2eShards(), nil)
	probs := []shard.Problem{problem("u-x", "olympiads", "1")}
	if _, err := shard.WriteInput(l.Input(1), probs); err != nil {
		t.Fatal(err)
	}
	_, err := Run(context.Background(), testOptions(l, nil, ""))
	if err == nil || !strings.Contains(err.Error(), "shard-00001.jsonl.zst does not match plan.json") {
		t.Fatalf("err = %v, want the changed input shard named", err)
	}
}

// Shards are prepared concurrently but written in plan order, even when a
// later shard is ready first.
func TestRunWritesShardsInPlanOrder(t *testing.T) {
	var shards [][]fixProblem
	for s := 0; s < 5; s++ {
		text := "\\boxed{1}"
		if s == 0 {
			text = "\\boxed{\\text{one}} JUDGE-SLOW"
		}
		shards = append(shards, []fixProblem{{problem(fmt.Sprintf("s%d", s), "olympiads", "1"), []fixGen{{text, "stop"}}}})
	}
	l := writeRun(t, t.TempDir(), shards, nil)
	js := newJudgeServer(t)
	sum, err := Run(context.Background(), testOptions(l, judgeClient(t, js.URL), js.URL))
	if err != nil {
		t.Fatal(err)
	}
	var uuids []string
	for _, r := range readSplit(t, sum.Splits[0].Files) {
		uuids = append(uuids, r.UUID)
	}
	if want := []string{"s0", "s1", "s2", "s3", "s4"}; !reflect.DeepEqual(uuids, want) {
		t.Errorf("rows = %v, want %v", uuids, want)
	}
}

// A done marker vouches only for the output it was written for: an output
// shard cut short or changed after it finished, or a marker from another
// plan, makes the shard unfinished, not silently smaller.
func TestRunRefusesOutputThatDoesNotMatchItsDoneMarker(t *testing.T) {
	tests := []struct {
		name   string
		damage func(t *testing.T, l shard.Layout)
		want   string
	}{
		{"truncated output", func(t *testing.T, l shard.Layout) {
			st, err := os.Stat(l.Output(1))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.Truncate(l.Output(1), st.Size()/2); err != nil {
				t.Fatal(err)
			}
		}, "bytes, its done marker says"},
		{"output removed", func(t *testing.T, l shard.Layout) {
			if err := os.Remove(l.Output(1)); err != nil {
				t.Fatal(err)
			}
		}, "output file is missing"},
		{"output rewritten, same size", func(t *testing.T, l shard.Layout) {
			b, err := os.ReadFile(l.Output(1))
			if err != nil {
				t.Fatal(err)
			}
			b[len(b)-1] ^= 0xff
			if err := os.WriteFile(l.Output(1), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}, "SHA-256 differs"},
		{"marker from another plan", func(t *testing.T, l shard.Layout) {
			d, _, err := shard.ReadDone(l, 1)
			if err != nil {
				t.Fatal(err)
			}
			d.InputSHA256 = strings.Repeat("0", 64)
			writeJSON(t, l.DoneMarker(1), d)
		}, "another input"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := writeRun(t, t.TempDir(), e2eShards(), nil)
			tc.damage(t, l)
			opts := testOptions(l, nil, "")
			_, err := Run(context.Background(), opts)
			var ie *IncompleteError
			if !errors.As(err, &ie) || !reflect.DeepEqual(ie.Shards, []int{1}) {
				t.Fatalf("err = %v, want an IncompleteError for shard 1", err)
			}
			if msg := err.Error(); !strings.Contains(msg, tc.want) || !strings.Contains(msg, "shard-00001") || strings.Contains(msg, "\n") {
				t.Errorf("error %q: want one line naming shard-00001 and %q", msg, tc.want)
			}
			if _, err := os.Stat(l.DatasetDir()); !errors.Is(err, os.ErrNotExist) {
				t.Errorf("a refused merge wrote %s", l.DatasetDir())
			}
			opts.Config.AllowIncomplete = true
			sum, err := Run(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(sum.Incomplete, []int{1}) {
				t.Errorf("incomplete = %v, want [1]", sum.Incomplete)
			}
		})
	}
}

// merge replaces an earlier dataset, but never deletes what it did not
// write.
func TestRunKeepsForeignFilesInTheDatasetDir(t *testing.T) {
	tests := []struct {
		name  string
		setup func(t *testing.T, final string)
		want  string // "" means the merge succeeds
	}{
		{"empty dir", func(t *testing.T, final string) { os.MkdirAll(final, 0o755) }, ""},
		{"earlier dataset", func(t *testing.T, final string) {
			os.MkdirAll(filepath.Join(final, "data", "old"), 0o755)
			os.WriteFile(filepath.Join(final, "README.md"), []byte("old card"), 0o644)
		}, ""},
		{"a file of the user's", func(t *testing.T, final string) {
			os.MkdirAll(final, 0o755)
			os.WriteFile(filepath.Join(final, "notes.txt"), []byte("mine"), 0o644)
		}, "holds notes.txt"},
		{"a file in its place", func(t *testing.T, final string) {
			os.WriteFile(final, []byte("mine"), 0o644)
		}, "is not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l := writeRun(t, t.TempDir(), e2eShards(), nil)
			tc.setup(t, l.DatasetDir())
			_, err := Run(context.Background(), testOptions(l, nil, ""))
			if tc.want == "" {
				if err != nil {
					t.Fatal(err)
				}
				if _, err := os.Stat(filepath.Join(l.DatasetDir(), "data", "old")); !errors.Is(err, os.ErrNotExist) {
					t.Errorf("the earlier dataset was not replaced")
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), l.DatasetDir()) {
				t.Fatalf("err = %v, want one naming %s and %q", err, l.DatasetDir(), tc.want)
			}
			if _, err := os.Stat(filepath.Join(l.DatasetDir(), "notes.txt")); tc.name == "a file of the user's" && err != nil {
				t.Errorf("the user's file is gone: %v", err)
			}
		})
	}
}

// writeStaleOwner writes the owner record of a build directory whose
// merge died on another node an hour ago.
func writeStaleOwner(t *testing.T, dir string) {
	t.Helper()
	hb := time.Now().Add(-time.Hour)
	b, _ := json.Marshal(shard.LeaseInfo{Host: "dead-node", PID: 1, Token: "crashed", Heartbeat: hb, TTLSeconds: 60})
	if err := os.WriteFile(dir+shard.OwnerSuffix, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(dir+shard.OwnerSuffix, hb, hb); err != nil {
		t.Fatal(err)
	}
}
