package verify

// Cases found outside the red-team rounds: by the README audit (bare
// words) and by the lead (generations cut off while thinking).

import "testing"

// bareWordCases: words written outside \text{} are words, not products of
// letters (a README audit found "No solution" parsed as N*o*s*o*l*u*t*i*o*n
// and "minimum 3" as m*i*n*i*m*u*m*3, both `different`, so never judged).
var bareWordCases = []hardCase{
	{`No solution`, `Hence \boxed{\varnothing}`, []Verdict{Equal}},
	{`\emptyset`, `so the final answer is \boxed{no solution}`, []Verdict{Equal}},
	{`3`, `\boxed{minimum 3}`, []Verdict{Equal}},
	{`minimum 3`, `\boxed{maximum 3}`, []Verdict{Unsure}},
	{`minimum 3`, `\boxed{\text{minimum } 3}`, []Verdict{Equal}},
	{`No solution`, `\boxed{2}`, notEqual},
	// letters that are math stay math
	{`ab`, `\boxed{ba}`, []Verdict{Equal}},
	{`x y`, `\boxed{xy}`, []Verdict{Equal}},
	{`abc`, `\boxed{abd}`, notEqual},
	{`\sin x`, `\boxed{sin x}`, []Verdict{Equal}},
	{`5 cm`, `\boxed{5}`, []Verdict{Equal}},
}

func TestBareWords(t *testing.T) { checkHardCases(t, bareWordCases) }

func TestBareWordsAsText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"No solution", `\text{No solution}`},
		{"minimum 3", `\text{minimum } 3`},
		{"x y", "x y"},
		{"ab", "ab"},
		{"sin x", "sin x"},
		{"5 cm", "5 cm"},
		{"A and B", "A and B"},
		{`\text{No solution}`, `\text{No solution}`},
	} {
		if got := bareWordsAsText(tc.in); got != tc.want {
			t.Errorf("bareWordsAsText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// cutThinkingCases: a generation cut off inside its think block has no
// final answer unless it boxed or stated one; the last number of its
// musing is not an answer.
var cutThinkingCases = []hardCase{
	{`5`, "<think>\nlet me try n = 4, that gives 12, maybe 5", []Verdict{Different}},
	{`5`, `<think>I think it is \boxed{5}`, []Verdict{Equal}},
	{`5`, `<think>so the answer is 5`, []Verdict{Equal}},
	{`5`, `<think>hmm</think>The answer is \boxed{5}.`, []Verdict{Equal}},
}

func TestCutWhileThinking(t *testing.T) { checkHardCases(t, cutThinkingCases) }

// rejectedCases: an unboxed answer whose last formula or number is what the
// prose after it rejects has no answer (it was a false equal).
var rejectedCases = []hardCase{
	{`3`, `$x = 3$ is not a solution since it makes the denominator zero. Hence there is no solution.`, notEqual},
	{`3`, `x = 3 is not a solution, so there is no solution.`, notEqual},
	{`3`, `So we get $x = 3$.`, []Verdict{Equal}},
	{`3`, `So we get x = 3, which is the only solution.`, []Verdict{Equal}},
}

func TestRejectedAnswers(t *testing.T) { checkHardCases(t, rejectedCases) }
