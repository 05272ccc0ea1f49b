package merge

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/distillery-hpc/distillery/internal/testenv"
)

// duckdbScript reads the dataset with DuckDB (npm @duckdb/node-api), an
// independent parquet reader, and prints the schema and a few values as
// JSON.
const duckdbScript = `
const path = require('path');
const { DuckDBInstance } = require(path.join(process.env.NODE_MODULES_DIR, '@duckdb', 'node-api'));
(async () => {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const glob = process.env.DATASET_DIR + '/data/default/*.parquet';
  const esc = (s) => s.replace(/'/g, "''");
  const d = await c.runAndReadAll("DESCRIBE SELECT * FROM read_parquet('" + esc(glob) + "')");
  const rows = await c.runAndReadAll(
    "SELECT uuid, source, correctness_count, correctness_math_verify, correctness_llama, is_reasoning_complete, " +
    "finish_reasons, len(generations) AS n, messages[1].role AS r1, messages[2].role AS r2, " +
    "messages[2].content = generations[1 + list_position(correctness_math_verify, true) - 1] AS dummy " +
    "FROM read_parquet('" + esc(glob) + "') ORDER BY uuid");
  console.log(JSON.stringify({
    columns: d.getRowObjectsJson().map((r) => [r.column_name, r.column_type]),
    rows: rows.getRowObjectsJson(),
  }));
})().catch((e) => { console.error(e); process.exit(1); });
`

// wantColumns are OpenR1-Math-220k's 14 columns, in order, with their
// types as DuckDB names them (DuckDB versions differ in which struct field
// names they quote: the quotes are dropped before comparing).
var wantColumns = [][2]string{
	{"problem", "VARCHAR"}, {"solution", "VARCHAR"}, {"answer", "VARCHAR"},
	{"problem_type", "VARCHAR"}, {"question_type", "VARCHAR"}, {"source", "VARCHAR"}, {"uuid", "VARCHAR"},
	{"is_reasoning_complete", "BOOLEAN[]"}, {"generations", "VARCHAR[]"},
	{"correctness_math_verify", "BOOLEAN[]"}, {"correctness_llama", "BOOLEAN[]"},
	{"finish_reasons", "VARCHAR[]"}, {"correctness_count", "BIGINT"},
	{"messages", "STRUCT(content VARCHAR, role VARCHAR)[]"},
}

func duckdbCheck(t *testing.T, datasetDir string, want map[string]Row) {
	stdout := testenv.NeedDuckDB(t).Run(t, duckdbScript, "DATASET_DIR="+datasetDir)
	var got struct {
		Columns [][2]string      `json:"columns"`
		Rows    []map[string]any `json:"rows"`
	}
	if err := json.Unmarshal(stdout, &got); err != nil {
		t.Fatalf("DuckDB output: %v\n%s", err, stdout)
	}
	checkColumns(t, got.Columns)

	// A few values, as DuckDB reads them.
	var uuids []string
	for _, r := range got.Rows {
		u, _ := r["uuid"].(string)
		uuids = append(uuids, u)
		w, ok := want[u]
		if !ok {
			t.Errorf("DuckDB row %s is not expected", u)
			continue
		}
		if r["correctness_count"] != jsonNumber(w.CorrectnessCount) {
			t.Errorf("%s correctness_count = %v, want %d", u, r["correctness_count"], w.CorrectnessCount)
		}
		if !sameJSON(r["correctness_llama"], w.CorrectnessLlama) || !sameJSON(r["correctness_math_verify"], w.CorrectnessMathVerify) ||
			!sameJSON(r["is_reasoning_complete"], w.IsReasoningComplete) || !sameJSON(r["finish_reasons"], w.FinishReasons) {
			t.Errorf("%s lists as DuckDB reads them: %v", u, r)
		}
		if r["r1"] != "user" || r["r2"] != "assistant" {
			t.Errorf("%s messages roles = %v, %v", u, r["r1"], r["r2"])
		}
	}
	if !reflect.DeepEqual(uuids, []string{"u-a", "u-d", "u-e"}) {
		t.Errorf("DuckDB rows of default = %v", uuids)
	}
}

// jsonNumber is how getRowObjectsJson renders a BIGINT: as a string.
func jsonNumber(n int64) any {
	b, _ := json.Marshal(n)
	return string(b)
}

func sameJSON(a, b any) bool {
	x, _ := json.Marshal(a)
	y, _ := json.Marshal(b)
	return bytes.Equal(x, y)
}

// checkColumns compares DuckDB's DESCRIBE with wantColumns.
func checkColumns(t *testing.T, cols [][2]string) {
	t.Helper()
	for i := range cols {
		cols[i][1] = strings.ReplaceAll(cols[i][1], `"`, "")
	}
	if !reflect.DeepEqual(cols, wantColumns) {
		t.Errorf("DuckDB DESCRIBE:\n got %v\nwant %v", cols, wantColumns)
	}
}
