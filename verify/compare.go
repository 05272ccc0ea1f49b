package verify

import (
	"context"
	"math"
	"math/big"
	"math/cmplx"
	"sort"
	"strconv"
	"strings"
)

// cmp is the outcome of comparing two parsed values.
type cmp int

const (
	cEqual cmp = iota
	cDiff
	cUnsure
)

// Tolerances of the numeric comparison (relative difference |a-b|/max(|a|,|b|)).
// Values are evaluated in complex128 after exact rational arithmetic has
// been used wherever it applies (integers, fractions, decimals, integer powers,
// perfect roots). Two values closer than relEqual are equal; between
// relEqual and relUnsure the checker does not decide.
const (
	relEqual  = 1e-12
	relUnsure = 1e-8
)

// samplePoints is how many random points expressions with variables are
// evaluated at: positivePoints with every variable in (0.5, 2.5), the rest
// with variables in (-2.5, -0.5). A difference at a positive point makes
// the answers different; a difference only at negative points leaves the
// checker unsure (the identity may hold on the problem's domain).
const (
	samplePoints   = 6
	positivePoints = 4
)

type comparer struct {
	ctx    context.Context
	lim    Limits
	reason string
	// rename allows renaming variables that only one side uses (arbitrary
	// constants of a function answer: f(x) = cx + d against ax + b).
	rename bool
	// gArgs and pArgs are the argument variables of the functions each
	// side defines (x in f(x) = ...): they are renamed only to each other.
	gArgs, pArgs map[string]bool
	total        *int // evaluation steps left for this pair
	lossy        bool // an evaluation used floats that do not represent their values
}

func (c *comparer) fail(reason string) cmp {
	if c.reason == "" {
		c.reason = reason
	}
	return cUnsure
}

// nameLike reports whether n reads as a name on the left of "name = value":
// x, x_1, f(x), |AB|, AB, A:B, (p,q), \frac{NO}{BO}.
func nameLike(n *node) bool {
	switch n.k {
	case kVar, kApply:
		return true
	case kConst:
		return n.name != "pi"
	case kMul, kDiv, kRatio, kTuple:
		for _, a := range n.args {
			if !nameLike(a) {
				return false
			}
		}
		return len(n.args) > 0
	case kFunc:
		// |AB|, \min f(x), \max S
		if trigOfAngle(n) {
			return true // \sin A, \cos\alpha: the value asked for in a triangle
		}
		return (n.name == "abs" || (n.name == "min" || n.name == "max") && len(n.args) == 1) && nameLike(n.args[0])
	}
	return false
}

// angleNames are the Greek letters used to name angles.
var angleNames = map[string]bool{"alpha": true, "beta": true, "gamma": true, "theta": true, "phi": true, "varphi": true}

// trigOfAngle reports a trigonometric function of one angle's name: a
// capital letter (\sin A) or a Greek letter (\tan\alpha), not of x.
func trigOfAngle(n *node) bool {
	switch n.name {
	case "sin", "cos", "tan", "cot", "sec", "csc":
	default:
		return false
	}
	if len(n.args) != 1 || n.args[0].k != kVar {
		return false
	}
	v := n.args[0].name
	return len(v) == 1 && v[0] >= 'A' && v[0] <= 'Z' || angleNames[v]
}

// norm rewrites a parsed answer into the shape compared: "x = 3" becomes 3,
// "x \in S" becomes S, chains a = b = c become c, ± expands into a list.
func norm(n *node) *node {
	switch n.k {
	case kIn:
		if !nameLike(n.args[0]) {
			return n // -x \in S is not x \in S
		}
		return norm(n.args[1])
	case kRel:
		allEq := true
		for _, op := range n.ops {
			if op != "=" && op != "approx" {
				allEq = false
			}
		}
		if allEq {
			if len(n.args) == 2 && !nameLike(n.args[0]) && nameLike(n.args[1]) && constant(n.args[0]) {
				return norm(n.args[0]) // 3 = x
			}
			if nameLike(n.args[0]) || len(n.args) >= 3 || constant(n.args[0]) && constant(n.args[1]) {
				// the last value after an '=' (drop "≈ 1.3" tails)
				v := n.args[len(n.args)-1]
				found := false
				for i := len(n.ops) - 1; i >= 0; i-- {
					if n.ops[i] == "=" {
						v, found = n.args[i+1], true
						break
					}
				}
				if !found && !nameLike(n.args[0]) {
					v = n.args[0] // \sqrt{3} \approx 1.732
				}
				return norm(v)
			}
		}
		return n
	case kPM:
		a, b := n.args[0], n.args[1]
		return norm(&node{k: kList, args: []*node{
			{k: kAdd, args: []*node{a, b}},
			{k: kAdd, args: []*node{a, {k: kNeg, args: []*node{b}}}},
		}})
	case kList:
		out := &node{k: kList, or: n.or}
		for _, a := range n.args {
			if len(n.args) > 1 && isNumberSetMembership(a) {
				continue // "f(x) = x + c, c \in \mathbb{R}": a condition, not an answer
			}
			m := norm(a)
			if m.k == kList {
				out.args = append(out.args, m.args...)
			} else {
				out.args = append(out.args, m)
			}
		}
		if len(out.args) == 1 {
			return out.args[0]
		}
		return out
	case kSet:
		out := &node{k: kSet}
		for _, a := range n.args {
			m := norm(a)
			if m.k == kList {
				out.args = append(out.args, m.args...)
			} else {
				out.args = append(out.args, m)
			}
		}
		return out
	case kTuple:
		out := &node{k: kTuple, amb: n.amb}
		for _, a := range n.args {
			out.args = append(out.args, normInner(a))
		}
		if hasPM(out) {
			// (0, \pm 2) is the two points (0, 2) and (0, -2)
			budget := 8
			if vs := expandPM(out, &budget); len(vs) > 1 {
				return &node{k: kList, args: vs}
			}
		}
		return out
	}
	if isScalar(n) && hasPM(n) {
		// ± inside an expression: \frac{-1 \pm \sqrt{5}}{2} is two values
		budget := 8
		vs := expandPM(n, &budget)
		if len(vs) > 1 {
			return &node{k: kList, args: vs}
		}
	}
	return n
}

func hasPM(n *node) bool {
	if n.k == kPM {
		return true
	}
	for _, a := range n.args {
		if hasPM(a) {
			return true
		}
	}
	return false
}

// expandPM returns the variants of n with each ± read as + and as −
// (at most *budget variants).
func expandPM(n *node, budget *int) []*node {
	if n.k == kPM {
		a, b := n.args[0], n.args[1]
		plus := &node{k: kAdd, args: []*node{a, b}}
		minus := &node{k: kAdd, args: []*node{a, {k: kNeg, args: []*node{b}}}}
		return append(expandPM(plus, budget), expandPM(minus, budget)...)
	}
	for i, a := range n.args {
		if !hasPM(a) {
			continue
		}
		if *budget <= 1 {
			return []*node{n}
		}
		*budget /= 2
		var out []*node
		for _, v := range expandPM(a, budget) {
			c := *n
			c.args = append([]*node(nil), n.args...)
			c.args[i] = v
			out = append(out, expandPM(&c, budget)...)
		}
		return out
	}
	return []*node{n}
}

// constant reports an expression without variables.
func constant(n *node) bool {
	if n.k == kVar || n.k == kApply || n.k == kText {
		return false
	}
	for _, a := range n.args {
		if !constant(a) {
			return false
		}
	}
	return true
}

// isEquation reports a single equation whose left side is not a name:
// 2x + 4y - 3 = 0.
func isEquation(n *node) bool {
	return n.k == kRel && len(n.ops) == 1 && n.ops[0] == "=" && !nameLike(n.args[0]) &&
		!(nameLike(n.args[1]) && constant(n.args[0]))
}

