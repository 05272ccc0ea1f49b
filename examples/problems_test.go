package examples

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"

	"github.com/distillery-hpc/distillery/shard"
)

// problem is one row of problems.jsonl / problems.parquet, in NuminaMath-1.5 columns plus uuid.
type problem struct {
	Problem         string `json:"problem" parquet:"problem"`
	Solution        string `json:"solution" parquet:"solution"`
	Answer          string `json:"answer" parquet:"answer"`
	ProblemType     string `json:"problem_type" parquet:"problem_type"`
	QuestionType    string `json:"question_type" parquet:"question_type"`
	ProblemIsValid  string `json:"problem_is_valid" parquet:"problem_is_valid"`
	SolutionIsValid string `json:"solution_is_valid" parquet:"solution_is_valid"`
	Source          string `json:"source" parquet:"source"`
	Synthetic       bool   `json:"synthetic" parquet:"synthetic"`
	UUID            string `json:"uuid" parquet:"uuid"`
}

// columnNames is the column order both files must keep.
func columnNames() []string {
	return []string{"problem", "solution", "answer", "problem_type", "question_type",
		"problem_is_valid", "solution_is_valid", "source", "synthetic", "uuid"}
}

func readJSONL(t *testing.T) []problem {
	t.Helper()
	data, err := os.ReadFile("problems.jsonl")
	if err != nil {
		t.Fatalf("read problems.jsonl: %v", err)
	}
	columns := columnNames()
	var rows []problem
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for line := 1; sc.Scan(); line++ {
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		var p problem
		if err := dec.Decode(&p); err != nil {
			t.Fatalf("problems.jsonl:%d: %v", line, err)
		}
		var keys []string
		raw := map[string]json.RawMessage{}
		if err := json.Unmarshal(sc.Bytes(), &raw); err != nil {
			t.Fatalf("problems.jsonl:%d: %v", line, err)
		}
		if len(raw) != len(columns) {
			t.Errorf("problems.jsonl:%d: %d keys, want %d", line, len(raw), len(columns))
		}
		for _, c := range columns {
			if _, ok := raw[c]; !ok {
				keys = append(keys, c)
			}
		}
		if len(keys) > 0 {
			t.Errorf("problems.jsonl:%d: missing %v", line, keys)
		}
		rows = append(rows, p)
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("scan problems.jsonl: %v", err)
	}
	return rows
}

func normalise(s string) string { return strings.Join(strings.Fields(strings.ToLower(s)), " ") }

// dropReason says why the planner must drop row i ("" = keep), with the rules of issue 2:
// invalid rows, uncheckable answers, duplicates by normalised problem text (first one wins).
func dropReason(rows []problem, i int) string {
	p := rows[i]
	switch {
	case p.ProblemIsValid != "Yes" || p.SolutionIsValid != "Yes":
		return "invalid"
	case strings.TrimSpace(p.Answer) == "":
		return "empty"
	case p.Answer == "proof":
		return "proof"
	case p.Answer == "notfound":
		return "notfound"
	}
	for _, q := range rows[:i] {
		if normalise(q.Problem) == normalise(p.Problem) {
			return "duplicate"
		}
	}
	return ""
}

// lastBoxed returns the content of the last \boxed{...} in s.
func lastBoxed(s string) (string, bool) {
	i := strings.LastIndex(s, `\boxed{`)
	if i < 0 {
		return "", false
	}
	start := i + len(`\boxed{`)
	depth := 1
	for j := start; j < len(s); j++ {
		switch s[j] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return s[start:j], true
			}
		}
	}
	return "", false
}

