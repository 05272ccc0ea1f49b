package main

import (
	"encoding/json"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/distillery-hpc/distillery/internal/testenv"
	"github.com/distillery-hpc/distillery/shard"
)

// plannedProblems plans cfgText (with run.dir and input.paths set) and
// returns the planned problems by problem text, and the plan.
func plannedProblems(t *testing.T, paths []string, extra string) (map[string]shard.Problem, *shard.Plan) {
	t.Helper()
	dir := t.TempDir()
	quoted, _ := json.Marshal(paths)
	cfg := writeFile(t, dir, "c.toml", "[run]\ndir = \"run\"\n[input]\npaths = "+string(quoted)+"\n"+extra+"[shard]\nproblems_per_shard = 700\n")
	code, out, errs := distill(t, nil, "plan", "-c", cfg)
	if code != 0 {
		t.Fatalf("plan %v: exit %d\n%s%s", paths, code, out, errs)
	}
	l := shard.Layout{Dir: filepath.Join(dir, "run")}
	p, err := shard.ReadPlan(l)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]shard.Problem{}
	for _, s := range p.Shards {
		ps, _, err := shard.ReadInput(l.Input(s.ID))
		if err != nil {
			t.Fatal(err)
		}
		for _, x := range ps {
			got[x.Problem] = x
		}
	}
	return got, p
}

// duckdbWriteScript runs the SQL statements in $SQL (a JSON array) in order.
const duckdbWriteScript = `
const path = require('path');
const { DuckDBInstance } = require(path.join(process.env.NODE_MODULES_DIR, '@duckdb', 'node-api'));
(async () => {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  for (const q of JSON.parse(process.env.SQL)) await c.run(q);
})().catch((e) => { console.error(String(e)); process.exit(1); });
`

// TestPlanRealProblemsFromOtherWriters plans the real NuminaMath-shaped
// problem set (DuckDB-written parquet, and its JSONL twin), then the same
// rows rewritten by DuckDB in the physical shapes other writers produce:
// many row groups, data page v2, other codecs, dictionary/enum strings,
// booleans where NuminaMath-1.5 has "Yes"/"No" (and the reverse), nulls,
// extra nested columns, a UUID-typed uuid, renamed columns and fields of
// a struct column with [input.columns]. Every one must plan to the same problems.
func TestPlanRealProblemsFromOtherWriters(t *testing.T) {
	real := testenv.NeedData(t, "derived/problems.parquet")
	base, basePlan := plannedProblems(t, []string{real}, "")
	if len(base) < 1800 {
		t.Fatalf("the real set planned to %d problems", len(base))
	}
	t.Run("jsonl twin", func(t *testing.T) {
		got, _ := plannedProblems(t, []string{testenv.NeedData(t, "derived/problems.jsonl")}, "")
		compareProblems(t, base, got, "")
	})

	dir := t.TempDir()
	src := strings.ReplaceAll(real, "'", "''")
	variants := []struct {
		name, sql, extra string
		columns          string // [input.columns] lines
		differs          string // the one field allowed to differ from base
	}{
		{name: "row groups of 100", sql: "SELECT * FROM '%s'", extra: "(ROW_GROUP_SIZE 100)"},
		{name: "data page v2", sql: "SELECT * FROM '%s'", extra: "(PARQUET_VERSION V2)"},
		{name: "snappy", sql: "SELECT * FROM '%s'", extra: "(COMPRESSION snappy)"},
		{name: "gzip", sql: "SELECT * FROM '%s'", extra: "(COMPRESSION gzip)"},
		{name: "uncompressed", sql: "SELECT * FROM '%s'", extra: "(COMPRESSION uncompressed)"},
		{name: "enum strings", sql: "SELECT * REPLACE (source::srcs AS source, question_type::qts AS question_type) FROM '%s'"},
		{name: "boolean validity, text synthetic", sql: "SELECT * REPLACE (problem_is_valid = 'Yes' AS problem_is_valid, solution_is_valid = 'Yes' AS solution_is_valid, CASE WHEN synthetic THEN 'Yes' ELSE 'No' END AS synthetic) FROM '%s'"},
		{name: "nulls", sql: "SELECT * REPLACE (NULL::VARCHAR AS problem_type, NULL::VARCHAR AS problem_is_valid, NULL::BOOLEAN AS synthetic) FROM '%s'", differs: "problem_type"},
		{name: "nested extra columns", sql: "SELECT [answer, answer] AS answers, {'a': 1, 'b': source} AS meta, *, map([1], [uuid]) AS m FROM '%s'"},
		{name: "uuid typed", sql: "SELECT * REPLACE (uuid::UUID AS uuid) FROM '%s'"},
		{name: "renamed columns", sql: "SELECT problem AS question, answer AS final_answer, * EXCLUDE (problem, answer) FROM '%s'",
			columns: "problem = \"question\"\nanswer = \"final_answer\"\n"},
		{name: "fields of a struct column", sql: "SELECT {'problem': problem, 'answer': answer} AS data, * EXCLUDE (problem, answer) FROM '%s'",
			columns: "problem = \"data.problem\"\nanswer = \"data.answer\"\n"},
	}
	sql := []string{
		"CREATE TYPE srcs AS ENUM (SELECT DISTINCT source FROM '" + src + "' WHERE source IS NOT NULL)",
		"CREATE TYPE qts AS ENUM (SELECT DISTINCT question_type FROM '" + src + "' WHERE question_type IS NOT NULL)",
	}
	for i, v := range variants {
		out := filepath.Join(dir, "v"+string(rune('a'+i))+".parquet")
		sql = append(sql, "COPY ("+strings.ReplaceAll(v.sql, "%s", src)+") TO '"+out+"' "+v.extra)
	}
	b, _ := json.Marshal(sql)
	testenv.NeedDuckDB(t).Run(t, duckdbWriteScript, "SQL="+string(b))

	for i, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			extra := ""
			if v.columns != "" {
				extra = "[input.columns]\n" + v.columns
			}
			got, p := plannedProblems(t, []string{filepath.Join(dir, "v"+string(rune('a'+i))+".parquet")}, extra)
			compareProblems(t, base, got, v.differs)
			if p.Rows != basePlan.Rows || shard.FormatDropped(p.Dropped) != shard.FormatDropped(basePlan.Dropped) {
				t.Errorf("rows %d dropped %v, want %d %v", p.Rows, p.Dropped, basePlan.Rows, basePlan.Dropped)
			}
		})
	}
}

// compareProblems checks that got holds the problems of want with the same
// fields, except the field named by differs.
func compareProblems(t *testing.T, want, got map[string]shard.Problem, differs string) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%d problems, want %d", len(got), len(want))
	}
	var bad []string
	for text, w := range want {
		g, ok := got[text]
		if !ok {
			t.Fatalf("problem %.60q is missing", text)
		}
		fields := map[string][2]string{
			"answer": {g.Answer, w.Answer}, "solution": {g.Solution, w.Solution}, "source": {g.Source, w.Source},
			"question_type": {g.QuestionType, w.QuestionType}, "problem_type": {g.ProblemType, w.ProblemType},
			"uuid": {strings.ReplaceAll(g.UUID, "-", ""), strings.ReplaceAll(w.UUID, "-", "")},
		}
		for k, v := range fields {
			if k != differs && v[0] != v[1] {
				bad = append(bad, k+": "+v[0]+" != "+v[1])
			}
		}
	}
	sort.Strings(bad)
	if len(bad) > 0 {
		t.Fatalf("%d fields differ, e.g. %.200s", len(bad), bad[0])
	}
}
