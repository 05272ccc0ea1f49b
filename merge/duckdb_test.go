package merge

import (
	"bytes"
	"encoding/json"
	"path/filepath"
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
  const glob = process.env.DATASET_DIR + '/data/train-*.parquet';
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

// duckdbStatsScript prints the longest min/max statistic of each column,
// as DuckDB's parquet_metadata reports them, over every file of a glob.
const duckdbStatsScript = `
const path = require('path');
const { DuckDBInstance } = require(path.join(process.env.NODE_MODULES_DIR, '@duckdb', 'node-api'));
(async () => {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const g = process.env.GLOB.replace(/'/g, "''");
  const r = await c.runAndReadAll(
    "SELECT path_in_schema AS col, max(greatest(coalesce(octet_length(stats_min_value::BLOB), 0), coalesce(octet_length(stats_max_value::BLOB), 0), " +
    "coalesce(octet_length(stats_min::BLOB), 0), coalesce(octet_length(stats_max::BLOB), 0)))::INTEGER AS longest, " +
    "string_agg(DISTINCT encodings, ';') AS enc FROM parquet_metadata('" + g + "') GROUP BY 1 ORDER BY 1");
  console.log(JSON.stringify(r.getRowObjectsJson()));
})().catch((e) => { console.error(e); process.exit(1); });
`

// TestDuckDBSeesNoLongStatistics: generations of 62 kB leave no min/max
// statistic over 4,096 bytes in any file, as DuckDB reads the footers, and
// the low-cardinality columns are dictionary-encoded.
func TestDuckDBSeesNoLongStatistics(t *testing.T) {
	long := strings.Repeat("Hmm, but wait: is that really right? ", 1700)
	dir := t.TempDir()
	w := newSplitWriter("default", dir, DefaultConfig(), testWriterConfig(t))
	for i := range 20 {
		r := rowFrom(long[i:], 3, uint32(i))
		r.UUID = "u" + string(rune('a'+i))
		r.Generations = []string{long, long[i:], long[:len(long)-i]}
		r.Messages[1].Content = long[i:]
		if err := w.write(&r); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := w.finish(); err != nil {
		t.Fatal(err)
	}
	out := testenv.NeedDuckDB(t).Run(t, duckdbStatsScript, "GLOB="+filepath.Join(dir, "train-*.parquet"))
	var cols []struct {
		Col     string `json:"col"`
		Longest int    `json:"longest"`
		Enc     string `json:"enc"`
	}
	if err := json.Unmarshal(out, &cols); err != nil {
		t.Fatalf("%v\n%s", err, out)
	}
	if len(cols) != 15 {
		t.Fatalf("DuckDB sees %d columns: %s", len(cols), out)
	}
	for _, c := range cols {
		if c.Longest > 4096 {
			t.Errorf("column %s has a %d-byte statistic", c.Col, c.Longest)
		}
		switch c.Col {
		case "source", "problem_type", "question_type", "finish_reasons, list, element", "messages, list, element, role":
			if !strings.Contains(c.Enc, "RLE_DICTIONARY") {
				t.Errorf("column %s encodings %s, want RLE_DICTIONARY", c.Col, c.Enc)
			}
		}
	}
}
