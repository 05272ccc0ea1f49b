package merge

import (
	"strings"
	"testing"
)

func TestJudgePrompt(t *testing.T) {
	p := JudgePrompt("Find {answer} when x=2.", `\frac{1}{2}`, "so \\boxed{0.5} {generation}")
	for _, s := range []string{
		"PROBLEM:\n\nFind {answer} when x=2.\n",
		"REFERENCE SOLUTION:\n\n\\frac{1}{2}\n",
		"MODEL'S SOLUTION:\n\nso \\boxed{0.5} {generation}\n",
		`"Verdict: EQUIVALENT"`, `"Verdict: DIFFERENT"`, `"Verdict: AMBIGUOUS"`,
	} {
		if !strings.Contains(p, s) {
			t.Errorf("prompt lacks %q:\n%s", s, p)
		}
	}
	if strings.Count(p, "{problem}") != 0 {
		t.Errorf("placeholder left in prompt:\n%s", p)
	}
}

func TestJudgeSolution(t *testing.T) {
	tests := []struct {
		name, text string
		max        int
		want       string
	}{
		{"no think", "x = 3, so \\boxed{3}", 0, "x = 3, so \\boxed{3}"},
		{"after think", "<think>long musing</think>\n\nThe answer is \\boxed{3}.", 0, "The answer is \\boxed{3}."},
		{"last think", "<think>a</think> b <think>c</think> final", 0, "final"},
		{"empty after think", "<think>musing \\boxed{3}</think>  ", 0, "<think>musing \\boxed{3}</think>  "},
		{"unclosed think", "<think>musing \\boxed{3}", 0, "<think>musing \\boxed{3}"},
		{"cut to the end", "0123456789", 4, "…6789"},
		{"cut at a rune boundary", "ααααα", 3, "…α"},
		{"short enough", "abc", 3, "abc"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := JudgeSolution(tt.text, tt.max); got != tt.want {
				t.Errorf("JudgeSolution(%q, %d) = %q, want %q", tt.text, tt.max, got, tt.want)
			}
		})
	}
}

func TestReasoningComplete(t *testing.T) {
	tests := []struct {
		text, finish string
		want         bool
	}{
		{"<think>a</think> \\boxed{1}", "stop", true},
		{"\\boxed{1}", "stop", true},
		{"<think>a \\boxed{1}", "stop", false},
		{"<think>a</think> \\boxed{1}", "length", false},
		{"<think>a</think>", "", false},
		{"<think>a</think>", "abort", false},
	}
	for _, tt := range tests {
		if got := ReasoningComplete(tt.text, tt.finish); got != tt.want {
			t.Errorf("ReasoningComplete(%q, %q) = %v, want %v", tt.text, tt.finish, got, tt.want)
		}
	}
}
