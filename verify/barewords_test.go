package verify

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
