package realdata

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/distillery-hpc/distillery/internal/realdata"
)

// Case is one labelled pair.
type Case struct {
	ID    string
	Gold  string
	Pred  string
	Label bool // true: the prediction is right
}

// Set is one labelled collection.
type Set struct {
	Name  string
	Cases []Case
}

// Dir returns ../shared/data/real/answer-equivalence beside the repository
// (see internal/realdata), or an error naming what is missing.
func Dir() (string, error) {
	return realdata.Path("answer-equivalence")
}

// Mislabelled returns the ids of Math-Verify regression cases whose label is
// mathematically wrong (verify/testdata/mislabelled.jsonl), with the reason.
func Mislabelled() (map[string]string, error) {
	root, err := realdata.ModuleRoot()
	if err != nil {
		return nil, err
	}
	p := filepath.Join(root, "verify", "testdata", "mislabelled.jsonl")
	out := map[string]string{}
	err = eachLine(p, func(line []byte) error {
		var r struct{ ID, Why string }
		if err := json.Unmarshal(line, &r); err != nil {
			return err
		}
		out[r.ID] = r.Why
		return nil
	})
	return out, err
}

func eachLine(path string, fn func([]byte) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 1<<20), 64<<20)
	n := 0
	for sc.Scan() {
		n++
		if len(strings.TrimSpace(sc.Text())) == 0 {
			continue
		}
		if err := fn(sc.Bytes()); err != nil {
			return fmt.Errorf("reading %s line %d: %w", path, n, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("reading %s: %w", path, err)
	}
	return nil
}

// Load reads every labelled set under dir.
func Load(dir string) ([]Set, error) {
	if _, err := os.Stat(dir); err != nil {
		return nil, fmt.Errorf("answer-equivalence data: %w", err)
	}
	var sets []Set
	// Math-Verify regression cases
	{
		s := Set{Name: "math-verify-testcases"}
		n := 0
		err := eachLine(filepath.Join(dir, "math-verify-testcases", "math_verify_test_cases.jsonl"), func(b []byte) error {
			n++
			var r struct {
				Gold, Pred string
				Expected   int
			}
			if err := json.Unmarshal(b, &r); err != nil {
				return err
			}
			s.Cases = append(s.Cases, Case{ID: fmt.Sprintf("mv-%d", n), Gold: r.Gold, Pred: r.Pred, Label: r.Expected == 1})
			return nil
		})
		if err != nil {
			return nil, err
		}
		sets = append(sets, s)
	}
	// Qwen rule-graded MATH-500 / OlympiadBench / maj@8 example
	for _, f := range []string{
		"skythought-math500-qwen-eval/Qwen2.5-14B-Instruct.math500.jsonl",
		"skythought-math500-qwen-eval/Qwen2.5-Math-7B.math500.jsonl",
		"skythought-math500-qwen-eval/gemma-2-27b-it.math500.jsonl",
		"skythought-math500-qwen-eval/Sky-T1-math-correct-5K-32B-short.math500.jsonl",
		"skythought-math500-qwen-eval/gemma-2-27b-it.olympiadbench.jsonl",
		"skythought-math500-qwen-eval/Sky-T1-math-correct-5K-32B-short.olympiadbench.jsonl",
		"qwen25-math-rm-maj-example/math_cot_100.jsonl",
	} {
		s := Set{Name: strings.TrimSuffix(filepath.Base(f), ".jsonl")}
		n := 0
		err := eachLine(filepath.Join(dir, f), func(b []byte) error {
			n++
			var r struct {
				GT    json.RawMessage `json:"gt"`
				Code  []string        `json:"code"`
				Score []bool          `json:"score"`
			}
			if err := json.Unmarshal(b, &r); err != nil {
				return err
			}
			gold := rawString(r.GT)
			for i := range r.Code {
				if i >= len(r.Score) {
					break
				}
				s.Cases = append(s.Cases, Case{ID: fmt.Sprintf("%s-%d-%d", s.Name, n, i), Gold: gold, Pred: r.Code[i], Label: r.Score[i]})
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		sets = append(sets, s)
	}
	// Omni-MATH rule-vs-judge disagreements: label = GPT-4o judge
	for _, f := range []string{"inconsistent_case_A.jsonl", "inconsistent_case_B.jsonl"} {
		s := Set{Name: "omni-math-" + strings.TrimSuffix(f, ".jsonl")}
		n := 0
		err := eachLine(filepath.Join(dir, "omni-math-rule-inconsistent", f), func(b []byte) error {
			n++
			var r struct {
				Answer      string `json:"answer"`
				Generation  string `json:"generation"`
				Correctness bool   `json:"correctness"`
			}
			if err := json.Unmarshal(b, &r); err != nil {
				return err
			}
			s.Cases = append(s.Cases, Case{ID: fmt.Sprintf("%s-%d", s.Name, n), Gold: r.Answer, Pred: r.Generation, Label: r.Correctness})
			return nil
		})
		if err != nil {
			return nil, err
		}
		sets = append(sets, s)
	}
	return sets, nil
}

// rawString reads a JSON string, or the first string of a list.
func rawString(b json.RawMessage) string {
	var s string
	if json.Unmarshal(b, &s) == nil {
		return s
	}
	var l []string
	if json.Unmarshal(b, &l) == nil {
		return strings.Join(l, ", ")
	}
	return string(b)
}
