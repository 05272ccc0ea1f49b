package merge

import "testing"

// TestParseVerdict reads the replies judges give: OpenR1's format, the
// decorations and extra words around it, two verdicts, hedges, echoed
// instructions and no verdict at all.
func TestParseVerdict(t *testing.T) {
	tests := []struct {
		name  string
		reply string
		want  JudgeVerdict
		found bool
	}{
		{"equivalent", "The answers agree.\nVerdict: EQUIVALENT", JudgeEquivalent, true},
		{"different", "They differ.\n\nVerdict: DIFFERENT", JudgeDifferent, true},
		{"ambiguous", "Nonsense.\nVerdict: AMBIGUOUS", JudgeAmbiguous, true},
		{"no verdict", "I think they are the same.", JudgeAmbiguous, false},
		{"empty", "", JudgeAmbiguous, false},
		{"last wins", "I may say \"Verdict: EQUIVALENT\" or \"Verdict: DIFFERENT\".\nVerdict: DIFFERENT", JudgeDifferent, true},
		{"last wins, equivalent after different", "Verdict: DIFFERENT\nOn reflection:\nVerdict: EQUIVALENT", JudgeEquivalent, true},
		{"bold line", "**Verdict: EQUIVALENT**", JudgeEquivalent, true},
		{"bold word", "Verdict: **DIFFERENT**", JudgeDifferent, true},
		{"bold label", "**Verdict:** EQUIVALENT", JudgeEquivalent, true},
		{"lower case", "verdict: equivalent", JudgeEquivalent, true},
		{"quoted", `Verdict: "DIFFERENT"`, JudgeDifferent, true},
		{"bracketed", "Verdict: [EQUIVALENT]", JudgeEquivalent, true},
		{"full-width colon", "Verdict： EQUIVALENT", JudgeEquivalent, true},
		{"no space", "Verdict:EQUIVALENT", JudgeEquivalent, true},
		{"word only is not a verdict", "They are EQUIVALENT.", JudgeAmbiguous, false},
		{"longer word is not a verdict", "Verdict: EQUIVALENTLY wrong", JudgeAmbiguous, false},
		{"other word", "Verdict: CORRECT", JudgeAmbiguous, false},
		{"cut off", "The answers match. Verdict: EQUI", JudgeAmbiguous, false},
		{"the sim's format", "Both are 4, the same value. Verdict: EQUIVALENT", JudgeEquivalent, true},
		// OpenR1's format with what judges add around it
		{"verdict then extra text", "Verdict: EQUIVALENT. Both answers are 4.", JudgeEquivalent, true},
		{"verdict in parentheses", "Verdict: DIFFERENT (the model says 5)", JudgeDifferent, true},
		{"title case", "Verdict: Equivalent", JudgeEquivalent, true},
		{"bold label and word", "**Verdict:** **AMBIGUOUS**", JudgeAmbiguous, true},
		{"final verdict", "Final verdict: DIFFERENT", JudgeDifferent, true},
		{"heading", "The answers agree.\n\n## Verdict\n\nEQUIVALENT", JudgeEquivalent, true},
		{"bold heading", "**Verdict**\nDIFFERENT", JudgeDifferent, true},
		{"label on its own line", "Verdict:\nEQUIVALENT", JudgeEquivalent, true},
		{"verdict is", "So the verdict is EQUIVALENT.", JudgeEquivalent, true},
		{"dash", "Verdict - DIFFERENT", JudgeDifferent, true},
		{"boxed", `Verdict: $\boxed{\text{EQUIVALENT}}$`, JudgeEquivalent, true},
		{"curly quotes", "Verdict: “DIFFERENT”", JudgeDifferent, true},
		{"filler words", "Verdict: the model's answer is EQUIVALENT to the reference.", JudgeEquivalent, true},
		{"not equivalent", "Verdict: NOT EQUIVALENT", JudgeDifferent, true},
		{"filler then not equivalent", "Verdict: the answers are not equivalent", JudgeDifferent, true},
		{"non-equivalent", "Verdict: non-equivalent", JudgeDifferent, true},
		{"inequivalent", "Verdict: INEQUIVALENT", JudgeDifferent, true},
		{"not different is no clear ruling", "Verdict: not different", JudgeAmbiguous, true},
		{"bare last line", "Both give 12.\n\n**EQUIVALENT**", JudgeEquivalent, true},
		{"bare last line, negated", "They differ.\nNOT EQUIVALENT.", JudgeDifferent, true},
		{"bare last line after an earlier verdict", "Verdict: DIFFERENT\nWait, 0.5 = 1/2.\nEQUIVALENT", JudgeEquivalent, true},
		{"a bare word earlier is not a verdict", "EQUIVALENT\nhmm, let me check again", JudgeAmbiguous, false},
		{"a sentence ending in the word is not bare", "I believe they are equivalent", JudgeAmbiguous, false},
		// two verdicts
		{"two verdicts, the later wins", "Verdict: EQUIVALENT\n\nActually the signs differ. Verdict: DIFFERENT", JudgeDifferent, true},
		{"the same verdict twice", "Verdict: EQUIVALENT\nVerdict: EQUIVALENT", JudgeEquivalent, true},
		{"a hedge rules nothing", "Verdict: EQUIVALENT or DIFFERENT", JudgeAmbiguous, false},
		{"a slash hedge", "Verdict: EQUIVALENT/DIFFERENT", JudgeAmbiguous, false},
		{"a hedge after a verdict", "Verdict: DIFFERENT\nVerdict: EQUIVALENT or Verdict: AMBIGUOUS", JudgeAmbiguous, false},
		{"a verdict after a hedge", "Verdict: EQUIVALENT or DIFFERENT?\nLooking again: Verdict: DIFFERENT", JudgeDifferent, true},
		{"'and' with other words is no hedge", "Verdict: EQUIVALENT and the forms differ only in notation", JudgeEquivalent, true},
		{"echoed options are no verdict", "I must answer in one of these formats:\n- \"Verdict: EQUIVALENT\"\n- \"Verdict: DIFFERENT\"\n- \"Verdict: AMBIGUOUS\"", JudgeAmbiguous, false},
		{"echoed options then a verdict", "- \"Verdict: EQUIVALENT\"\n- \"Verdict: DIFFERENT\"\n- \"Verdict: AMBIGUOUS\"\n\nBoth are 7.\nVerdict: EQUIVALENT", JudgeEquivalent, true},
		{"a verdict then echoed options", "Both are 7. Verdict: EQUIVALENT\n(formats: \"Verdict: EQUIVALENT\", \"Verdict: DIFFERENT\", \"Verdict: AMBIGUOUS\")", JudgeEquivalent, true},
		// no verdict
		{"a label without a verdict", "Verdict: see above", JudgeAmbiguous, false},
		{"a label at the end", "The answers agree. Verdict:", JudgeAmbiguous, false},
		{"other words between", "Verdict: CORRECT, the answers are equivalent", JudgeAmbiguous, false},
		{"the word verdicts", "No verdicts: EQUIVALENT", JudgeAmbiguous, false},
		{"no separator", "Verdict EQUIVALENT", JudgeAmbiguous, false},
		{"a filler run too long", "Verdict: the answer of the model and the answer of the reference are equivalent", JudgeAmbiguous, false},
		{"a judge cut off mid-word", "Verdict: DIFF", JudgeAmbiguous, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, found := ParseVerdict(tt.reply)
			if got != tt.want || found != tt.found {
				t.Errorf("ParseVerdict(%q) = %s, %v; want %s, %v", tt.reply, got, found, tt.want, tt.found)
			}
		})
	}
}
