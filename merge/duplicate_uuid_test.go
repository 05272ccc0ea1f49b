package merge

import (
	"context"
	"testing"
)

// TestRunSameProblemInTwoShards: a run dir put together by hand can have
// one problem (uuid) in two shards, each with its own generations, so the
// same (uuid, index) pairs appear in two output shards. The dataset holds
// the uuid once, from the first shard in plan order, and the summary
// counts the repeat.
func TestRunSameProblemInTwoShards(t *testing.T) {
	shards := [][]fixProblem{
		{
			{problem("u-a", "olympiads", "4"), []fixGen{{"\\boxed{4}", "stop"}, {"\\boxed{5}", "stop"}}},
			{problem("u-b", "olympiads", "2"), []fixGen{{"\\boxed{2}", "stop"}}},
		},
		{
			{problem("u-a", "olympiads", "4"), []fixGen{{"\\boxed{4} again", "stop"}, {"\\boxed{4}", "stop"}}},
			{problem("u-c", "olympiads", "3"), []fixGen{{"\\boxed{3}", "stop"}}},
		},
	}
	l := writeRun(t, t.TempDir(), shards, nil)
	sum, err := Run(context.Background(), testOptions(l, nil, ""))
	if err != nil {
		t.Fatal(err)
	}
	if sum.DuplicateProblems != 1 || sum.Kept != 3 {
		t.Fatalf("duplicate problems %d, kept %d; want 1, 3", sum.DuplicateProblems, sum.Kept)
	}
	seen := map[string]int{}
	for _, sp := range sum.Splits {
		for _, r := range readSplit(t, sp.Files) {
			seen[r.UUID]++
			if r.UUID == "u-a" && (r.CorrectnessCount != 1 || r.Generations[0] != "\\boxed{4}") {
				t.Errorf("u-a row is not the first shard's: %+v", r)
			}
		}
	}
	if seen["u-a"] != 1 || len(seen) != 3 {
		t.Fatalf("rows per uuid: %v", seen)
	}
}
