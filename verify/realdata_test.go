package verify_test

import (
	"context"
	"testing"

	"github.com/distillery-hpc/distillery/internal/testenv"
	"github.com/distillery-hpc/distillery/verify"
	"github.com/distillery-hpc/distillery/verify/internal/realdata"
)

// loadReal returns the real answer-equivalence sets, skipping loudly when
// they are absent (and failing when DISTILLERY_REQUIRE_DATA=1).
func loadReal(t *testing.T) []realdata.Set {
	t.Helper()
	sets, err := realdata.Load(testenv.NeedData(t, "answer-equivalence"))
	if err != nil {
		t.Fatal(err)
	}
	return sets
}

// TestMathVerifyRegression checks agreement with Math-Verify's own
// regression cases, apart from the mislabelled ones listed in
// testdata/mislabelled.jsonl.
func TestMathVerifyRegression(t *testing.T) {
	sets := loadReal(t)
	mis, err := realdata.Mislabelled()
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for _, s := range sets {
		if s.Name != "math-verify-testcases" {
			continue
		}
		seen := map[string]bool{}
		n, agree := 0, 0
		for _, c := range s.Cases {
			seen[c.ID] = true
			if _, bad := mis[c.ID]; bad {
				continue
			}
			n++
			r := verify.Check(ctx, c.Gold, c.Pred)
			if (r.Verdict == verify.Equal) == c.Label && r.Verdict != verify.Unsure {
				agree++
				continue
			}
			if r.Verdict == verify.Equal {
				t.Errorf("%s: accepted an answer labelled wrong: gold %q pred %q", c.ID, c.Gold, r.PredParsed)
			}
			t.Logf("%s: label %v, got %s (%s)", c.ID, c.Label, r.Verdict, r.Reason)
		}
		for id := range mis {
			if !seen[id] {
				t.Errorf("mislabelled.jsonl names %s, which is not in the set", id)
			}
		}
		rate := float64(agree) / float64(n)
		t.Logf("agreement %d/%d = %.1f%%", agree, n, 100*rate)
		if rate < 0.97 {
			t.Errorf("agreement %.1f%% < 97%%", 100*rate)
		}
		return
	}
	t.Fatal("math-verify-testcases set not loaded")
}