func TestRowsWellFormed(t *testing.T) {
	rows := readJSONL(t)
	enum := map[string]map[string]bool{
		"problem_type": set("Algebra", "Geometry", "Number Theory", "Combinatorics", "Calculus",
			"Inequalities", "Logic and Puzzles", "Other"),
		"question_type": set("math-word-problem", "MCQ", "proof"),
		"source": set("olympiads", "cn_k12", "amc_aime", "aops_forum", "cn_contest",
			"inequalities", "number_theory"),
		"valid": set("Yes", "No"),
	}
	uuidRE := regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`)
	seen := map[string]int{}
	for i, p := range rows {
		line := i + 1
		checks := []struct{ kind, value string }{
			{"problem_type", p.ProblemType}, {"question_type", p.QuestionType}, {"source", p.Source},
			{"valid", p.ProblemIsValid}, {"valid", p.SolutionIsValid},
		}
		for _, c := range checks {
			if !enum[c.kind][c.value] {
				t.Errorf("problems.jsonl:%d: %s %q not allowed", line, c.kind, c.value)
			}
		}
		if !uuidRE.MatchString(p.UUID) {
			t.Errorf("problems.jsonl:%d: uuid %q does not look like a UUID", line, p.UUID)
		}
		if prev, ok := seen[p.UUID]; ok {
			t.Errorf("problems.jsonl:%d: uuid %s already used on line %d", line, p.UUID, prev)
		}
		seen[p.UUID] = line
		if p.Synthetic {
			t.Errorf("problems.jsonl:%d: synthetic is true", line)
		}
		if strings.TrimSpace(p.Problem) == "" || strings.TrimSpace(p.Solution) == "" {
			t.Errorf("problems.jsonl:%d: empty problem or solution", line)
		}
		if (p.QuestionType == "proof") != (p.Answer == "proof") {
			t.Errorf("problems.jsonl:%d: question_type %q with answer %q", line, p.QuestionType, p.Answer)
		}
	}
}

// TestKeptAnswersAreBoxed checks that every row the planner keeps ends its solution with
// \boxed{answer}; text answers may be boxed inside \text{...}.
func TestKeptAnswersAreBoxed(t *testing.T) {
	rows := readJSONL(t)
	for i, p := range rows {
		if dropReason(rows, i) != "" {
			continue
		}
		got, ok := lastBoxed(p.Solution)
		if !ok {
			t.Errorf("problems.jsonl:%d: solution has no \\boxed{}", i+1)
			continue
		}
		if got != p.Answer && got != `\text{`+p.Answer+`}` {
			t.Errorf("problems.jsonl:%d: boxed %q, answer %q", i+1, got, p.Answer)
		}
	}
}

// TestPlannerDropCounts pins the counts that examples/README.md states.
func TestPlannerDropCounts(t *testing.T) {
	rows := readJSONL(t)
	got := map[string]int{}
	kept := map[string]int{}
	for i, p := range rows {
		r := dropReason(rows, i)
		got[r]++
		if r == "" {
			if p.Source == "cn_k12" {
				kept["extended"]++
			} else {
				kept["default"]++
			}
		}
	}
	want := map[string]int{"": 98, "proof": 3, "notfound": 1, "empty": 1, "invalid": 1, "duplicate": 2}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("drop reasons = %v, want %v (update examples/README.md too)", got, want)
	}
	if want := map[string]int{"default": 60, "extended": 38}; !reflect.DeepEqual(kept, want) {
		t.Errorf("kept rows by split = %v, want %v (update examples/README.md too)", kept, want)
	}

	// The rules above are this test's reading of issue 2; the planner
	// itself must agree, on both files.
	for _, file := range []string{"problems.jsonl", "problems.parquet"} {
		in := shard.DefaultInputConfig()
		in.Paths = []string{file}
		plan, _, err := shard.MakePlan(context.Background(), shard.Layout{Dir: t.TempDir()}, shard.PlanOptions{
			Input: in, Shard: shard.DefaultShardConfig(), Settings: shard.Settings{NumGenerations: 1},
		})
		if err != nil {
			t.Fatalf("planning %s: %v", file, err)
		}
		wantDropped := map[string]int{
			shard.DropUncheckable: want["proof"] + want["notfound"] + want["empty"],
			shard.DropInvalid:     want["invalid"],
			shard.DropDuplicate:   want["duplicate"],
		}
		if plan.Problems != want[""] || !reflect.DeepEqual(plan.Dropped, wantDropped) {
			t.Errorf("planner on %s kept %d, dropped %v; want %d, %v", file, plan.Problems, plan.Dropped, want[""], wantDropped)
		}
	}
}

// TestParquetMatchesJSONL checks that problems.parquet holds the same rows, in the same order
// and with the same column order, as problems.jsonl.
func TestParquetMatchesJSONL(t *testing.T) {
	rows := readJSONL(t)
	f, err := os.Open("problems.parquet")
	if err != nil {
		t.Fatalf("open problems.parquet: %v", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		t.Fatalf("stat problems.parquet: %v", err)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		t.Fatalf("open problems.parquet as parquet: %v", err)
	}
	var names []string
	for _, el := range pf.Metadata().Schema[1:] { // [0] is the root
		names = append(names, el.Name)
	}
	if want := columnNames(); !reflect.DeepEqual(names, want) {
		t.Errorf("parquet columns = %v, want %v", names, want)
	}
	got, err := parquet.ReadFile[problem]("problems.parquet")
	if err != nil {
		t.Fatalf("read problems.parquet: %v", err)
	}
	if len(got) != len(rows) {
		t.Fatalf("problems.parquet has %d rows, problems.jsonl %d", len(got), len(rows))
	}
	for i := range rows {
		if got[i] != rows[i] {
			t.Errorf("row %d differs:\n parquet %+v\n jsonl   %+v", i+1, got[i], rows[i])
		}
	}
}

func set(xs ...string) map[string]bool {
	m := make(map[string]bool, len(xs))
	for _, x := range xs {
		m[x] = true
	}
	return m
}
