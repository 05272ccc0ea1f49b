package merge

import (
	"context"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/runner/simserver"
)

// The embedded simulator, which `local` uses as the judge, understands
// merge's judge prompt and its replies parse to verdicts. A prompt the
// simulator cannot read is answered AMBIGUOUS (as a real judge might), so
// the test asks the simulator whether it found both solutions in every
// prompt, and includes answers it decides (s-c, s-d): a run whose every
// verdict is AMBIGUOUS is what a misread prompt looks like.
func TestRunWithSimulatorJudge(t *testing.T) {
	shards := [][]fixProblem{{
		{problem("s-a", "olympiads", "4"), []fixGen{
			{"<think>x</think> So it is \\boxed{4}.", "stop"},
			{"<think>x</think> So it is \\boxed{\\text{four}}.", "stop"},
		}},
		{problem("s-b", "olympiads", `\frac{1}{2}`), []fixGen{
			{"<think>x</think> The answer is \\boxed{\\text{one half}}.", "stop"},
			{"<think>x</think> The answer is \\boxed{\\text{0.5 exactly}}.", "stop"},
		}},
		{problem("s-c", "olympiads", `\frac{1}{2}`), []fixGen{
			{"<think>x</think> So it is \\boxed{\\text{0.5}}.", "stop"},
		}},
		{problem("s-d", "olympiads", "4"), []fixGen{
			{"<think>x</think> So it is \\boxed{\\text{5}}.", "stop"},
		}},
	}}
	l := writeRun(t, t.TempDir(), shards, nil)
	cfg := simserver.DefaultConfig()
	cfg.LoadTime = 0
	cfg.TimeScale = 1e6
	sim := simserver.New(cfg, nil, nil)
	srv := httptest.NewServer(sim.Handler())
	t.Cleanup(srv.Close)

	opts := testOptions(l, judgeClient(t, srv.URL), srv.URL)
	opts.Judge.WaitForServer = 5 * time.Second
	sum, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Unsure == 0 || sum.Judged != sum.Unsure || sum.JudgeErrors != 0 || sum.JudgeNoVerdict != 0 {
		t.Errorf("unsure %d, judged %d, errors %d, replies without a verdict %d; want every unsure answer judged with a verdict",
			sum.Unsure, sum.Judged, sum.JudgeErrors, sum.JudgeNoVerdict)
	}
	st := sim.Stats()
	if st.JudgeUnparsed != 0 || st.Judged < int64(sum.Judged) {
		t.Errorf("the simulator judged %d prompts and could not read %d; merge judged %d: want every judge prompt read in judge mode",
			st.Judged, st.JudgeUnparsed, sum.Judged)
	}
	if sum.JudgeEquivalent == 0 || sum.JudgeDifferent == 0 {
		t.Errorf("simulator judge: equivalent %d, different %d, ambiguous %d; want an EQUIVALENT (s-c: 0.5 for 1/2) and a DIFFERENT (s-d: 5 for 4)",
			sum.JudgeEquivalent, sum.JudgeDifferent, sum.JudgeAmbiguous)
	}
	t.Logf("simulator judge: equivalent %d, different %d, ambiguous %d", sum.JudgeEquivalent, sum.JudgeDifferent, sum.JudgeAmbiguous)
}
