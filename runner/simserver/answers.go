package simserver

import (
	"fmt"
	"hash/fnv"
	"math"
	"math/big"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Kind is how a simulated answer relates to the gold answer.
type Kind int

const (
	KindRight     Kind = iota // the gold answer, verbatim, in \boxed{}
	KindWrong                 // a different value of the same shape, boxed
	KindRewritten             // the gold answer written differently but equivalently, boxed
	KindUnboxed               // the gold answer, not boxed
)

func (k Kind) String() string {
	switch k {
	case KindRight:
		return "right"
	case KindWrong:
		return "wrong"
	case KindRewritten:
		return "rewritten"
	case KindUnboxed:
		return "unboxed"
	}
	return "unknown"
}

// charsPerToken is the simulator's tokenizer: one token per four bytes of
// text, roughly what BPE tokenizers give for English and LaTeX.
const charsPerToken = 4

// countTokens is the simulated token count of s.
func countTokens(s string) int { return (len(s) + charsPerToken - 1) / charsPerToken }

// eosTokenID is reported as matched_stop when a completion ends by itself.
const eosTokenID = 1

// newRand returns a generator determined by the seed and the parts.
func newRand(seed int64, parts ...string) *rand.Rand {
	h := fnv.New64a()
	for _, p := range parts {
		h.Write([]byte(p))
		h.Write([]byte{0})
	}
	return rand.New(rand.NewPCG(uint64(seed), h.Sum64()))
}

// shares are the normalised answer-kind probabilities.
type shares [4]float64

func newShares(c Config) shares {
	s := shares{c.ShareRight, c.ShareWrong, c.ShareRewritten, c.ShareUnboxed}
	sum := 0.0
	for i := range s {
		if s[i] < 0 {
			s[i] = 0
		}
		sum += s[i]
	}
	if sum <= 0 {
		return shares{1, 0, 0, 0}
	}
	for i := range s {
		s[i] /= sum
	}
	return s
}

func (s shares) draw(r *rand.Rand) Kind {
	u := r.Float64()
	acc := 0.0
	for i, p := range s {
		acc += p
		if u < acc {
			return Kind(i)
		}
	}
	return KindRight
}

// completion is one simulated generation.
type completion struct {
	Text             string
	FinishReason     string // "stop" or "length"
	CompletionTokens int
	Kind             Kind
	Answer           string // what the solution states as its answer
}

// drawLength draws a completion length in tokens from a log-normal with the
// configured mean.
func drawLength(r *rand.Rand, mean int, sigma float64) int {
	mu := math.Log(float64(mean)) - sigma*sigma/2
	l := math.Exp(mu + sigma*r.NormFloat64())
	if l > 1e7 {
		l = 1e7
	}
	return int(l)
}

// writeCompletion writes a fake reasoning trace for problem text with the
// given answer kind, about length tokens long, cut at maxTokens.
func writeCompletion(r *rand.Rand, problem, gold string, kind Kind, length, maxTokens int) completion {
	answer := gold
	switch kind {
	case KindWrong:
		answer = perturb(gold, r)
	case KindRewritten:
		answer = rewrite(gold, r)
	}
	var tail strings.Builder
	tail.WriteString("\n</think>\n\n")
	tail.WriteString(solutionLead[r.IntN(len(solutionLead))])
	tail.WriteString("\n\n")
	if kind == KindUnboxed {
		fmt.Fprintf(&tail, "Therefore, the final answer is %s.", answer)
	} else {
		fmt.Fprintf(&tail, "Therefore, the final answer is\n\n\\boxed{%s}", answer)
	}
	head := "<think>\n" + openers[r.IntN(len(openers))] + " "
	minTokens := countTokens(head) + countTokens(tail.String()) + 8
	if length < minTokens {
		length = minTokens
	}
	truncated := length > maxTokens
	if truncated {
		// Only the first maxTokens tokens are kept, so write just past them:
		// the cut then falls inside the reasoning, before any box.
		length = maxTokens + countTokens(tail.String()) + 2
	}
	var b strings.Builder
	b.Grow(length*charsPerToken + 64)
	b.WriteString(head)
	nums := numbersIn(problem)
	target := length*charsPerToken - len(tail.String())
	for b.Len() < target {
		b.WriteString(fillerSentence(r, nums))
		b.WriteByte(' ')
		if r.IntN(6) == 0 {
			b.WriteString("\n\n")
		}
	}
	text := b.String()
	if len(text) > target && target > len(head) {
		text = cutRunes(text, target)
	}
	text += tail.String()
	c := completion{Text: text, FinishReason: "stop", CompletionTokens: countTokens(text), Kind: kind, Answer: answer}
	if truncated || c.CompletionTokens > maxTokens {
		c.Text = cutRunes(text, maxTokens*charsPerToken)
		c.FinishReason = "length"
		c.CompletionTokens = maxTokens
		c.Answer = ""
	}
	return c
}

// cutRunes cuts s to at most n bytes, at a rune boundary.
func cutRunes(s string, n int) string {
	if n >= len(s) {
		return s
	}
	if n < 0 {
		n = 0
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

var openers = []string{
	"Okay, so I need to solve this problem. Let me read it again carefully.",
	"Alright, let's see. I have to figure out what the question is asking first.",
	"Hmm, let me think about how to approach this.",
	"Okay, let me start by understanding the problem statement.",
}

var solutionLead = []string{
	"**Solution.** Following the reasoning above step by step and checking each case:",
	"To solve the problem, we set up the relations above and simplify.",
	"We summarise the argument: the conditions reduce to a short computation.",
}

var fillerTemplates = []string{
	"Let me consider the case where the value is %s.",
	"If I substitute %s, then the expression simplifies a bit.",
	"Wait, that doesn't look right. Let me check the step with %s again.",
	"So the key quantity here seems to be %s, and everything else follows from it.",
	"Maybe I should try a smaller example first, say with %s.",
	"Hmm, so multiplying both sides by %s gives a cleaner equation.",
	"Let me verify this: plugging in %s, both sides agree.",
	"Alternatively, I could think of it geometrically, but the algebra with %s is simpler.",
	"Hold on, I think I made an arithmetic slip near %s. Let me redo it.",
	"So far so good. The next step is to deal with %s.",
}

// fillerSentence is one sentence of fake reasoning. It never contains a
// box, so a truncated trace has no final answer.
func fillerSentence(r *rand.Rand, nums []string) string {
	v := strconv.Itoa(r.IntN(20) + 1)
	if len(nums) > 0 && r.IntN(2) == 0 {
		v = nums[r.IntN(len(nums))]
	}
	return fmt.Sprintf(fillerTemplates[r.IntN(len(fillerTemplates))], v)
}

var numberRE = regexp.MustCompile(`\d+(?:\.\d+)?`)

func numbersIn(s string) []string {
	all := numberRE.FindAllString(s, 32)
	return all
}

// perturb returns an answer of the same shape as gold but a different
// value: a number changed, another choice letter, or a term added.
func perturb(gold string, r *rand.Rand) string {
	g := strings.TrimSpace(gold)
	if len(g) == 1 && g[0] >= 'A' && g[0] <= 'E' {
		return string(rune('A' + (int(g[0]-'A')+1+r.IntN(4))%5))
	}
	if locs := numberRE.FindAllStringIndex(g, -1); len(locs) > 0 {
		loc := locs[r.IntN(len(locs))]
		num := g[loc[0]:loc[1]]
		var repl string
		if strings.Contains(num, ".") {
			f, _ := strconv.ParseFloat(num, 64)
			dec := len(num) - strings.IndexByte(num, '.') - 1
			repl = strconv.FormatFloat(f+float64(1+r.IntN(9)), 'f', dec, 64)
		} else {
			n, err := strconv.ParseInt(num, 10, 64)
			if err != nil {
				repl = num + "1"
			} else {
				repl = strconv.FormatInt(n+int64(1+r.IntN(9)), 10)
			}
		}
		return g[:loc[0]] + repl + g[loc[1]:]
	}
	swaps := [][2]string{{"yes", "no"}, {"Yes", "No"}, {"true", "false"}, {"True", "False"}, {"\\infty", "0"}}
	for _, s := range swaps {
		if strings.Contains(g, s[0]) {
			return strings.Replace(g, s[0], s[1], 1)
		}
		if strings.Contains(g, s[1]) {
			return strings.Replace(g, s[1], s[0], 1)
		}
	}
	if g == "" {
		return "1"
	}
	return g + "+1"
}

var (
	intRE     = regexp.MustCompile(`^-?\d+$`)
	decimalRE = regexp.MustCompile(`^-?\d+\.\d+$`)
	fracRE    = regexp.MustCompile(`^(-?)\\[dt]?frac\{(\d+)\}\{(\d+)\}$`)
	slashRE   = regexp.MustCompile(`^(-?)(\d+)/(\d+)$`)
	// thousandsRE matches 1,000-style numbers, whose commas must stay put.
	thousandsRE = regexp.MustCompile(`\d,\d{3}`)
)

// rewrite returns gold written differently but equivalently: a decimal for
// a terminating fraction and back, \dfrac for \frac, "x = 3" for 3,
// different spacing, \text{A} for A. It never changes the value.
func rewrite(gold string, r *rand.Rand) string {
	g := strings.TrimSpace(gold)
	var cands []string
	add := func(s string) {
		if s != "" && s != g {
			cands = append(cands, s)
		}
	}
	switch {
	case intRE.MatchString(g):
		add("x = " + g)
		add(g + ".0")
	case decimalRE.MatchString(g):
		if q, ok := new(big.Rat).SetString(g); ok {
			if q.IsInt() {
				add(q.Num().String())
			} else {
				sign := ""
				if q.Sign() < 0 {
					sign = "-"
				}
				a := new(big.Int).Abs(q.Num())
				add(fmt.Sprintf("%s\\frac{%s}{%s}", sign, a, q.Denom()))
			}
		}
		add(g + "0")
	case len(g) == 1 && g[0] >= 'A' && g[0] <= 'E':
		add("\\text{" + g + "}")
		add("(" + g + ")")
	}
	if m := fracRE.FindStringSubmatch(g); m != nil {
		add(fmt.Sprintf("%s%s/%s", m[1], m[2], m[3]))
		if d := terminatingDecimal(m[1], m[2], m[3]); d != "" {
			add(d)
		}
	}
	if m := slashRE.FindStringSubmatch(g); m != nil {
		add(fmt.Sprintf("%s\\frac{%s}{%s}", m[1], m[2], m[3]))
		if d := terminatingDecimal(m[1], m[2], m[3]); d != "" {
			add(d)
		}
	}
	if strings.Contains(g, "\\dfrac") {
		add(strings.ReplaceAll(g, "\\dfrac", "\\frac"))
	} else if strings.Contains(g, "\\frac") {
		add(strings.ReplaceAll(g, "\\frac", "\\dfrac"))
	}
	if strings.Contains(g, ", ") {
		add(strings.ReplaceAll(g, ", ", ","))
	} else if strings.Contains(g, ",") && !thousandsRE.MatchString(g) {
		add(strings.ReplaceAll(g, ",", ", "))
	}
	if s := respace(g); s != g {
		add(s)
	}
	if len(cands) == 0 {
		return "{" + g + "}" // \boxed{{x}} is x
	}
	return cands[r.IntN(len(cands))]
}

// terminatingDecimal writes sign num/den as a decimal when it terminates.
func terminatingDecimal(sign, num, den string) string {
	q, ok := new(big.Rat).SetString(num + "/" + den)
	if !ok {
		return ""
	}
	d := new(big.Int).Set(q.Denom())
	for _, p := range []int64{2, 5} {
		bp := big.NewInt(p)
		for new(big.Int).Mod(d, bp).Sign() == 0 {
			d.Div(d, bp)
		}
	}
	if d.Cmp(big.NewInt(1)) != 0 {
		return ""
	}
	s := q.FloatString(12)
	s = strings.TrimRight(s, "0")
	s = strings.TrimSuffix(s, ".")
	if sign == "-" && s != "0" {
		s = "-" + s
	}
	return s
}

// respace puts spaces around binary + and = where there are none, or takes
// out spaces that do not separate two letters (so "\\sin x" and "\\text{no
// solution}" keep theirs); no reader of LaTeX takes the result as a
// different answer.
func respace(g string) string {
	if strings.Contains(g, " ") {
		var b strings.Builder
		for i := 0; i < len(g); i++ {
			if g[i] == ' ' && i > 0 && i+1 < len(g) && isLetter(g[i-1]) && isLetter(g[i+1]) {
				b.WriteByte(' ')
				continue
			}
			if g[i] == ' ' {
				continue
			}
			b.WriteByte(g[i])
		}
		return b.String()
	}
	var b strings.Builder
	for i, c := range g {
		if (c == '+' || c == '=') && i > 0 {
			b.WriteString(" " + string(c) + " ")
			continue
		}
		b.WriteRune(c)
	}
	return b.String()
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