// isNumberSetMembership reports "c \in \mathbb{R}" and the like.
func isNumberSetMembership(n *node) bool {
	if n.k != kIn || n.args[0].k != kVar {
		return false
	}
	s := n.args[1]
	if s.k == kUnion && s.name == realsMinus {
		return true // \alpha \in \mathbb{R} \setminus \{0\}
	}
	if s.k == kApply && len(s.name) > 0 {
		s = &node{k: kVar, name: s.name}
	}
	if s.k != kVar {
		return false
	}
	name := strings.TrimPrefix(s.name, "mathbb ")
	name = strings.TrimSuffix(name, "_")
	if i := strings.IndexByte(name, '_'); i > 0 {
		name = name[:i]
	}
	switch name {
	case "R", "Z", "N", "Q", "C", "ℝ", "ℤ", "ℕ", "ℚ":
		return true
	}
	return false
}

// normInner normalises a tuple element: only "x = 3" inside tuples.
func normInner(n *node) *node {
	if n.k == kRel && len(n.ops) == 1 && n.ops[0] == "=" && nameLike(n.args[0]) {
		return n.args[1]
	}
	return n
}

func isScalar(n *node) bool {
	switch n.k {
	case kNum, kVar, kConst, kAdd, kMul, kDiv, kNeg, kPow, kFunc, kApply, kFact, kInf:
		return true
	}
	return false
}

// letterOf returns the multiple-choice letter a node spells, if any.
func letterOf(n *node) (string, bool) {
	switch n.k {
	case kText:
		t := strings.TrimSpace(n.name)
		t = strings.TrimPrefix(strings.TrimSuffix(t, ")"), "(")
		t = strings.TrimSpace(t)
		if len(t) == 1 && (t[0] >= 'A' && t[0] <= 'Z' || t[0] >= 'a' && t[0] <= 'z') {
			return t, true
		}
	case kVar, kConst:
		if len(n.name) == 1 {
			return n.name, true
		}
	case kTuple:
		if len(n.args) == 1 {
			return letterOf(n.args[0])
		}
	}
	return "", false
}

