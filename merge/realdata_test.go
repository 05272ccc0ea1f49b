package merge

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"

	"github.com/distillery-hpc/distillery/internal/testenv"
	"github.com/distillery-hpc/distillery/shard"
)

// duckdbRealScript reads the default split and prints its schema and the
// per-row facts the test checks.
const duckdbRealScript = `
const path = require('path');
const { DuckDBInstance } = require(path.join(process.env.NODE_MODULES_DIR, '@duckdb', 'node-api'));
(async () => {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const glob = "'" + (process.env.DATASET_DIR + '/data/train-*.parquet').replace(/'/g, "''") + "'";
  const d = await c.runAndReadAll('DESCRIBE SELECT * FROM read_parquet(' + glob + ')');
  const n = await c.runAndReadAll('SELECT count(*)::INTEGER AS rows, ' +
    'count(*) FILTER (WHERE correctness_llama IS NOT NULL)::INTEGER AS judged, ' +
    'count(*) FILTER (WHERE NOT (len(generations) = len(correctness_math_verify) AND len(generations) = len(finish_reasons) ' +
    '  AND len(generations) = len(is_reasoning_complete) AND correctness_count = len(list_filter(correctness_math_verify, x -> x)) ' +
    "  AND correctness_count >= 1 AND len(messages) = 2 AND messages[1].role = 'user' AND messages[2].role = 'assistant' " +
    '  AND correctness_math_verify[list_position(generations, messages[2].content)]))::INTEGER AS bad ' +
    'FROM read_parquet(' + glob + ')');
  console.log(JSON.stringify({ columns: d.getRowObjectsJson().map((r) => [r.column_name, r.column_type]), ...n.getRowObjectsJson()[0] }));
})().catch((e) => { console.error(String(e)); process.exit(1); });
`

