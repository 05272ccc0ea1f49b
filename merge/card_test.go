package merge

import (
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/shard"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

func TestCardGolden(t *testing.T) {
	tests := []struct {
		name string
		opts func(*Options)
		sum  Summary
	}{
		{
			name: "judged",
			sum: Summary{
				Shards: 3, Problems: 120, ProblemsWithGenerations: 120, Generations: 480,
				Equal: 300, Different: 100, Unsure: 80, Judged: 78, JudgeEquivalent: 40, JudgeDifferent: 30,
				JudgeAmbiguous: 8, JudgeNoVerdict: 2, JudgeErrors: 2, Correct: 340, ReasoningComplete: 450,
				FinishReasons: map[string]int{"stop": 450, "length": 30}, Models: map[string]int{"deepseek-ai/DeepSeek-R1": 480},
				Kept: 100, Dropped: 20, RowsJudged: 30, CompletionTokens: 1234567,
				Splits: []SplitSummary{
					{Name: "default", Dir: "data", Default: true, Rows: 60, Bytes: 123456, NumBytes: 345678, Files: []string{"a"}, Sources: map[string]int{"olympiads": 50, "amc_aime": 10}},
					{Name: "extended", Dir: "extended", Rows: 40, Bytes: 65432, NumBytes: 198765, Files: []string{"b"}, Sources: map[string]int{"cn_k12": 40}},
				},
				DatasetDir: "/runs/campaign-1/dataset",
				Elapsed:    83 * time.Second,
			},
		},
		{
			name: "incomplete-nojudge-empty-split",
			opts: func(o *Options) {
				o.JudgeClient = nil
				o.Generation.SystemPrompt = "You are a careful mathematician."
				o.Generation.PromptTemplate = "Solve:\n```\n{problem}\n```"
			},
			sum: Summary{
				Shards: 4, Incomplete: []int{2, 3}, Problems: 10, ProblemsWithGenerations: 6, Generations: 24,
				Equal: 10, Different: 8, Unsure: 6, NotJudged: 6, Correct: 10, ReasoningComplete: 20,
				FinishReasons: map[string]int{"stop": 20, "length": 4}, Models: map[string]int{},
				Kept: 5, Dropped: 1,
				Splits: []SplitSummary{
					{Name: "default", Dir: "data", Default: true, Rows: 5, Bytes: 999, NumBytes: 4321, Files: []string{"a"}, Sources: map[string]int{"olympiads": 5}},
					{Name: "extended", Dir: "extended", Bytes: 800, Files: []string{"c"}, Sources: map[string]int{}},
				},
				DatasetDir:      "/runs/campaign-1/dataset",
				InSeveralSplits: 2,
				Elapsed:         1500 * time.Millisecond,
			},
		},
		{
			// A run the simulator made, resumed once with more
			// generations than planned, with extra sampling parameters.
			name: "simulated-mixed-counts",
			opts: func(o *Options) {
				o.Generation.ExtraBody = map[string]any{"top_k": 20, "seed": 7}
			},
			sum: Summary{
				Shards: 2, Problems: 20, ProblemsWithGenerations: 20, Generations: 110,
				Equal: 60, Different: 30, Unsure: 20, Judged: 20, JudgeEquivalent: 10, JudgeDifferent: 10,
				Correct: 70, ReasoningComplete: 100,
				FinishReasons: map[string]int{"stop": 100, "length": 10}, Models: map[string]int{shard.SimulatorModel: 110},
				JudgeModels: map[string]int{shard.SimulatorModel: 20}, PerProblem: map[int]int{4: 5, 6: 15},
				Kept: 15, Dropped: 5, RowsJudged: 10, CompletionTokens: 4321,
				Splits: []SplitSummary{
					{Name: "default", Dir: "data", Default: true, Rows: 15, Bytes: 999, NumBytes: 2345, Files: []string{"a"}, Sources: map[string]int{"olympiads": 15}},
					{Name: "extended", Dir: "extended", Sources: map[string]int{}},
				},
				DatasetDir: "/runs/sim/dataset",
				Elapsed:    2 * time.Second,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			opts := testOptions(shard.Layout{Dir: "/runs/campaign-1"}, judgeClient(t, "http://127.0.0.1:1"), "http://127.0.0.1:1")
			opts.Generation.Model = "deepseek-ai/DeepSeek-R1"
			if tt.opts != nil {
				tt.opts(&opts)
			}
			got, err := renderCard(opts, &tt.sum, time.Date(2026, 11, 26, 18, 30, 0, 0, time.UTC))
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", "card-"+tt.name+".md")
			if *update {
				os.MkdirAll("testdata", 0o755)
				if err := os.WriteFile(golden, got, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test ./merge -run CardGolden -update)", err)
			}
			if string(got) != string(want) {
				t.Errorf("card differs from %s (rerun with -update if intended):\n%s", golden, got)
			}
		})
	}
}
