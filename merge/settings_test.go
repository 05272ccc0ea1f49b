package merge

import (
	"context"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/distillery-hpc/distillery/shard"
)

// TestRunTakesSettingsFromPlan: the rows' messages and the card describe
// the generations as plan.json recorded them, whatever Options.Generation
// (the config at merge time) says; a plan of format version 1, which
// records none, falls back to Options.Generation.
func TestRunTakesSettingsFromPlan(t *testing.T) {
	planned := shard.Settings{
		Model: "org/planned-model", SystemPrompt: "Planned system.", PromptTemplate: "PLANNED {problem}",
		NumGenerations: 4, Temperature: 0.3, TopP: 0.9, MaxTokens: 2048, ExtraBody: map[string]any{"top_k": 20},
	}
	merged := GenerationInfo{
		Model: "org/merge-time", PromptTemplate: "SOMETHING ELSE {problem}",
		NumGenerations: 9, Temperature: 1.5, TopP: 0.5, MaxTokens: 10,
	}
	tests := []struct {
		name       string
		version    int
		wantSystem string
		wantPrompt string
		wantCard   []string
	}{
		{"version 2", shard.PlanVersion, "Planned system.", "PLANNED ",
			[]string{"4 per problem", "temperature 0.3, top_p 0.9, max_tokens 2048", `further sampling parameters ` + "`" + `{"top_k":20}`, "[system] Planned system.", "PLANNED {problem}", "settings as recorded in\n   `plan.json`"}},
		{"version 1", 1, "", "SOMETHING ELSE ",
			[]string{"4 per problem", "temperature 1.5, top_p 0.5, max_tokens 10", "SOMETHING ELSE {problem}", "of format version 1, records none"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := writeRun(t, t.TempDir(), e2eShards(), nil)
			p, err := shard.ReadPlan(l)
			if err != nil {
				t.Fatal(err)
			}
			p.Version = tt.version
			if tt.version >= 2 {
				p.Model, p.SystemPrompt, p.PromptTemplate = planned.Model, planned.SystemPrompt, planned.PromptTemplate
				p.Temperature, p.TopP, p.MaxTokens, p.ExtraBody = planned.Temperature, planned.TopP, planned.MaxTokens, planned.ExtraBody
			}
			writeJSON(t, l.PlanFile(), p)
			opts := testOptions(l, nil, "")
			opts.Generation = merged
			sum, err := Run(context.Background(), opts)
			if err != nil {
				t.Fatal(err)
			}
			rows := 0
			for _, sp := range sum.Splits {
				for _, r := range readSplit(t, sp.Files) {
					rows++
					var user Message
					switch {
					case tt.wantSystem != "" && (len(r.Messages) != 3 || r.Messages[0] != Message{Role: "system", Content: tt.wantSystem}):
						t.Errorf("row %s messages %v: want the plan's system prompt first", r.UUID, r.Messages)
						continue
					case tt.wantSystem != "":
						user = r.Messages[1]
					case len(r.Messages) != 2:
						t.Errorf("row %s messages %v", r.UUID, r.Messages)
						continue
					default:
						user = r.Messages[0]
					}
					if user.Role != "user" || user.Content != tt.wantPrompt+r.Problem {
						t.Errorf("row %s user turn %q, want %q", r.UUID, user.Content, tt.wantPrompt+r.Problem)
					}
				}
			}
			if rows == 0 {
				t.Fatal("no rows")
			}
			card, err := os.ReadFile(sum.CardPath)
			if err != nil {
				t.Fatal(err)
			}
			for _, w := range tt.wantCard {
				if !strings.Contains(string(card), w) {
					t.Errorf("card lacks %q", w)
				}
			}
			// The fixture's problems have 2 or 3 generations, not the
			// planned 4: the card counts them from the records.
			if b, _ := json.Marshal(sum.PerProblem); !strings.Contains(string(card), "4 per problem planned (the output holds other counts: ") {
				t.Errorf("card does not set the records' counts per problem %s against the plan's", b)
			}
		})
	}
}
