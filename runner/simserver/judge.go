package simserver

import (
	"fmt"
	"math/big"
	"regexp"
	"sort"
	"strings"
)

// judgeMarker marks a judge prompt (OpenR1's Llama-3.3 answer-validator
// prompt asks for one of three verdict lines).
const judgeMarker = "Verdict: EQUIVALENT"

// Verdicts the judge mode answers with.
const (
	VerdictEquivalent = "EQUIVALENT"
	VerdictDifferent  = "DIFFERENT"
	VerdictAmbiguous  = "AMBIGUOUS"
)

func isJudgePrompt(prompt string) bool { return strings.Contains(prompt, judgeMarker) }

// judge answers a judge prompt: it compares the reference answer with the
// model's final answer by normalised strings, exact rationals and
// unordered lists, and says AMBIGUOUS when those cannot decide. understood
// is false when the prompt lacks the reference or the model's solution
// (the verdict is then AMBIGUOUS, as a real judge might say, and the
// server counts it in Stats.JudgeUnparsed so that a test can tell).
func judge(prompt string) (rationale, verdict string, understood bool) {
	ref, model, ok := judgeSections(prompt)
	if !ok {
		return "I could not find both the reference solution and the model's solution in the request.", VerdictAmbiguous, false
	}
	refAns := finalAnswer(ref)
	if refAns == "" {
		refAns = strings.TrimSpace(ref)
	}
	modelAns := finalAnswer(model)
	if modelAns == "" {
		return fmt.Sprintf("The reference answer is %s, but the model's solution never states a final answer.", refAns), VerdictDifferent, true
	}
	v := compareAnswers(refAns, modelAns)
	switch v {
	case VerdictEquivalent:
		return fmt.Sprintf("The reference answer is %s and the model's final answer is %s. They denote the same value once formatting is set aside.", refAns, modelAns), v, true
	case VerdictDifferent:
		return fmt.Sprintf("The reference answer is %s and the model's final answer is %s. These are different values.", refAns, modelAns), v, true
	}
	return fmt.Sprintf("The reference answer is %s and the model's final answer is %s. I cannot tell with confidence whether they are the same.", refAns, modelAns), v, true
}

var (
	refHeadRE   = regexp.MustCompile(`(?i)REFERENCE (?:SOLUTION|ANSWER)\s*:`)
	modelHeadRE = regexp.MustCompile(`(?i)MODEL'?S? (?:SOLUTION|ANSWER)\s*:`)
	instrRE     = regexp.MustCompile(`(?i)\n\s*Focus ONLY on`)
	answerIsRE  = regexp.MustCompile(`(?i)answer is:?\s*\$?([^\n$]+?)\$?\s*\.?\s*$`)
)

// judgeSections returns the reference and the model's solution from a
// judge prompt.
func judgeSections(prompt string) (ref, model string, ok bool) {
	r := refHeadRE.FindStringIndex(prompt)
	m := modelHeadRE.FindStringIndex(prompt)
	if r == nil || m == nil || m[0] < r[1] {
		return "", "", false
	}
	ref = prompt[r[1]:m[0]]
	model = prompt[m[1]:]
	if e := instrRE.FindStringIndex(model); e != nil {
		model = model[:e[0]]
	}
	return ref, model, true
}

// finalAnswer is the content of the last \boxed{} in s, or else what its
// last "the answer is ..." sentence states; "" when neither is there.
func finalAnswer(s string) string {
	if b, ok := lastBoxed(s); ok {
		return strings.TrimSpace(b)
	}
	lines := strings.Split(strings.TrimSpace(s), "\n")
	for i := len(lines) - 1; i >= 0 && i >= len(lines)-3; i-- {
		if m := answerIsRE.FindStringSubmatch(lines[i]); m != nil {
			return strings.TrimSpace(m[1])
		}
	}
	return ""
}

// lastBoxed returns the content of the last \boxed{...} (or \fbox{...}),
// with nested braces balanced.
func lastBoxed(s string) (string, bool) {
	i := strings.LastIndex(s, "\\boxed")
	if j := strings.LastIndex(s, "\\fbox"); j > i {
		i = j
	}
	if i < 0 {
		return "", false
	}
	rest := s[i:]
	open := strings.IndexByte(rest, '{')
	if open < 0 {
		return "", false
	}
	depth := 0
	for k := open; k < len(rest); k++ {
		switch rest[k] {
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return rest[open+1 : k], true
			}
		}
	}
	return "", false
}

var (
	textRE     = regexp.MustCompile(`\\(?:text|textbf|mathrm|mbox)\{([^{}]*)\}`)
	assignRE   = regexp.MustCompile(`^[A-Za-z](?:_\{?\w+\}?)?=`)
	digitRunRE = regexp.MustCompile(`\d+`)
)

