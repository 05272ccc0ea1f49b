package verify

import (
	"bufio"
	"context"
	"os"
	"strings"
	"testing"
)

// blindPair is one row of testdata/blindpairs.tsv: a hard pair written by
// the third red-team round from competition answers and model habits,
// before reading the earlier rounds' cases.
type blindPair struct {
	gold, pred string
	want       Verdict
	note       string
	line       int
}

func loadBlindPairs(t *testing.T) []blindPair {
	t.Helper()
	f, err := os.Open("testdata/blindpairs.tsv")
	if err != nil {
		t.Fatalf("open blind pairs: %v", err)
	}
	defer f.Close()
	var out []blindPair
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 4 {
			t.Fatalf("testdata/blindpairs.tsv line %d: want 4 tab-separated columns (gold, pred, label, note), got %d", n, len(cols))
		}
		want := Verdict(cols[2])
		if want != Equal && want != Different {
			t.Fatalf("testdata/blindpairs.tsv line %d: label %q, want equal or different", n, cols[2])
		}
		out = append(out, blindPair{gold: cols[0], pred: cols[1], want: want, note: cols[3], line: n})
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read blind pairs: %v", err)
	}
	return out
}

// TestBlindPairs runs the blind red-team pairs: no wrong pair may be
// called equal (a wrong answer accepted is the costly error), and the
// share of right verdicts (unsure counts as not right) must stay at or
// above the level reached when they were written.
func TestBlindPairs(t *testing.T) {
	const minAccuracy = 0.973
	pairs := loadBlindPairs(t)
	ctx := context.Background()
	right, unsure, falseEqual, falseDiff := 0, 0, 0, 0
	for _, p := range pairs {
		r := Check(ctx, p.gold, p.pred)
		switch {
		case r.Verdict == p.want:
			right++
		case r.Verdict == Unsure:
			unsure++
			t.Logf("unsure   line %d %q vs %q (%s): %s", p.line, p.gold, p.pred, p.note, r.Reason)
		case r.Verdict == Equal:
			falseEqual++
			t.Errorf("FALSE EQUAL line %d: %q vs %q (%s): %s", p.line, p.gold, p.pred, p.note, r.Reason)
		default:
			falseDiff++
			t.Logf("false different line %d %q vs %q (%s): %s", p.line, p.gold, p.pred, p.note, r.Reason)
		}
	}
	acc := float64(right) / float64(len(pairs))
	t.Logf("blind pairs: %d, right %d (%.1f%%), unsure %d, false equal %d, false different %d",
		len(pairs), right, 100*acc, unsure, falseEqual, falseDiff)
	if acc < minAccuracy {
		t.Errorf("accuracy %.1f%% below %.1f%%", 100*acc, 100*minAccuracy)
	}
}