func textKey(s string) string {
	s = strings.ToLower(s)
	var b strings.Builder
	for _, r := range s {
		if r == ' ' || r == '.' || r == ',' || r == '{' || r == '}' || r == '\\' || r == '(' || r == ')' || r == '~' {
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// negates reports two text answers that are the same words but for a
// negation ("possible" against "not possible", "exists" against "does not
// exist", "increasing" against "non-increasing") or for one word that
// excludes the other ("odd function" against "even function").
func negates(a, b string) bool {
	words := func(s string) ([]string, int) {
		s = strings.ToLower(s)
		s = strings.NewReplacer("n't", " not", "cannot", "can not", "non-", "not ", `\text`, " ").Replace(s)
		var out []string
		negs := 0
		for _, w := range strings.FieldsFunc(s, func(r rune) bool { return r < 'a' || r > 'z' }) {
			switch w {
			case "not", "no", "never":
				negs++
				continue
			case "does", "do", "did":
				continue // "does not exist" against "exists"
			}
			if len(w) > 3 && strings.HasSuffix(w, "s") && !strings.HasSuffix(w, "ss") {
				w = w[:len(w)-1]
			}
			out = append(out, w)
		}
		return out, negs
	}
	wa, na := words(a)
	wb, nb := words(b)
	if len(wa) == 0 || len(wa) != len(wb) {
		return false
	}
	diff := -1
	for i := range wa {
		if wa[i] != wb[i] {
			if diff >= 0 {
				return false
			}
			diff = i
		}
	}
	if diff < 0 {
		return na%2 != nb%2
	}
	// "the third quadrant" against "the second quadrant": one word
	// swapped for another that excludes it
	ga, gb := exclusiveWord[wa[diff]], exclusiveWord[wb[diff]]
	return na == nb && ga != 0 && ga == gb
}

// exclusiveWord groups words that exclude each other in an answer.
var exclusiveWord = map[string]int{
	"first": 1, "second": 1, "third": 1, "fourth": 1, "fifth": 1, "sixth": 1,
	"odd": 2, "even": 2, "acute": 3, "obtuse": 3, "increasing": 4, "decreasing": 4,
	"maximum": 5, "minimum": 5, "positive": 6, "negative": 6, "inside": 7, "outside": 7,
	"win": 8, "lose": 8, "parallel": 9, "perpendicular": 9, "true": 10, "false": 10,
}

func (c *comparer) compare(g, p *node) cmp {
	if c.ctx.Err() != nil {
		return c.fail("deadline")
	}
	// multiple-choice letters and one-letter text answers
	if g.k == kText || p.k == kText {
		if lg, ok := letterOf(g); ok {
			if lp, ok := letterOf(p); ok {
				if strings.EqualFold(lg, lp) && (lg == lp || g.k == kText && p.k == kText) {
					return cEqual
				}
				if lg == lp {
					return cEqual
				}
				c.reason = "different choice"
				return cDiff
			}
		}
		if g.k == kText && p.k == kText {
			if textKey(g.name) == textKey(p.name) {
				return cEqual
			}
			if simpleToken(g.name) && simpleToken(p.name) {
				c.reason = "different word"
				return cDiff
			}
			if negates(g.name, p.name) {
				c.reason = "opposite text answers"
				return cDiff
			}
			return c.fail("text answers differ")
		}
		if g.k == kSet && len(g.args) == 0 && p.k == kText && saysNone(p.name) || p.k == kSet && len(p.args) == 0 && g.k == kText && saysNone(g.name) {
			return cEqual // the empty set against "no solution"
		}
		text, other := p, g
		if g.k == kText {
			text, other = g, p
		}
		if infSign(other) > 0 && infinityWords(text.name) {
			return cEqual // "infinity" against \infty
		}
		if other.k == kVar && other.name == "mathbb Z" && allIntegers(text.name) {
			return cEqual // "all integers" against \mathbb{Z}
		}
		if allReals(text.name) {
			if iv, ok := asIntervals(other); ok && len(iv) == 1 && infSign(iv[0].args[0]) < 0 && infSign(iv[0].args[1]) > 0 {
				return cEqual // "all real numbers" against (-oo, oo)
			}
		}
		if v, ok := wordNumber(text.name); ok && isScalar(other) {
			// "three" against 3
			if text == g {
				return c.scalar(intNode(v), other)
			}
			return c.scalar(other, intNode(v))
		}
		if v, ok := baseNumber(text.name); ok && isScalar(other) {
			// 1202_3 against 4: compare values; equal values in another base
			// are left to the judge (the problem asked for base 3)
			if c.scalarPlain(numNode(new(big.Rat).SetInt(v)), other) == cEqual {
				return c.fail("same value written in another base")
			}
			c.reason = "different values"
			return cDiff
		}
		if _, letter := letterOf(text); !letter && hasWord(text.name) && !numberWord(text.name) && !hasMatrix(other) && (text == p || !strings.ContainsAny(text.name, "0123456789$\\=()[]<>^_")) {
			// (a gold sentence with math in it may state the value: unsure)
			if describesFamily(text.name, other) {
				// "n is odd" against n = 2k + 1: the words may describe the formula
				return c.fail("a text answer describing a kind of number against a formula with a parameter")
			}
			// "There are no solutions." against a value
			c.reason = "text answer against a value"
			return cDiff
		}
		return c.fail("text against math")
	}
	if g.k != kMatrix && hasMatrix(g) || p.k != kMatrix && hasMatrix(p) {
		budget := 10000
		g2, ok1 := matrixReduce(g, &budget)
		p2, ok2 := matrixReduce(p, &budget)
		if !ok1 || !ok2 {
			return c.fail("unsupported matrix expression")
		}
		g, p = g2, p2
	}
	switch {
	case isScalar(g) && isScalar(p):
		return c.scalar(g, p)
	case isRelList(g) && intervalLike(p) || isRelList(p) && intervalLike(g):
		return c.intervals(g, p)
	case isRelList(g) && isInequality(p) || isRelList(p) && isInequality(g):
		// -1 < x < 3 against x > -1 and x < 3
		return c.intervals(g, p)
	case isList(g) && isList(p):
		return c.multiset(g.args, p.args)
	case g.k == kSet && len(g.args) == 1 && g.args[0].k == kTuple && p.k == kTuple:
		return c.compare(g.args[0], p) // \{(1,2)\} against (1,2): the one pair
	case p.k == kSet && len(p.args) == 1 && p.args[0].k == kTuple && g.k == kTuple:
		return c.compare(g, p.args[0])
	case isScalar(g) && c.sameAlternatives(g, p):
		return cEqual // \frac{1}{2} \text{ or } 50\%: one value written two ways
	case isList(g) && p.k == kTuple || g.k == kTuple && isList(p):
		return c.ordered(g.args, p.args)
	case g.k == kTuple && p.k == kTuple:
		return c.ordered(g.args, p.args)
	case g.k == kSet && len(g.args) == 1 && isScalar(p):
		return c.compare(g.args[0], p)
	case p.k == kSet && len(p.args) == 1 && isScalar(g):
		return c.compare(g, p.args[0])
	case g.k == kInterval || p.k == kInterval || g.k == kUnion || p.k == kUnion:
		return c.intervals(g, p)
	case g.k == kRel && p.k == kTuple && p.amb || p.k == kRel && g.k == kTuple && g.amb:
		return c.intervals(g, p)
	case isRealLine(g) || isRealLine(p):
		return c.intervals(g, p)
	case g.k == kMatrix || p.k == kMatrix:
		return c.matrix(g, p)
	case g.k == kRatio || p.k == kRatio:
		return c.ratio(g, p)
	case g.k == kRel && p.k == kRel:
		return c.relation(g, p)
	case g.k == kRel && isScalar(p) || p.k == kRel && isScalar(g):
		c.reason = "relation against a value"
		return cDiff
	}
	if isScalar(g) != isScalar(p) {
		c.reason = "different shapes"
		return cDiff
	}
	return c.fail("unsupported shapes")
}

var numberWords = map[string]bool{"zero": true, "one": true, "two": true, "three": true, "four": true, "five": true,
	"six": true, "seven": true, "eight": true, "nine": true, "ten": true, "eleven": true, "twelve": true, "none": true,
	"infinity": true, "infinite": true, "half": true, "third": true, "quarter": true}

// baseNumber reads "1202_3" or "4210_{7}" (digits in base 2..36).
func baseNumber(s string) (*big.Int, bool) {
	s = strings.NewReplacer("{", "", "}", "", " ", "").Replace(s)
	i := strings.IndexByte(s, '_')
	if i <= 0 || i == len(s)-1 {
		return nil, false
	}
	b, err := strconv.Atoi(s[i+1:])
	if err != nil || b < 2 || b > 36 {
		return nil, false
	}
	v, ok := new(big.Int).SetString(asciiLower(s[:i]), b)
	return v, ok
}

var wordNumbers = map[string]int64{"zero": 0, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
	"seven": 7, "eight": 8, "nine": 9, "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14,
	"fifteen": 15, "sixteen": 16, "seventeen": 17, "eighteen": 18, "nineteen": 19, "twenty": 20}

// wordNumber reads a text that is one number word ("three", "Twelve.").
func wordNumber(s string) (int64, bool) {
	v, ok := wordNumbers[strings.Trim(asciiLower(strings.TrimSpace(s)), ".")]
	return v, ok
}

// allReals reports "all real numbers" and the like.
func allReals(s string) bool {
	t := strings.Join(strings.Fields(asciiLower(s)), " ")
	t = strings.Trim(t, ". ")
	switch t {
	case "all real numbers", "all reals", "all real x", "every real number", "any real number", "all real values", "real numbers", "x is any real number":
		return true
	}
	return false
}

// allIntegers reports a text naming the set of all integers.
func allIntegers(s string) bool {
	switch strings.Trim(strings.Join(strings.Fields(asciiLower(s)), " "), ". ") {
	case "all integers", "integers", "the integers", "the set of integers", "all integer values", "every integer", "any integer":
		return true
	}
	return false
}

// saysNone reports a text saying there is no solution.
func saysNone(s string) bool {
	for _, w := range strings.FieldsFunc(asciiLower(s), func(r rune) bool { return !(r >= 'a' && r <= 'z') }) {
		switch w {
		case "no", "none", "empty", "nothing":
			return true
		}
	}
	return false
}

// familyWords name kinds of numbers that a formula with a parameter may
// describe (2k + 1 the odd numbers, k^2 the squares).
var familyWords = map[string]bool{
	"odd": true, "even": true, "prime": true, "primes": true, "composite": true, "square": true, "squares": true,
	"cube": true, "cubes": true, "multiple": true, "multiples": true, "divisible": true, "divisor": true, "divisors": true,
	"integer": true, "integers": true, "natural": true, "power": true, "powers": true, "factorial": true,
	"triangular": true, "perfect": true, "rational": true, "irrational": true, "real": true, "reals": true,
	"positive": true, "negative": true, "nonnegative": true, "arithmetic": true, "geometric": true, "progression": true,
	"residue": true, "remainder": true, "congruent": true,
}

// describesFamily reports a text answer that names a kind of number ("n
// is odd", "all perfect squares") against a value with a free parameter
// (2k + 1, k^2), which it may describe; a text that says there is none
// ("no such n") does not.
func describesFamily(text string, other *node) bool {
	if saysNone(text) {
		return false
	}
	family := false
	words := strings.ReplaceAll(asciiLower(text), "n't", " not")
	for _, w := range strings.FieldsFunc(words, func(r rune) bool { return !(r >= 'a' && r <= 'z') }) {
		switch {
		case w == "not" || w == "never" || w == "cannot" || w == "impossible":
			return false // "n is not odd", "cannot be prime"
		case familyWords[w]:
			family = true
		}
	}
	if !family {
		return false
	}
	vars := map[string]bool{}
	collectVars(other, vars)
	return len(vars) > 0
}

// hasWord reports a word of two or more letters.
func hasWord(s string) bool {
	for _, w := range strings.FieldsFunc(s, func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') }) {
		if len(w) >= 2 {
			return true
		}
	}
	return false
}

// numberWord reports a text that contains a number word, which the
// checker does not read.
func numberWord(s string) bool {
	for _, w := range strings.FieldsFunc(asciiLower(s), func(r rune) bool { return !(r >= 'a' && r <= 'z') }) {
		if numberWords[w] {
			return true
		}
	}
	return false
}

// simpleToken reports a one-word text: letters, digits and '_' only.
func simpleToken(s string) bool {
	s = strings.TrimSpace(s)
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !(isLetter(s[i]) || isDigit(s[i]) || s[i] == '_') {
			return false
		}
	}
	return true
}

// hasNonScalar reports a set, tuple, interval or matrix inside n.
func hasNonScalar(n *node) bool {
	if !isScalar(n) {
		return true
	}
	for _, a := range n.args {
		if hasNonScalar(a) {
			return true
		}
	}
	return false
}

// isRealLine reports \mathbb{R}, the whole real line.
func isRealLine(n *node) bool { return n.k == kVar && n.name == "mathbb R" }

// isRelList reports a list of relations ("x > 1 and x < 3").
func isRelList(n *node) bool {
	if n.k != kList {
		return false
	}
	for _, a := range n.args {
		if a.k != kRel {
			return false
		}
	}
	return true
}

// intervalLike reports an interval, a union or an open pair.
// isInequality reports a relation made only of inequalities.
func isInequality(n *node) bool {
	if n.k != kRel {
		return false
	}
	for _, op := range n.ops {
		switch op {
		case "<", "<=", ">", ">=", "!=":
		default:
			return false
		}
	}
	return true
}

func intervalLike(n *node) bool {
	return n.k == kInterval || n.k == kUnion || n.k == kTuple && n.amb
}

// infinityWords reports "infinity", "infinite", "infinitely many" (and
// "infinitely many solutions"), which a count of +\infty may be written as.
func infinityWords(s string) bool {
	t := strings.ToLower(strings.Trim(s, ". "))
	return t == "infinity" || t == "infinite" || t == "infinitely many" || strings.HasPrefix(t, "infinitely many ")
}

func isList(n *node) bool { return n.k == kList || n.k == kSet }

func (c *comparer) ordered(a, b []*node) cmp {
	if len(a) != len(b) {
		c.reason = "different lengths"
		return cDiff
	}
	res := cEqual
	for i := range a {
		switch c.compare(a[i], b[i]) {
		case cDiff:
			return cDiff
		case cUnsure:
			res = cUnsure
		}
	}
	return res
}

// multiset matches the elements of a and b in any order.
func (c *comparer) multiset(a, b []*node) cmp {
	if len(a) != len(b) {
		// duplicates written twice on one side: {2, 2} vs {2}
		c.reason = "different number of elements"
		return c.dedupMultiset(a, b)
	}
	if len(a) > c.lim.MaxElements {
		return c.fail("too many elements")
	}
	used := make([]bool, len(b))
	unsure := false
	for _, x := range a {
		found := false
		for j, y := range b {
			if used[j] {
				continue
			}
			saved := c.reason
			r := c.compare(x, y)
			c.reason = saved
			if r == cEqual {
				used[j] = true
				found = true
				break
			}
			if r == cUnsure {
				unsure = true
			}
		}
		if !found {
			if unsure {
				return c.fail("element not decided")
			}
			c.reason = "element missing"
			return cDiff
		}
	}
	return cEqual
}

// dedupMultiset handles lists of different lengths: equal only if every
// element of each side equals some element of the other.
func (c *comparer) dedupMultiset(a, b []*node) cmp {
	if len(a)*len(b) > c.lim.MaxElements*c.lim.MaxElements {
		return c.fail("too many elements")
	}
	cover := func(x, y []*node) cmp {
		for _, u := range x {
			ok := false
			for _, v := range y {
				saved := c.reason
				r := c.compare(u, v)
				c.reason = saved
				if r == cEqual {
					ok = true
					break
				}
			}
			if !ok {
				return cDiff
			}
		}
		return cEqual
	}
	if cover(a, b) == cEqual && cover(b, a) == cEqual {
		if c.distinct(a) {
			return cEqual // the answer repeats an element of a set
		}
		// the gold repeats values: multiplicity may matter (side lengths)
		return c.fail("same elements, different multiplicities")
	}
	c.reason = "different number of elements"
	return cDiff
}

// distinct reports that no two elements of a are equal.
func (c *comparer) distinct(a []*node) bool {
	for i := range a {
		for j := i + 1; j < len(a); j++ {
			saved := c.reason
			r := c.compare(a[i], a[j])
			c.reason = saved
			if r != cDiff {
				return false
			}
		}
	}
	return true
}

// interval bound helpers
func infSign(n *node) int {
	switch n.k {
	case kInf:
		return 1
	case kNeg:
		return -infSign(n.args[0])
	}
	return 0
}

func (c *comparer) endpoint(a, b *node) cmp {
	sa, sb := infSign(a), infSign(b)
	if sa != 0 || sb != 0 {
		if sa == sb {
			return cEqual
		}
		return cDiff
	}
	return c.compare(a, b)
}

// asIntervals turns intervals, unions, open-pair tuples and inequalities
// about one name into a list of intervals.
func asIntervals(n *node) ([]*node, bool) {
	switch n.k {
	case kInterval:
		return []*node{n}, true
	case kTuple:
		if n.amb && len(n.args) == 2 {
			return []*node{{k: kInterval, args: n.args}}, true
		}
	case kUnion:
		var out []*node
		for _, a := range n.args {
			iv, ok := asIntervals(a)
			if !ok {
				return nil, false
			}
			out = append(out, iv...)
		}
		return out, true
	case kRel:
		return relInterval(n)
	case kList:
		// "x < 1 or x > 2"; overlapping parts ("x > 1 and x < 3") may mean
		// an intersection, so they are not read as a union
		var out []*node
		for _, a := range n.args {
			if a.k != kRel && a.k != kInterval && a.k != kUnion {
				return nil, false
			}
			iv, ok := asIntervals(a)
			if !ok {
				return nil, false
			}
			out = append(out, iv...)
		}
		if !disjoint(out) {
			// x > -1 and x < 3: overlapping rays whose union would be the
			// whole line are an intersection
			if len(out) == 2 && !n.or {
				lo, hi := out[0], out[1]
				if infSign(lo.args[0]) < 0 {
					lo, hi = hi, lo
				}
				if infSign(hi.args[0]) < 0 && infSign(hi.args[1]) == 0 && infSign(lo.args[1]) > 0 && infSign(lo.args[0]) == 0 {
					return []*node{{k: kInterval, args: []*node{lo.args[0], hi.args[1]}, lo: lo.lo, hi: hi.hi}}, true
				}
			}
			return nil, false
		}
		return out, true
	case kVar:
		if isRealLine(n) {
			return []*node{{k: kInterval, args: []*node{{k: kNeg, args: []*node{{k: kInf}}}, {k: kInf}}}}, true
		}
	case kSet:
		if len(n.args) == 0 {
			return nil, true
		}
		// a finite set inside a union: degenerate closed intervals
		var out []*node
		for _, a := range n.args {
			out = append(out, &node{k: kInterval, args: []*node{a, a}, lo: true, hi: true})
		}
		return out, true
	}
	return nil, false
}

// disjoint reports intervals with numeric endpoints that do not overlap.
func disjoint(ivs []*node) bool {
	type span struct{ lo, hi float64 }
	end := func(n *node) (float64, bool) {
		if s := infSign(n); s != 0 {
			return math.Inf(s), true
		}
		e := &evaluator{limit: 10000}
		v, err := e.eval(n)
		if err != nil || imag(v.c) != 0 {
			return 0, false
		}
		return real(v.c), true
	}
	var spans []span
	for _, iv := range ivs {
		lo, ok1 := end(iv.args[0])
		hi, ok2 := end(iv.args[1])
		if !ok1 || !ok2 {
			return false
		}
		spans = append(spans, span{lo, hi})
	}
	for i := range spans {
		for j := i + 1; j < len(spans); j++ {
			if spans[i].lo < spans[j].hi && spans[j].lo < spans[i].hi {
				return false
			}
		}
	}
	return true
}

func relInterval(n *node) ([]*node, bool) {
	neg := &node{k: kNeg, args: []*node{{k: kInf}}}
	pos := &node{k: kInf}
	switch len(n.args) {
	case 2:
		l, r, op := n.args[0], n.args[1], n.ops[0]
		if !nameLike(l) && nameLike(r) {
			l, r = r, l
			op = flipOp(op)
		}
		if l.k == kFunc && l.name == "abs" && nameLike(l.args[0]) && isNonNegNum(r) {
			// |x| < a is (-a, a); |x| > a is (-oo, -a) U (a, oo)
			nr := &node{k: kNeg, args: []*node{r}}
			switch op {
			case "<", "<=":
				return []*node{{k: kInterval, args: []*node{nr, r}, lo: op == "<=", hi: op == "<="}}, true
			case ">", ">=":
				return []*node{{k: kInterval, args: []*node{neg, nr}, hi: op == ">="}, {k: kInterval, args: []*node{r, pos}, lo: op == ">="}}, true
			}
		}
		if !nameLike(l) || nameLike(r) {
			return nil, false
		}
		switch op {
		case "!=":
			// x \ne a: (-oo, a) U (a, oo)
			return []*node{{k: kInterval, args: []*node{neg, r}}, {k: kInterval, args: []*node{r, pos}}}, true
		case ">":
			return []*node{{k: kInterval, args: []*node{r, pos}}}, true
		case ">=":
			return []*node{{k: kInterval, args: []*node{r, pos}, lo: true}}, true
		case "<":
			return []*node{{k: kInterval, args: []*node{neg, r}}}, true
		case "<=":
			return []*node{{k: kInterval, args: []*node{neg, r}, hi: true}}, true
		}
	case 3:
		a, x, b := n.args[0], n.args[1], n.args[2]
		o1, o2 := n.ops[0], n.ops[1]
		if !nameLike(x) || nameLike(a) || nameLike(b) {
			return nil, false
		}
		if (o1 == ">" || o1 == ">=") && (o2 == ">" || o2 == ">=") {
			a, b = b, a
			o1, o2 = flipOp(o2), flipOp(o1)
		}
		if (o1 == "<" || o1 == "<=") && (o2 == "<" || o2 == "<=") {
			if x.k == kFunc && x.name == "abs" && nameLike(x.args[0]) && isNonNegNum(a) {
				// a <= |z| <= b: [-b, -a] U [a, b]
				na := &node{k: kNeg, args: []*node{a}}
				nb := &node{k: kNeg, args: []*node{b}}
				return []*node{
					{k: kInterval, args: []*node{nb, na}, lo: o2 == "<=", hi: o1 == "<="},
					{k: kInterval, args: []*node{a, b}, lo: o1 == "<=", hi: o2 == "<="},
				}, true
			}
			return []*node{{k: kInterval, args: []*node{a, b}, lo: o1 == "<=", hi: o2 == "<="}}, true
		}
	}
	return nil, false
}

func isNonNegNum(n *node) bool {
	if n.k == kNum {
		return n.num.Sign() >= 0
	}
	if n.k == kDiv && n.args[0].k == kNum && n.args[1].k == kNum {
		return n.args[0].num.Sign()*n.args[1].num.Sign() >= 0
	}
	return false
}

func flipOp(op string) string {
	switch op {
	case "<":
		return ">"
	case ">":
		return "<"
	case "<=":
		return ">="
	case ">=":
		return "<="
	}
	return op
}

func (c *comparer) intervals(g, p *node) cmp {
	a, ok1 := asIntervals(g)
	b, ok2 := asIntervals(p)
	if !ok1 || !ok2 {
		if g.k == kRel && p.k == kRel {
			return c.relation(g, p)
		}
		if g.k == kList || p.k == kList {
			return c.fail("conditions that may be an intersection")
		}
		c.reason = "interval against another shape"
		return cDiff
	}
	if len(a) != len(b) {
		c.reason = "different number of intervals"
		return cDiff
	}
	used := make([]bool, len(b))
	unsure := false
	for _, x := range a {
		found := false
		for j, y := range b {
			if used[j] {
				continue
			}
			r := c.oneInterval(x, y)
			if r == cEqual {
				used[j], found = true, true
				break
			}
			if r == cUnsure {
				unsure = true
			}
		}
		if !found {
			if unsure {
				return c.fail("interval not decided")
			}
			c.reason = "different intervals"
			return cDiff
		}
	}
	return cEqual
}

func (c *comparer) oneInterval(x, y *node) cmp {
	if x.lo != y.lo || x.hi != y.hi {
		// an infinite end is open whatever the bracket says
		if !(x.lo != y.lo && infSign(x.args[0]) != 0 && infSign(y.args[0]) != 0) && x.lo != y.lo {
			return cDiff
		}
		if !(x.hi != y.hi && infSign(x.args[1]) != 0 && infSign(y.args[1]) != 0) && x.hi != y.hi {
			return cDiff
		}
	}
	r1 := c.endpoint(x.args[0], y.args[0])
	if r1 == cDiff {
		return cDiff
	}
	r2 := c.endpoint(x.args[1], y.args[1])
	if r2 == cDiff {
		return cDiff
	}
	if r1 == cEqual && r2 == cEqual {
		return cEqual
	}
	return cUnsure
}

func matrixCells(n *node) ([][]*node, bool) {
	switch n.k {
	case kMatrix:
		var out [][]*node
		for _, r := range n.args {
			out = append(out, r.args)
		}
		return out, true
	case kTuple:
		// a vector: compare with a column or a row
		return [][]*node{n.args}, true
	}
	return nil, false
}

func (c *comparer) matrix(g, p *node) cmp {
	a, ok1 := matrixCells(g)
	b, ok2 := matrixCells(p)
	if !ok1 || !ok2 {
		c.reason = "matrix against another shape"
		return cDiff
	}
	flat := func(m [][]*node) ([]*node, bool) {
		if len(m) == 1 {
			return m[0], true
		}
		var out []*node
		for _, r := range m {
			if len(r) != 1 {
				return nil, false
			}
			out = append(out, r[0])
		}
		return out, true
	}
	if g.k != p.k { // vector against matrix
		fa, ok1 := flat(a)
		fb, ok2 := flat(b)
		if !ok1 || !ok2 {
			c.reason = "different dimensions"
			return cDiff
		}
		return c.ordered(fa, fb)
	}
	if len(a) != len(b) {
		c.reason = "different dimensions"
		return cDiff
	}
	res := cEqual
	for i := range a {
		switch c.ordered(a[i], b[i]) {
		case cDiff:
			c.reason = "different entries"
			return cDiff
		case cUnsure:
			res = cUnsure
		}
	}
	return res
}

func (c *comparer) ratio(g, p *node) cmp {
	asDiv := func(n *node) *node {
		if n.k == kRatio && len(n.args) == 2 {
			return &node{k: kDiv, args: n.args}
		}
		return n
	}
	if g.k == kRatio && p.k == kRatio {
		if len(g.args) != len(p.args) {
			c.reason = "different ratios"
			return cDiff
		}
		if r := c.ordered(g.args, p.args); r == cEqual {
			return cEqual
		}
		c.reason = ""
		// proportional when every part is nonzero: 2:4 = 1:2
		for _, a := range append(append([]*node{}, g.args...), p.args...) {
			if c.isZero(a) != cDiff {
				c.reason = "different ratios"
				return cDiff
			}
		}
		for i := 1; i < len(g.args); i++ {
			r := c.scalar(&node{k: kMul, args: []*node{g.args[0], p.args[i]}}, &node{k: kMul, args: []*node{p.args[0], g.args[i]}})
			if r != cEqual {
				return r
			}
		}
		if g.amb || p.amb {
			// 3:30 against 1:10: times of day compare part by part
			c.reason = "a time of day against a proportional ratio"
			return cUnsure
		}
		return cEqual
	}
	g, p = asDiv(g), asDiv(p)
	if isScalar(g) && isScalar(p) {
		return c.scalar(g, p)
	}
	c.reason = "ratio against another shape"
	return cDiff
}

func (c *comparer) isZero(n *node) cmp {
	return c.scalar(n, intNode(0))
}

// relation compares equations up to scaling and inequalities up to a
// positive scaling and rearrangement.
func (c *comparer) relation(g, p *node) cmp {
	if len(g.args) != len(p.args) {
		if iv1, ok := asIntervals(g); ok {
			if iv2, ok := asIntervals(p); ok {
				_ = iv1
				_ = iv2
				return c.intervals(g, p)
			}
		}
		c.reason = "different relations"
		return cDiff
	}
	if len(g.args) != 2 {
		if _, ok := asIntervals(g); ok {
			if _, ok := asIntervals(p); ok {
				return c.intervals(g, p)
			}
		}
		// chains: compare part by part
		for i := range g.ops {
			if g.ops[i] != p.ops[i] {
				return c.fail("different relation chains")
			}
		}
		return c.ordered(g.args, p.args)
	}
	form := func(n *node) (*node, string) {
		l, r, op := n.args[0], n.args[1], n.ops[0]
		switch op {
		case "<", "<=":
			l, r = r, l
			op = flipOp(op)
		case "approx":
			op = "="
		}
		return &node{k: kAdd, args: []*node{l, {k: kNeg, args: []*node{r}}}}, op
	}
	fg, og := form(g)
	fp, op := form(p)
	if og != op {
		c.reason = "different relation"
		return cDiff
	}
	// same name on the left: compare right sides (x = 3 vs x = 3.0)
	if og == "=" && nameLike(g.args[0]) && nameLike(p.args[0]) && g.args[0].String() == p.args[0].String() {
		return c.compare(norm(g.args[1]), norm(p.args[1]))
	}
	if !isScalar(g.args[0]) || !isScalar(g.args[1]) || !isScalar(p.args[0]) || !isScalar(p.args[1]) {
		return c.fail("relation between non-values")
	}
	return c.proportional(fg, fp, og == "=" || og == "!=")
}

// proportional decides whether f = k·g for a constant k (k > 0 unless
// anySign).
func (c *comparer) proportional(f, g *node, anySign bool) cmp {
	vars := map[string]bool{}
	collectVars(f, vars)
	collectVars(g, vars)
	if len(vars) == 0 {
		// (\sqrt{2}-1)(\sqrt{3}+\sqrt{2}) = 2-\sqrt{2}-\sqrt{3}+\sqrt{6}: the
		// difference of a true identity is float noise, and its ratio to
		// another constant says nothing
		return c.fail("relation between constants")
	}
	ints := map[string]bool{}
	boundVars(f, ints)
	boundVars(g, ints)
	pts := c.points(vars, ints)
	var k complex128
	var kr *big.Rat // the exact ratio while every point gives one
	exactSoFar := true
	have := 0
	for i, env := range pts {
		if i >= positivePoints && have >= 2 {
			// equations are decided on positive values; a different
			// ratio at a negative point (|x| > 2 against x > 2) means they
			// agree only there
			if c.negativeRatioDiffers(f, g, pts[i:], k) {
				return c.fail("relations agree for positive values only")
			}
			break
		}
		a, err1 := c.evalAt(f, env)
		b, err2 := c.evalAt(g, env)
		if err1 != nil || err2 != nil {
			continue
		}
		if a.r != nil && b.r != nil && exactSoFar {
			if a.r.Sign() == 0 || b.r.Sign() == 0 {
				if a.r.Sign() == 0 && b.r.Sign() == 0 {
					continue
				}
				c.reason = "relations differ"
				return cDiff
			}
			q := new(big.Rat).Quo(a.r, b.r)
			if kr == nil {
				kr = q
				k = complex(mustFloat(q), 0)
			} else if kr.Cmp(q) != 0 {
				c.reason = "relations differ"
				return cDiff
			}
			have++
			continue
		}
		exactSoFar = false
		if b.c == 0 || a.c == 0 {
			if a.c == 0 && b.c == 0 {
				continue
			}
			c.reason = "relations differ"
			return cDiff
		}
		q := a.c / b.c
		if have == 0 {
			k = q
		} else if closeness(k, q) != cEqual {
			if closeness(k, q) == cUnsure {
				return c.fail("relations numerically close")
			}
			c.reason = "relations differ"
			return cDiff
		}
		have++
	}
	if have < 2 && len(vars) > 0 || have == 0 {
		return c.fail("cannot evaluate relation")
	}
	if math.Abs(imag(k)) > 1e-9*cmplx.Abs(k) {
		return c.fail("complex scaling")
	}
	if !anySign && real(k) < 0 {
		c.reason = "inequality reversed"
		return cDiff
	}
	return cEqual
}

// negativeRatioDiffers reports a point where f and g both evaluate and
// f/g is not k (or exactly one of them is zero).
func (c *comparer) negativeRatioDiffers(f, g *node, pts []map[string]*big.Rat, k complex128) bool {
	for _, env := range pts {
		a, err1 := c.evalAt(f, env)
		b, err2 := c.evalAt(g, env)
		if err1 != nil || err2 != nil {
			continue
		}
		if a.c == 0 || b.c == 0 {
			if a.c != b.c {
				return true
			}
			continue
		}
		if closeness(k, a.c/b.c) != cEqual {
			return true
		}
	}
	return false
}

func collectVars(n *node, out map[string]bool) {
	if n.k == kVar {
		out[n.name] = true
	}
	if n.k == kFunc && (n.name == "sum" || n.name == "prod") && len(n.args) == 4 {
		collectVars(n.args[1], out)
		collectVars(n.args[2], out)
		inner := map[string]bool{}
		collectVars(n.args[3], inner)
		delete(inner, n.args[0].name)
		for v := range inner {
			out[v] = true
		}
		return
	}
	for _, a := range n.args {
		collectVars(a, out)
	}
}

// boundVars collects the variables used in the bounds of sums and products:
// they take integer values at the sample points.
func boundVars(n *node, out map[string]bool) {
	if n.k == kFunc && (n.name == "sum" || n.name == "prod") && len(n.args) == 4 {
		collectVars(n.args[1], out)
		collectVars(n.args[2], out)
	}
	for _, a := range n.args {
		boundVars(a, out)
	}
}

// points returns deterministic pseudo-random evaluation points: each
// variable gets a real value in (0.5, 2.5) (in (-2.5, -0.5) for the points
// after positivePoints, but for every other variable of the last point),
// different per variable and point; variables in the
// bounds of sums get integers in 3..9.
func (c *comparer) points(vars, ints map[string]bool) []map[string]*big.Rat {
	names := make([]string, 0, len(vars))
	for v := range vars {
		names = append(names, v)
	}
	sort.Strings(names)
	n := samplePoints
	if len(names) == 0 {
		n = 1
	}
	out := make([]map[string]*big.Rat, n)
	state := uint64(0x9E3779B97F4A7C15)
	for i := range out {
		env := make(map[string]*big.Rat, len(names))
		for j, v := range names {
			state ^= nameHash(v) + uint64(i)*0x9E3779B97F4A7C15
			state ^= state << 13
			state ^= state >> 7
			state ^= state << 17
			// exact rationals a/97 in (0.5, 2.5): polynomial and rational
			// expressions then evaluate exactly
			x := big.NewRat(int64(49+(state>>11)%194), 97)
			// the last point mixes signs (every other variable stays
			// positive): |x| + |y| and |x + y| agree where all signs agree
			if i >= positivePoints && !(i == n-1 && j%2 == 1) {
				x.Neg(x)
			}
			if ints[v] {
				x = big.NewRat(int64(3+state%7), 1) // a bound of a sum: an integer in 3..9
			}
			env[v] = x
		}
		out[i] = env
	}
	return out
}

func (c *comparer) evalAt(n *node, env map[string]*big.Rat) (val, error) {
	if c.total == nil {
		t := c.lim.MaxPairSteps
		c.total = &t
	}
	e := &evaluator{ctx: c.ctx, env: env, limit: c.lim.MaxEvalSteps, total: c.total}
	v, err := e.eval(n)
	if e.lossy {
		c.lossy = true
	}
	return v, err
}

func mustFloat(r *big.Rat) float64 {
	f, _ := r.Float64()
	return f
}

// closenessVal compares two values exactly when both are exact.
func closenessVal(a, b val) cmp {
	if a.r != nil && b.r != nil {
		if a.r.Cmp(b.r) == 0 {
			return cEqual
		}
		return cDiff
	}
	return closeness(a.c, b.c)
}

// closeness compares two complex numbers with the documented tolerances.
func closeness(a, b complex128) cmp {
	if cmplx.IsNaN(a) || cmplx.IsNaN(b) || cmplx.IsInf(a) || cmplx.IsInf(b) {
		return cUnsure
	}
	d := cmplx.Abs(a - b)
	m := math.Max(cmplx.Abs(a), cmplx.Abs(b))
	if d == 0 {
		return cEqual
	}
	if m == 0 || math.IsInf(m, 0) {
		return cUnsure
	}
	rel := d / m
	switch {
	case rel <= relEqual:
		return cEqual
	case rel <= relUnsure:
		return cUnsure
	case d < 1e-12 && math.Min(cmplx.Abs(a), cmplx.Abs(b)) == 0:
		return cUnsure // zero against a tiny value: float noise could explain it
	}
	return cDiff
}

// decimalLit returns the number of decimal places if n is a decimal
// literal (possibly negated), with its count of significant digits.
func decimalLit(n *node) (int, int, bool) {
	if n.k == kNeg {
		return decimalLit(n.args[0])
	}
	if n.k == kNum && n.dec > 0 && !n.pct {
		s := strings.TrimLeft(strings.ReplaceAll(n.num.FloatString(n.dec), ".", ""), "-0")
		return n.dec, len(s), true
	}
	return 0, 0, false
}

// terminates reports whether a rational has a finite decimal expansion.
func terminates(r *big.Rat) bool {
	d := new(big.Int).Set(r.Denom())
	two, five := big.NewInt(2), big.NewInt(5)
	m := new(big.Int)
	for d.Cmp(big.NewInt(1)) > 0 {
		if m.Mod(d, two).Sign() == 0 {
			d.Div(d, two)
		} else if m.Mod(d, five).Sign() == 0 {
			d.Div(d, five)
		} else {
			return false
		}
	}
	return true
}

func (c *comparer) scalar(g, p *node) cmp {
	if sg, sp := infSign(g), infSign(p); sg != 0 || sp != 0 {
		if sg == sp {
			return cEqual
		}
		c.reason = "infinity against a value"
		return cDiff
	}
	g, p = negDegrees(g), negDegrees(p)
	if g.pct && p.deg || g.deg && p.pct {
		return c.fail("a percentage against degrees") // 3% against 3°
	}
	if radMarked(g) && p.deg || g.deg && radMarked(p) {
		// 1 rad against 1^\circ: the radians are stated, so the degrees
		// can only be converted
		g, p = radians(g), radians(p)
	}
	r := c.scalarCore(g, p)
	if r == cEqual {
		return r
	}
	// percent: 28% = 0.28
	if g.pct != p.pct {
		h := func(n *node) *node {
			if n.pct {
				return &node{k: kDiv, args: []*node{n, intNode(100)}}
			}
			return n
		}
		saved := c.reason
		if c.scalarCore(h(g), h(p)) == cEqual {
			return cEqual
		}
		c.reason = saved
	}
	// degrees against radians: 90^\circ = \pi/2
	if g.deg != p.deg {
		saved := c.reason
		if c.scalarCore(radians(g), radians(p)) == cEqual {
			return cEqual
		}
		c.reason = saved
	}
	return r
}

// negDegrees marks -30^\circ as degrees and -3\% as a percentage: the
// sign wraps the marked value.
func negDegrees(n *node) *node {
	if n.k != kNeg || n.deg || n.pct || len(n.args) != 1 || !n.args[0].deg && !n.args[0].pct {
		return n
	}
	m := *n
	m.deg, m.pct = n.args[0].deg, n.args[0].pct
	return &m
}

// radMarked reports a value followed by the unit rad (2\pi \text{ rad}).
func radMarked(n *node) bool {
	if n.rad {
		return true
	}
	return n.k == kMul && len(n.args) > 0 && n.args[len(n.args)-1].rad
}

// radians converts a value in degrees to radians.
func radians(n *node) *node {
	if !n.deg {
		return n
	}
	return &node{k: kMul, args: []*node{n, {k: kDiv, args: []*node{{k: kConst, name: "pi"}, intNode(180)}}}}
}

func (c *comparer) scalarCore(g, p *node) cmp {
	r := c.scalarPlain(g, p)
	if r == cEqual || !c.rename {
		return r
	}
	gv, pv := map[string]bool{}, map[string]bool{}
	collectVars(g, gv)
	collectVars(p, pv)
	// every letter may be renamed, arguments to arguments and constants to
	// constants: f(m) = km against f(k) = ak
	var onlyG, onlyP []string
	for v := range gv {
		onlyG = append(onlyG, v)
	}
	for v := range pv {
		onlyP = append(onlyP, v)
	}
	if len(onlyG) == 0 || len(onlyG) != len(onlyP) || len(onlyG) > 3 {
		return r
	}
	sort.Strings(onlyG)
	sort.Strings(onlyP)
	saved := c.reason
	for _, perm := range permutations(len(onlyP)) {
		m := map[string]string{}
		ok := true
		for i, j := range perm {
			m[onlyP[i]] = onlyG[j]
			if c.isArg(onlyP[i], false) != c.isArg(onlyG[j], true) {
				ok = false // f(x) = c against x: an argument is not a constant
			}
		}
		if !ok {
			continue
		}
		if c.scalarPlain(g, renameVars(p, m)) == cEqual {
			return cEqual
		}
	}
	c.reason = saved
	return r
}

// isArg reports whether v is a function argument on the gold (or pred)
// side. A side that defines no function takes the other side's arguments.
func (c *comparer) isArg(v string, gold bool) bool {
	args := c.pArgs
	if gold {
		args = c.gArgs
	}
	if len(args) == 0 {
		if gold {
			args = c.pArgs
		} else {
			args = c.gArgs
		}
	}
	return args[v]
}

// permutations of 0..n-1 (n <= 3).
func permutations(n int) [][]int {
	switch n {
	case 1:
		return [][]int{{0}}
	case 2:
		return [][]int{{0, 1}, {1, 0}}
	}
	return [][]int{{0, 1, 2}, {0, 2, 1}, {1, 0, 2}, {1, 2, 0}, {2, 0, 1}, {2, 1, 0}}
}

// renameVars returns n with variables renamed by m.
func renameVars(n *node, m map[string]string) *node {
	return mapVars(n, func(v *node) *node {
		if to, ok := m[v.name]; ok {
			c := *v
			c.name = to
			return &c
		}
		return v
	})
}

// mapVars returns n with each variable v replaced by f(v).
func mapVars(n *node, f func(*node) *node) *node {
	if n.k == kVar {
		return f(n)
	}
	if len(n.args) == 0 {
		return n
	}
	c := *n
	c.args = make([]*node, len(n.args))
	for i, a := range n.args {
		c.args[i] = mapVars(a, f)
	}
	return &c
}

func (c *comparer) scalarPlain(g, p *node) cmp {
	vars := map[string]bool{}
	collectVars(g, vars)
	collectVars(p, vars)
	if len(vars) > 12 {
		return c.fail("too many variables")
	}
	if len(vars) == 0 {
		c.lossy = false
		a, err1 := c.evalAt(g, nil)
		b, err2 := c.evalAt(p, nil)
		if err1 != nil || err2 != nil {
			if err1 == nil && hasNonScalar(p) || err2 == nil && hasNonScalar(g) {
				c.reason = "different shapes"
				return cDiff
			}
			return c.fail("cannot evaluate")
		}
		var res cmp
		if a.r != nil && b.r != nil {
			if a.r.Cmp(b.r) == 0 {
				return cEqual
			}
			res = cDiff
		} else {
			res = closeness(a.c, b.c)
			if c.lossy && res != cDiff {
				res = cUnsure // floats out of range: 3^{-2000} is not 0
			}
			// decide near-equal irrational values with 256 bits when possible
			if r, ok := c.bigCompare(g, p, nil); ok {
				res = r
			} else if res == cEqual && (manyDigits(a.r) || manyDigits(b.r)) {
				// e^{\pi\sqrt{163}} against 262537412640768744: the
				// tolerance cannot tell neighbours of so long an exact value apart
				res = cUnsure
			}
			if res == cEqual {
				return cEqual
			}
		}
		// decimal rounding: one side a decimal literal with d places, the
		// other an exact value without a finite decimal expansion (or an
		// irrational one): equal when the decimal is the value rounded to d
		// places and has at least 2 significant digits.
		if r, ok := c.rounding(g, a, p, b, true); ok {
			return r
		}
		if r, ok := c.rounding(p, b, g, a, false); ok {
			return r
		}
		if res == cUnsure {
			return c.fail("numerically close")
		}
		c.reason = "different values"
		return cDiff
	}
	ints := map[string]bool{}
	boundVars(g, ints)
	boundVars(p, ints)
	pts := c.points(vars, ints)
	valid := 0
	res := cEqual
	for i, env := range pts {
		if c.ctx.Err() != nil {
			return c.fail("deadline")
		}
		negative := i >= positivePoints
		c.lossy = false
		a, err1 := c.evalAt(g, env)
		b, err2 := c.evalAt(p, env)
		if err1 != nil && err2 != nil {
			continue
		}
		if err1 != nil || err2 != nil {
			return c.fail("cannot evaluate at a point")
		}
		if negative {
			// equal for positive values; a difference here means the
			// identity holds on a domain only (ln(x^2) = 2 ln x)
			r := closenessVal(a, b)
			if r != cEqual && (a.r == nil || b.r == nil) {
				if br, ok := c.bigCompare(g, p, env); ok {
					r = br
				}
			}
			if r != cEqual {
				if valid >= 2 {
					return c.fail("equal for positive values only")
				}
				return c.fail("cannot decide expressions")
			}
			continue
		}
		valid++
		var r cmp
		if a.r != nil && b.r != nil {
			if a.r.Cmp(b.r) == 0 {
				r = cEqual
			} else {
				r = cDiff
			}
		} else {
			r = closeness(a.c, b.c)
			if c.lossy && r != cDiff {
				r = cUnsure
			}
			if br, ok := c.bigCompare(g, p, env); ok {
				r = br
			}
		}
		if r == cDiff {
			if c.sameFamily(g, p, vars) {
				return cEqual
			}
			c.reason = "different expressions"
			return cDiff
		}
		if r == cUnsure {
			res = cUnsure
		}
	}
	if valid < 2 {
		return c.fail("cannot evaluate expressions")
	}
	if res == cUnsure {
		return c.fail("expressions numerically close")
	}
	if hasStepFunc(g) || hasStepFunc(p) {
		// floor(n/2) and floor(n/3) agree at every point in (-2.5, 2.5):
		// check step functions at larger values too
		for _, env := range pts[:positivePoints] {
			scaled := make(map[string]*big.Rat, len(env))
			for v, x := range env {
				scaled[v] = x
				if !ints[v] {
					scaled[v] = new(big.Rat).Mul(x, bigTen)
				}
			}
			c.lossy = false
			a, err1 := c.evalAt(g, scaled)
			b, err2 := c.evalAt(p, scaled)
			if err1 != nil || err2 != nil || closenessVal(a, b) != cEqual || c.lossy {
				return c.fail("step functions agree at small values only")
			}
		}
		// \lceil x \rceil and \lfloor x \rfloor + 1 agree at every point that
		// is not an integer: check integers too (the variable is often one)
		for _, env := range pts[:positivePoints] {
			whole := make(map[string]*big.Rat, len(env))
			for v, x := range env {
				q := new(big.Int).Quo(x.Num(), x.Denom())
				whole[v] = new(big.Rat).SetInt(q.Add(q, big.NewInt(1)))
			}
			c.lossy = false
			a, err1 := c.evalAt(g, whole)
			b, err2 := c.evalAt(p, whole)
			if err1 == nil && err2 == nil && (closenessVal(a, b) != cEqual || c.lossy) {
				return c.fail("step functions differ at integers")
			}
		}
	}
	return cEqual
}

var bigTen = big.NewRat(10, 1)

// sameFamily reports two families of angles a + bk over the integers k
// that are the same set: \frac{\pi}{6} + k\pi against \frac{7\pi}{6} + k\pi,
// or -\frac{\pi}{6} - 2k\pi against \frac{11\pi}{6} + 2k\pi. Both sides
// must use π and one index variable (k, n or m), and be linear in it.
func (c *comparer) sameFamily(g, p *node, vars map[string]bool) bool {
	if len(vars) != 1 || !hasPi(g) || !hasPi(p) {
		return false
	}
	var v string
	for name := range vars {
		v = name
	}
	if v != "k" {
		return false // n and m are as often a sequence's index: n\pi against (n+1)\pi differs
	}
	line := func(n *node) (a, b float64, ok bool) {
		var ys [3]float64
		for i := range ys {
			c.lossy = false
			y, err := c.evalAt(n, map[string]*big.Rat{v: big.NewRat(int64(i), 1)})
			if err != nil || c.lossy || imag(y.c) != 0 {
				return 0, 0, false
			}
			ys[i] = real(y.c)
		}
		a, b = ys[0], ys[1]-ys[0]
		if b == 0 || math.Abs(ys[2]-ys[1]-b) > 1e-9*math.Abs(b) {
			return 0, 0, false
		}
		return a, b, true
	}
	ag, bg, ok1 := line(g)
	ap, bp, ok2 := line(p)
	if !ok1 || !ok2 || math.Abs(math.Abs(bg)-math.Abs(bp)) > 1e-9*math.Abs(bg) {
		return false
	}
	// the offsets differ by a whole number of periods
	q := (ap - ag) / bg
	return math.Abs(q) < 1e6 && math.Abs(q-math.Round(q)) < 1e-9
}

// manyDigits reports an exact value whose numerator or denominator has
// more digits (over 2^40) than a float comparison at relEqual can separate.
func manyDigits(r *big.Rat) bool {
	return r != nil && (r.Num().BitLen() > 40 || r.Denom().BitLen() > 40)
}

// hasStepFunc reports a floor, ceiling, sign, min or max function in n:
// pieces that the sample points in (0.5, 2.5) may not tell apart.
func hasStepFunc(n *node) bool {
	if n == nil {
		return false
	}
	if n.k == kFunc && (n.name == "floor" || n.name == "ceil" || n.name == "sgn" || n.name == "min" || n.name == "max") {
		return true
	}
	for _, a := range n.args {
		if hasStepFunc(a) {
			return true
		}
	}
	return false
}

// minPredDigits is how many significant digits a decimal answer needs to
// be accepted for an exact gold it rounds (1/12 against 0.0833333);
// shorter roundings (0.33 for 1/3) go to the judge.
const minPredDigits = 8

func (c *comparer) rounding(decSide *node, dv val, other *node, ov val, decIsGold bool) (cmp, bool) {
	d, sig, ok := decimalLit(decSide)
	if !ok {
		return 0, false
	}
	if _, _, ok := decimalLit(other); ok {
		return 0, false // two decimals: exact comparison only
	}
	if ov.r != nil && terminates(ov.r) {
		return 0, false
	}
	if imag(ov.c) != 0 || math.IsNaN(real(ov.c)) || math.IsInf(real(ov.c), 0) {
		return 0, false
	}
	half := 0.5 * math.Pow(10, -float64(d))
	diff := math.Abs(real(dv.c) - real(ov.c))
	if diff <= half*(1+1e-9) {
		if sig >= minPredDigits {
			return cEqual, true
		}
		if decIsGold {
			// gold 7.78 against 70/9: the gold may be a rounding the problem
			// asked for, or an exact value the answer misses: the judge decides
			return c.fail("gold is a rounded decimal of the answer"), true
		}
		c.reason = "answer is a short rounded decimal of the exact gold"
		return cDiff, true
	}
	return 0, false
}

// solvedCurve decides "y = F" against another equation E = 0 in y (xy = 1
// against y = \frac{1}{x}): equal when substituting F for y makes E
// vanish at every sample point, E is linear in y, and E at y = 0 is a
// non-zero constant (so E's coefficient of y never vanishes where E's
// solutions would be, and E = 0 has no solutions F misses). Only exact
// rational evaluation counts; anything else is cUnsure.
func (c *comparer) solvedCurve(g, p *node) cmp {
	for _, pair := range [2][2]*node{{g, p}, {p, g}} {
		a, b := pair[0], pair[1]
		if a.args[0].k != kVar {
			continue
		}
		v := a.args[0].name
		fv := map[string]bool{}
		collectVars(a.args[1], fv)
		ev := map[string]bool{}
		e := &node{k: kAdd, args: []*node{b.args[0], {k: kNeg, args: []*node{b.args[1]}}}}
		collectVars(e, ev)
		if fv[v] || !ev[v] || len(fv) == 0 {
			continue
		}
		vars := map[string]bool{}
		for x := range fv {
			vars[x] = true
		}
		for x := range ev {
			if x != v {
				vars[x] = true
			}
		}
		var b0 *big.Rat
		for _, env := range c.points(vars, map[string]bool{}) {
			f, err := c.evalAt(a.args[1], env)
			if err != nil || f.r == nil {
				return cUnsure
			}
			var at [3]*big.Rat
			for i, y := range []*big.Rat{f.r, new(big.Rat), big.NewRat(1, 1)} {
				env[v] = y
				r, err := c.evalAt(e, env)
				if err != nil || r.r == nil {
					return cUnsure
				}
				at[i] = r.r
			}
			delete(env, v)
			if at[0].Sign() != 0 {
				return cUnsure // F does not solve E here
			}
			// linear in v: E(v) = E(0) + v (E(1) - E(0)), checked at v = F
			slope := new(big.Rat).Sub(at[2], at[1])
			lin := new(big.Rat).Add(at[1], new(big.Rat).Mul(f.r, slope))
			if lin.Cmp(at[0]) != 0 || slope.Sign() == 0 || at[1].Sign() == 0 {
				return cUnsure
			}
			if b0 == nil {
				b0 = at[1]
			} else if b0.Cmp(at[1]) != 0 {
				return cUnsure // E(0) varies: its zeros may add solutions
			}
		}
		if b0 != nil {
			return cEqual
		}
	}
	return cUnsure
}

// sameAlternatives reports an "or" list of two or three forms that each
// equal the scalar g (\frac{1}{2} or 50\%, 2\sqrt{2} or \sqrt{8}).
func (c *comparer) sameAlternatives(g, p *node) bool {
	if p.k != kList || !p.or || len(p.args) < 2 || len(p.args) > 3 {
		return false
	}
	saved := c.reason
	for _, a := range p.args {
		if !isScalar(a) || c.compare(g, a) != cEqual {
			c.reason = saved
			return false
		}
	}
	return true
}
