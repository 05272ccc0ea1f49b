// Package numinagen writes problem sets shaped like NuminaMath-1.5 (its
// columns, ~1 kB a row of LaTeX-laden text, its sentinels and a few percent
// of repeated problems) for measuring and testing the planner at sizes no
// real file in the repository has. The rows are deterministic for a seed.
package numinagen

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"strconv"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// Row is one row in NuminaMath-1.5's columns (it has no uuid column).
type Row struct {
	Problem         string `json:"problem" parquet:"problem"`
	Solution        string `json:"solution" parquet:"solution"`
	Answer          string `json:"answer" parquet:"answer"`
	ProblemType     string `json:"problem_type" parquet:"problem_type"`
	QuestionType    string `json:"question_type" parquet:"question_type"`
	ProblemIsValid  string `json:"problem_is_valid" parquet:"problem_is_valid"`
	SolutionIsValid string `json:"solution_is_valid" parquet:"solution_is_valid"`
	Source          string `json:"source" parquet:"source"`
	Synthetic       bool   `json:"synthetic" parquet:"synthetic"`
}

// weighted is a value drawn with a weight (percent).
type weighted struct {
	v string
	w int
}

// The shares are NuminaMath-1.5's, roughly (its card and the counts in
// ../shared/data/real/numina/PROVENANCE.md): cn_k12 is the largest source,
// about 9% of answers are "proof" and 1% "notfound", 12% of question types
// are proofs, a few percent of rows are marked invalid.
var (
	sources = []weighted{{"cn_k12", 40}, {"olympiads", 18}, {"orca_math", 14}, {"synthetic_math", 10},
		{"aops_forum", 6}, {"cn_contest", 6}, {"inequalities", 2}, {"number_theory", 2}, {"amc_aime", 1}, {"olympiads_ref", 1}}
	questionTypes = []weighted{{"math-word-problem", 60}, {"MCQ", 16}, {"proof", 12}, {"free-form", 8}, {"other", 4}}
	problemTypes  = []weighted{{"Algebra", 40}, {"Geometry", 18}, {"Number Theory", 12}, {"Combinatorics", 10},
		{"Calculus", 6}, {"Inequalities", 5}, {"Logic and Puzzles", 4}, {"Other", 5}}
	words = strings.Fields(`let the of a and is in to that be find prove for which if all
		positive integers real numbers function triangle circle point such value sum
		given where each there exists show number two three points line equation
		solve determine how many maximum minimum area length angle side right
		sequence term first satisfies ratio probability chosen randomly set elements`)
	formulas = []string{`$x^{2}+%dx-%d=0$`, `$\frac{%d}{%d}$`, `$\angle ABC = %d^{\circ}$`, `$a_{n+1} = %d a_n + %d$`,
		`$f(x)=\sqrt{x+%d}-%d$`, `$\sum_{k=1}^{%d} k^{%d}$`, `$\triangle ABC$ with $AB=%d$, $BC=%d$`,
		`$\log_{%d} %d$`, `$|x-%d|<%d$`, `$\binom{%d}{%d}$`}
)

func pick(r *rand.Rand, xs []weighted) string {
	n := r.IntN(100)
	for _, x := range xs {
		if n < x.w {
			return x.v
		}
		n -= x.w
	}
	return xs[len(xs)-1].v
}

// text writes about n bytes of words and formulas.
func text(r *rand.Rand, n int) string {
	var b strings.Builder
	b.Grow(n + 64)
	for b.Len() < n {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		if r.IntN(6) == 0 {
			fmt.Fprintf(&b, formulas[r.IntN(len(formulas))], r.IntN(200)+1, r.IntN(200)+1)
		} else {
			b.WriteString(words[r.IntN(len(words))])
		}
		if r.IntN(12) == 0 {
			b.WriteString(".")
		}
	}
	return b.String()
}

// length draws a text length with mean about mean and a long tail.
func length(r *rand.Rand, mean int) int {
	return mean/4 + int(r.ExpFloat64()*float64(mean)*3/4)
}

// Generate calls fn for rows rows. About 3% repeat an earlier problem with
// other spacing or case (the planner's de-duplication drops them).
func Generate(rows int, seed uint64, fn func(*Row) error) error {
	r := rand.New(rand.NewPCG(seed, 0x6e756d696e61))
	var recent []string // problems a repeat copies
	for i := range rows {
		row := Row{
			Source: pick(r, sources), QuestionType: pick(r, questionTypes), ProblemType: pick(r, problemTypes),
			ProblemIsValid: "Yes", SolutionIsValid: "Yes", Synthetic: r.IntN(100) < 5,
		}
		switch {
		case len(recent) > 0 && r.IntN(100) < 3:
			p := recent[r.IntN(len(recent))]
			if r.IntN(2) == 0 {
				p = strings.ToUpper(p[:1]) + p[1:] + "  "
			} else {
				p = strings.Replace(p, " ", "\n ", 1)
			}
			row.Problem = p
		default:
			row.Problem = text(r, length(r, 300)) + " (" + strconv.Itoa(i) + ")"
			if len(recent) < 4096 {
				recent = append(recent, row.Problem)
			} else {
				recent[r.IntN(len(recent))] = row.Problem
			}
		}
		row.Solution = text(r, length(r, 500))
		switch n := r.IntN(100); {
		case n < 9:
			row.Answer = "proof"
		case n < 10:
			row.Answer = "notfound"
		case n < 60:
			row.Answer = strconv.Itoa(r.IntN(10000) - 100)
		default:
			row.Answer = fmt.Sprintf(`\frac{%d}{%d}`, r.IntN(99)+1, r.IntN(99)+2)
		}
		if r.IntN(100) < 3 {
			row.SolutionIsValid = "No"
		}
		row.Solution += ` Therefore the answer is $\boxed{` + row.Answer + `}$.`
		if err := fn(&row); err != nil {
			return err
		}
	}
	return nil
}

// WriteJSONL writes rows rows as JSON Lines.
func WriteJSONL(w io.Writer, rows int, seed uint64) error {
	bw := bufio.NewWriterSize(w, 1<<20)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := Generate(rows, seed, func(r *Row) error { return enc.Encode(r) }); err != nil {
		return err
	}
	return bw.Flush()
}

// WriteParquet writes rows rows as one zstd-compressed parquet file, in
// row groups of 50,000 rows (about 50 MB, as the Hub's files have).
func WriteParquet(w io.Writer, rows int, seed uint64) error {
	pw := parquet.NewGenericWriter[Row](w, parquet.Compression(&parquet.Zstd))
	batch := make([]Row, 0, 1024)
	inGroup := 0
	flush := func() error {
		if _, err := pw.Write(batch); err != nil {
			return err
		}
		inGroup += len(batch)
		batch = batch[:0]
		if inGroup >= 50000 {
			inGroup = 0
			return pw.Flush()
		}
		return nil
	}
	err := Generate(rows, seed, func(r *Row) error {
		batch = append(batch, *r)
		if len(batch) == cap(batch) {
			return flush()
		}
		return nil
	})
	if err == nil {
		err = flush()
	}
	if err != nil {
		return err
	}
	return pw.Close()
}