// realRun lays down a run dir of the real problem set and its real
// generations as another tool would write them (see
// TestRunRealGenerationsFromAForeignWriter), and returns it with its plan
// and the number of generation records.
func realRun(t *testing.T, dir string) (shard.Layout, shard.Plan, int) {
	t.Helper()
	var problems []shard.Problem
	if _, err := shard.ReadSource(testenv.NeedData(t, "derived/problems.jsonl"), nil, func(r shard.Row) error {
		problems = append(problems, shard.ProblemFromRow(r))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	gens := map[string][]map[string]any{}
	f, err := os.Open(testenv.NeedData(t, "derived/generations.jsonl"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<26)
	total := 0
	for sc.Scan() {
		var rec map[string]any
		if err := json.Unmarshal(sc.Bytes(), &rec); err != nil {
			t.Fatal(err)
		}
		// The records as the file has them (no index, no finish_reason:
		// merge numbers them in file order), every other one with a
		// float latency_ms.
		u := rec["uuid"].(string)
		if total%2 == 0 {
			rec["latency_ms"] = 1234.5
		}
		gens[u] = append(gens[u], rec)
		total++
	}

	l := shard.Layout{Dir: dir}
	plan := shard.Plan{Version: 1, PlanHash: "real", Settings: shard.Settings{NumGenerations: 4}}
	enc, _ := zstd.NewWriter(nil)
	defer enc.Close()
	if err := os.MkdirAll(l.OutputDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	for id, chunk := range slices.Collect(slices.Chunk(problems, 500)) {
		sum, err := shard.WriteInput(l.Input(id), chunk)
		if err != nil {
			t.Fatal(err)
		}
		plan.Shards = append(plan.Shards, shard.ShardInfo{ID: id, Problems: len(chunk), SHA256: sum})
		var jsonl []byte
		for _, p := range chunk {
			for _, g := range gens[p.UUID] {
				b, _ := json.Marshal(g)
				jsonl = append(append(jsonl, b...), '\n')
			}
		}
		if err := os.WriteFile(l.Output(id), enc.EncodeAll(jsonl, nil), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeJSON(t, l.PlanFile(), plan)

	return l, plan, total
}

// TestRunRealGenerationsFromAForeignWriter merges the real problem set
// with its 4,761 real model generations, written the way another tool
// would write them: each output shard one zstd frame, records with the
// tool's own extra fields, no index or finish_reason, a float latency_ms,
// no done markers. merge refuses the run as incomplete, merges it with
// allow_incomplete, reads every record, keeps only rows with a correct
// generation, and DuckDB reads the result with OpenR1-Math-220k's columns
// and types.
func TestRunRealGenerationsFromAForeignWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP: verifies 4,761 real generations; not in -short")
	}
	l, plan, total := realRun(t, t.TempDir())
	opts := testOptions(l, nil, "")
	opts.Check = nil // the real verifier
	var inc *IncompleteError
	if _, err := Run(context.Background(), opts); !errors.As(err, &inc) || len(inc.Shards) != len(plan.Shards) {
		t.Fatalf("merge of shards without done markers: %v, want an IncompleteError naming all %d", err, len(plan.Shards))
	}
	if _, err := os.Stat(l.DatasetDir()); err == nil {
		t.Fatal("a refused merge left a dataset dir")
	}
	opts.Config.AllowIncomplete = true
	sum, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Generations != total || sum.TornBytes != 0 || sum.DuplicateRecords != 0 || sum.OrphanGenerations != 0 {
		t.Fatalf("read %d generations (torn %d, duplicates %d, orphans %d), want all %d",
			sum.Generations, sum.TornBytes, sum.DuplicateRecords, sum.OrphanGenerations, total)
	}
	if sum.Kept == 0 || sum.Dropped == 0 || sum.Kept+sum.Dropped != sum.ProblemsWithGenerations {
		t.Fatalf("kept %d, dropped %d of %d problems with generations", sum.Kept, sum.Dropped, sum.ProblemsWithGenerations)
	}
	t.Logf("real set: %d problems, %d generations, equal %d different %d unsure %d, kept %d; verify time %s",
		sum.Problems, sum.Generations, sum.Equal, sum.Different, sum.Unsure, sum.Kept, sum.VerifyTime)

	var got struct {
		Columns [][2]string `json:"columns"`
		Rows    int         `json:"rows"`
		Judged  int         `json:"judged"`
		Bad     int         `json:"bad"`
	}
	if err := json.Unmarshal(testenv.NeedDuckDB(t).Run(t, duckdbRealScript, "DATASET_DIR="+sum.DatasetDir), &got); err != nil {
		t.Fatal(err)
	}
	checkColumns(t, got.Columns)
	if got.Rows != sum.Splits[0].Rows || got.Bad != 0 || got.Judged != 0 {
		t.Errorf("DuckDB reads %d rows (%d not as OpenR1 has them, %d with correctness_llama); merge wrote %d", got.Rows, got.Bad, got.Judged, sum.Splits[0].Rows)
	}
}

// TestMergeHelperProcess is no test of its own: TestRunKilledMidway runs
// the test binary with it to merge $DISTILLERY_MERGE_HELPER_DIR in a
// process it can kill.
func TestMergeHelperProcess(t *testing.T) {
	dir := os.Getenv("DISTILLERY_MERGE_HELPER_DIR")
	if dir == "" {
		return
	}
	opts := testOptions(shard.Layout{Dir: dir}, nil, "")
	opts.Check = nil
	opts.Config.AllowIncomplete = true
	if _, err := Run(context.Background(), opts); err != nil {
		os.Exit(1)
	}
	os.Exit(0)
}

// TestRunKilledMidway SIGKILLs merges of the real run at moments spread
// over their course, first and replacing merges: afterwards the dataset
// dir is either absent or a whole dataset (every split's row count, every file a readable parquet file),
// and the next merge completes and leaves no temporary directory.
func TestRunKilledMidway(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP: merges the real run several times; not in -short")
	}
	l, _, _ := realRun(t, t.TempDir())
	opts := testOptions(l, nil, "")
	opts.Check = nil
	opts.Config.AllowIncomplete = true
	start := time.Now()
	ref, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	took := time.Since(start)
	want := map[string]int{}
	for _, sp := range ref.Splits {
		want[sp.Name] = sp.Rows
	}
	if err := os.RemoveAll(l.DatasetDir()); err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		t.Helper()
		tmp, _ := filepath.Glob(filepath.Join(l.Dir, ".dataset.*"))
		if _, err := os.Stat(l.DatasetDir()); errors.Is(err, os.ErrNotExist) {
			t.Logf("%s: no dataset (%d temporary dirs)", when, len(tmp))
			return
		}
		t.Logf("%s: a dataset (%d temporary dirs)", when, len(tmp))
		if _, err := os.Stat(filepath.Join(l.DatasetDir(), "README.md")); err != nil {
			t.Fatalf("%s: a dataset dir without its card", when)
		}
		for split, rows := range want {
			files, _ := filepath.Glob(splitGlob(l.DatasetDir(), split))
			got := 0
			for _, f := range files {
				fh, err := os.Open(f)
				if err != nil {
					t.Fatal(err)
				}
				st, _ := fh.Stat()
				pf, err := parquet.OpenFile(fh, st.Size())
				if err != nil {
					t.Fatalf("%s: %s is not a whole parquet file: %v", when, f, err)
				}
				got += int(pf.NumRows())
				fh.Close()
			}
			if got != rows {
				t.Fatalf("%s: split %s has %d rows, a whole merge writes %d", when, split, got, rows)
			}
		}
	}
	// Two rounds of kills at 1/3 ... 5/3 of a merge's time (a subprocess
	// starts slower): the first round into a run dir without a dataset
	// (until a merge gets through), the second into merges that replace a
	// whole dataset.
	for i := range 10 {
		if i == 5 {
			if _, err := Run(context.Background(), opts); err != nil {
				t.Fatal(err)
			}
		}
		cmd := exec.Command(os.Args[0], "-test.run=^TestMergeHelperProcess$")
		cmd.Env = append(os.Environ(), "DISTILLERY_MERGE_HELPER_DIR="+l.Dir)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		after := took * time.Duration(i%5+1) / 3
		time.Sleep(after)
		cmd.Process.Kill()
		cmd.Wait()
		check(fmt.Sprintf("after kill %d (%s into a merge of about %s)", i, after.Round(time.Millisecond), took.Round(time.Millisecond)))
	}
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
	check("after a last whole merge")
	if left, _ := filepath.Glob(filepath.Join(l.Dir, ".dataset.*")); len(left) > 0 {
		t.Fatalf("temporary dataset dirs left: %v", left)
	}
}