// normalizeAnswer strips formatting that does not change an answer.
func normalizeAnswer(s string) string {
	s = strings.TrimSpace(s)
	s = strings.Trim(s, "$")
	s = textRE.ReplaceAllString(s, "$1")
	for _, r := range []struct{ from, to string }{
		{"\\dfrac", "\\frac"}, {"\\tfrac", "\\frac"}, {"\\left", ""}, {"\\right", ""},
		{"\\!", ""}, {"\\,", ""}, {"\\;", ""}, {"\\:", ""}, {"\\ ", ""}, {"~", ""},
		{"\\displaystyle", ""}, {"{,}", ","},
	} {
		s = strings.ReplaceAll(s, r.from, r.to)
	}
	s = strings.Join(strings.Fields(s), "")
	s = strings.TrimSuffix(s, ".")
	for len(s) >= 2 && s[0] == '{' && s[len(s)-1] == '}' && balanced(s[1:len(s)-1]) {
		s = s[1 : len(s)-1]
	}
	if len(s) == 3 && s[0] == '(' && s[2] == ')' && s[1] >= 'A' && s[1] <= 'E' {
		s = s[1:2]
	}
	return s
}

func balanced(s string) bool {
	d := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '{':
			d++
		case '}':
			d--
			if d < 0 {
				return false
			}
		}
	}
	return d == 0
}

var fracNormRE = regexp.MustCompile(`^(-?)\\frac\{(-?\d+(?:\.\d+)?)\}\{(-?\d+(?:\.\d+)?)\}$`)

// parseRational reads integers, decimals, a/b, \frac{a}{b} and percentages
// (normalised) as exact rationals.
func parseRational(s string) (*big.Rat, bool) {
	if s == "" {
		return nil, false
	}
	if m := fracNormRE.FindStringSubmatch(s); m != nil {
		a, ok1 := new(big.Rat).SetString(m[2])
		b, ok2 := new(big.Rat).SetString(m[3])
		if !ok1 || !ok2 || b.Sign() == 0 {
			return nil, false
		}
		q := new(big.Rat).Quo(a, b)
		if m[1] == "-" {
			q.Neg(q)
		}
		return q, true
	}
	pct := false
	if strings.HasSuffix(s, "\\%") {
		s, pct = strings.TrimSuffix(s, "\\%"), true
	} else if strings.HasSuffix(s, "%") {
		s, pct = strings.TrimSuffix(s, "%"), true
	}
	for _, c := range s {
		if !(c >= '0' && c <= '9' || c == '.' || c == '-' || c == '/' || c == '+') {
			return nil, false
		}
	}
	q, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, false
	}
	if pct {
		q.Quo(q, big.NewRat(100, 1))
	}
	return q, true
}

// compareAnswers decides whether two final answers are the same.
func compareAnswers(ref, model string) string {
	a, b := normalizeAnswer(ref), normalizeAnswer(model)
	if a == b {
		return VerdictEquivalent
	}
	// "x = 3" for 3
	if !strings.Contains(a, "=") {
		if loc := assignRE.FindStringIndex(b); loc != nil {
			b = b[loc[1]:]
		}
	}
	if a == b {
		return VerdictEquivalent
	}
	qa, oka := parseRational(a)
	qb, okb := parseRational(b)
	if oka && okb {
		if qa.Cmp(qb) == 0 {
			return VerdictEquivalent
		}
		return VerdictDifferent
	}
	if la, lb := splitList(a), splitList(b); len(la) > 1 || len(lb) > 1 {
		if len(la) != len(lb) {
			return VerdictDifferent
		}
		sort.Strings(la)
		sort.Strings(lb)
		all := true
		for i := range la {
			if compareAnswers(la[i], lb[i]) != VerdictEquivalent {
				all = false
				break
			}
		}
		if all {
			return VerdictEquivalent
		}
	}
	// Same shape, different numbers: a wrong value.
	if digitRunRE.ReplaceAllString(a, "#") == digitRunRE.ReplaceAllString(b, "#") {
		return VerdictDifferent
	}
	// Two plain words (choice letters, yes/no): compared as words.
	if isWord(a) && isWord(b) {
		if strings.EqualFold(a, b) {
			return VerdictEquivalent
		}
		return VerdictDifferent
	}
	return VerdictAmbiguous
}

// splitList splits a tuple, set or list at its top-level commas, dropping
// the enclosing brackets of a set or tuple.
func splitList(s string) []string {
	if len(s) >= 2 {
		switch {
		case s[0] == '(' && s[len(s)-1] == ')', s[0] == '[' && s[len(s)-1] == ']':
			// Intervals and tuples: order matters, keep brackets.
			return []string{s}
		case strings.HasPrefix(s, "\\{") && strings.HasSuffix(s, "\\}"):
			s = s[2 : len(s)-2]
		}
	}
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

func isWord(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !isLetter(s[i]) {
			return false
		}
	}
	return true
}
