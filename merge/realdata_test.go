package merge

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/klauspost/compress/zstd"

	"github.com/distillery-hpc/distillery/internal/realdata"
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
  const glob = "'" + (process.env.DATASET_DIR + '/data/default/*.parquet').replace(/'/g, "''") + "'";
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

// TestRunRealGenerationsFromAForeignWriter merges the real problem set
// with its 4,761 real model generations, written the way another tool
// would write them: each output shard one zstd frame, records with the
// tool's own extra fields, no index or finish_reason, a float latency_ms,
// no done markers. merge
// refuses the run as incomplete, merges it with allow_incomplete, reads
// every record, keeps only rows with a correct generation, and DuckDB reads
// the result with OpenR1-Math-220k's columns and types.
func TestRunRealGenerationsFromAForeignWriter(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP: verifies 4,761 real generations; not in -short")
	}
	var problems []shard.Problem
	if _, err := shard.ReadSource(realdata.Require(t, "derived/problems.jsonl"), nil, func(r shard.Row) error {
		problems = append(problems, shard.ProblemFromRow(r))
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	gens := map[string][]map[string]any{}
	f, err := os.Open(realdata.Require(t, "derived/generations.jsonl"))
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

	dir := t.TempDir()
	l := shard.Layout{Dir: dir}
	plan := shard.Plan{Version: 1, PlanHash: "real", NumGenerations: 4}
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
	if err := json.Unmarshal(runDuckDB(t, duckdbRealScript, "DATASET_DIR="+sum.DatasetDir), &got); err != nil {
		t.Fatal(err)
	}
	checkColumns(t, got.Columns)
	if got.Rows != sum.Splits[0].Rows || got.Bad != 0 || got.Judged != 0 {
		t.Errorf("DuckDB reads %d rows (%d not as OpenR1 has them, %d with correctness_llama); merge wrote %d", got.Rows, got.Bad, got.Judged, sum.Splits[0].Rows)
	}
}
