package verify

import (
	"bufio"
	"context"
	"os"
	"strings"
	"testing"
)

// labelledPair is one row of a (gold, pred, label, note) TSV of hard pairs:
// testdata/blindpairs.tsv (the third red-team round, written from
// competition answers and model habits before reading the earlier rounds)
// and testdata/equalpairs.tsv (the fourth).
type labelledPair struct {
	gold, pred string
	want       Verdict
	note       string
	line       int
}

// loadPairsTSV reads a (gold, pred, label, note) TSV of labelled pairs.
func loadPairsTSV(t *testing.T, path string) []labelledPair {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatalf("open %s: %v", path, err)
	}
	defer f.Close()
	var out []labelledPair
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		cols := strings.Split(line, "\t")
		if len(cols) != 4 {
			t.Fatalf("%s line %d: want 4 tab-separated columns (gold, pred, label, note), got %d", path, n, len(cols))
		}
		want := Verdict(cols[2])
		if want != Equal && want != Different {
			t.Fatalf("%s line %d: label %q, want equal or different", path, n, cols[2])
		}
		out = append(out, labelledPair{gold: cols[0], pred: cols[1], want: want, note: cols[3], line: n})
	}
	if err := sc.Err(); err != nil {
		t.Fatalf("read %s: %v", path, err)
	}
	return out
}

// checkPairsTSV runs the pairs of path: no wrong pair may be called equal
// (a wrong answer accepted is the costly error), and the share of right
// verdicts (unsure counts as not right) must stay at or above minAccuracy,
// the level reached when they were written.
func checkPairsTSV(t *testing.T, path string, minAccuracy float64) {
	pairs := loadPairsTSV(t, path)
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
	t.Logf("%s: %d pairs, right %d (%.1f%%), unsure %d, false equal %d, false different %d",
		path, len(pairs), right, 100*acc, unsure, falseEqual, falseDiff)
	if acc < minAccuracy {
		t.Errorf("accuracy %.1f%% below %.1f%%", 100*acc, 100*minAccuracy)
	}
}

// TestBlindPairs runs the third (blind) red-team round's pairs.
func TestBlindPairs(t *testing.T) { checkPairsTSV(t, "testdata/blindpairs.tsv", 0.973) }

// TestEqualPairs runs the fourth round: mostly pairs that are equal in
// unusual notation (the side where a checker says unsure or different),
// plus wrong-but-close pairs in new categories.
func TestEqualPairs(t *testing.T) { checkPairsTSV(t, "testdata/equalpairs.tsv", 0.985) }
