package verify

import (
	"context"
	"fmt"
	"regexp"
	"sort"
	"strconv"
	"strings"
)

// Verdict is the checker's decision.
type Verdict string

const (
	Equal     Verdict = "equal"
	Different Verdict = "different"
	Unsure    Verdict = "unsure"
)

// Result is a verdict with a short reason and what each side parsed to.
type Result struct {
	Verdict    Verdict `json:"verdict"`
	Reason     string  `json:"reason"`
	GoldParsed string  `json:"gold_parsed"`
	PredParsed string  `json:"pred_parsed"`
}

// Limits bound the work done for one pair. Every input is cut or refused
// at these limits, so that no pair can take long or use much memory.
type Limits struct {
	MaxInput     int // bytes of a whole generation searched for the answer
	MaxAnswer    int // bytes of an extracted answer that is parsed
	MaxTokens    int // tokens of an answer
	MaxDepth     int // nesting of the parser
	MaxElements  int // elements of a set, list or tuple compared pairwise
	MaxEvalSteps int // node evaluations per evaluation of one side at one point
	MaxPairSteps int // node evaluations for the whole pair (all points, all elements)
}

// DefaultLimits are generous for real answers (the longest real gold answer
// in NuminaMath is well under 1,000 bytes) and keep one pair well under a
// millisecond.
func DefaultLimits() Limits {
	return Limits{
		MaxInput:     1 << 20,
		MaxAnswer:    4000,
		MaxTokens:    1500,
		MaxDepth:     200,
		MaxElements:  64,
		MaxEvalSteps: 20000,
		MaxPairSteps: 200000,
	}
}

// Checker compares answers with fixed limits. The zero value is not
// usable; use NewChecker. A Checker is safe for concurrent use.
type Checker struct {
	lim Limits
}

// NewChecker returns a Checker with the given limits.
func NewChecker(lim Limits) *Checker { return &Checker{lim: lim} }

// Check compares gold (a dataset's answer field: bare LaTeX, with or without
// $...$ or \boxed{}) with pred (a whole generation or a bare answer). It is
// safe for concurrent use and returns Unsure when ctx ends first.
func Check(ctx context.Context, gold, pred string) Result {
	return NewChecker(DefaultLimits()).Check(ctx, gold, pred)
}

// Check compares gold with pred; see the package function Check.
func (ch *Checker) Check(ctx context.Context, gold, pred string) (res Result) {
	defer func() {
		// a bug in the parser must not stop a campaign: report it as unsure
		if r := recover(); r != nil {
			res = Result{Verdict: Unsure, Reason: fmt.Sprintf("internal error: %v", r)}
		}
	}()
	if err := ctx.Err(); err != nil {
		return Result{Verdict: Unsure, Reason: "deadline"}
	}
	if len(pred) > ch.lim.MaxInput {
		pred = pred[len(pred)-ch.lim.MaxInput:]
	}
	if len(gold) > ch.lim.MaxInput {
		gold = gold[len(gold)-ch.lim.MaxInput:]
	}
	gold, pred = fixEscapes(gold), fixEscapes(pred)
	g := goldAnswer(gold)
	p, fromText := predAnswer(pred)
	if len(g) > 4*ch.lim.MaxAnswer || len(p) > 4*ch.lim.MaxAnswer {
		res.Verdict, res.Reason = Unsure, "answer too long"
		return res
	}
	res.GoldParsed, res.PredParsed = g, p
	if strings.TrimSpace(p) == "" {
		res.Verdict, res.Reason = Unsure, "no answer found"
		if strings.TrimSpace(pred) == "" {
			res.Verdict, res.Reason = Different, "empty prediction"
		} else if cutWhileThinking(pred) {
			res.Verdict, res.Reason = Different, "cut off while thinking, with no boxed or stated answer"
		}
		return res
	}
	if strings.TrimSpace(g) == "" {
		res.Verdict, res.Reason = Unsure, "empty gold answer"
		return res
	}
	cg, cp := clean(g), clean(p)
	if len(cg) > ch.lim.MaxAnswer || len(cp) > ch.lim.MaxAnswer {
		res.Verdict, res.Reason = Unsure, "answer too long"
		return res
	}
	var v Verdict
	var reason string
	cg, cp, v, reason = modRules(cg, cp)
	if v != "" {
		res.Verdict, res.Reason = v, reason
		res.GoldParsed, res.PredParsed = cg, cp
		return res
	}
	cg, cp, v, reason = textRules(cg, cp)
	if v != "" {
		res.Verdict, res.Reason = v, reason
		res.GoldParsed, res.PredParsed = cg, cp
		return res
	}
	return ch.compareParsed(ctx, cg, cp, fromText)
}

// modulusRE finds a trailing modulus: \pmod{m}, \pmod m, (\bmod m),
// (\mod m), (\text{mod } m), (mod m), \bmod m, \mod m.
var modulusRE = regexp.MustCompile(`\s*(?:\\pmod\s*\{\s*([^{}]+?)\s*\}|\\pmod\s*([0-9a-zA-Z]+)|(?:\\[ ,;]\s*)*(?:\\left)?\(\s*(?:\\bmod|\\mod|\\text\{\s*mod\s*\}|\\mathrm\{\s*mod\s*\}|\\operatorname\{\s*mod\s*\}|mod)\s*\{?\s*([0-9a-zA-Z]+)\s*\}?\s*(?:\\right)?\)|\\(?:bmod|mod)\s*\{?\s*([0-9a-zA-Z]+)\s*\}?)\s*$`)

// residueRE reads "r" or "x \equiv r" (r an integer) before a modulus.
var residueRE = regexp.MustCompile(`^(?:([a-zA-Z](?:_\{?\w+\}?)?)\s*(?:\\equiv|=)\s*)?(-?\d+)$`)

// splitModulus returns an answer without its trailing modulus and the
// modulus ("" when there is none).
func splitModulus(s string) (string, string) {
	m := modulusRE.FindStringSubmatchIndex(s)
	if m == nil || m[0] == 0 {
		return s, ""
	}
	for g := 1; g <= 4; g++ {
		if m[2*g] >= 0 {
			return strings.TrimSpace(s[:m[0]]), s[m[2*g]:m[2*g+1]]
		}
	}
	return s, ""
}

// modRules handles answers given modulo m. A residue against a bare
// value: the residue is the answer (9 \pmod{11} against 9). Both with the
// same integer modulus: integer residues (maybe after "x \equiv") compare
// as classes (p \equiv 1 \pmod 4 against p \equiv 5 \pmod 4); other
// forms compare without the modulus. Different moduli, or a modulus on
// the gold only, go to the judge. v is "" when the rules do not decide.
func modRules(cg, cp string) (string, string, Verdict, string) {
	rg, mg := splitModulus(cg)
	rp, mp := splitModulus(cp)
	switch {
	case mg == "" && mp == "":
		return cg, cp, "", ""
	case mg == "":
		if _, err := strconv.ParseInt(strings.TrimSpace(cg), 10, 64); err == nil {
			// 9 against 9 \pmod{11}: compare the residue (a reduced one:
			// 24 \bmod 5 may be the operation, 4)
			r, err1 := strconv.ParseInt(rp, 10, 64)
			m, err2 := strconv.ParseInt(mp, 10, 64)
			if err1 == nil && err2 == nil && r >= 0 && r < m {
				return cg, rp, "", ""
			}
		}
		return cg, cp, Unsure, "a residue modulo " + mp + " against another form"
	case mp == "":
		return cg, cp, Unsure, "the gold is modulo " + mg + ", the answer is not"
	case mg != mp:
		return cg, cp, Unsure, "answers modulo different numbers"
	}
	m, err := strconv.ParseInt(mg, 10, 64)
	sg, sp := residueRE.FindStringSubmatch(rg), residueRE.FindStringSubmatch(rp)
	if err != nil || m <= 0 || sg == nil || sp == nil {
		return rg, rp, "", ""
	}
	if sg[1] != "" && sp[1] != "" && sg[1] != sp[1] {
		return cg, cp, Unsure, "congruences for different names"
	}
	a, err1 := strconv.ParseInt(sg[2], 10, 64)
	b, err2 := strconv.ParseInt(sp[2], 10, 64)
	if err1 != nil || err2 != nil {
		return cg, cp, Unsure, "residue too large"
	}
	if ((a-b)%m+m)%m == 0 {
		return cg, cp, Equal, "same residue class"
	}
	return cg, cp, Different, "different residue class"
}

// textRules decides what the text alone decides: the same text, a decimal
// comma, the same words, multiple-choice letters, yes/no answers. It may
// rewrite "(D) 7" against a bare value into the value. v is "" when the
// text does not decide.
func textRules(cg, cp string) (string, string, Verdict, string) {
	if squash(cg) == squash(cp) {
		return cg, cp, Equal, "same text"
	}
	if decimalComma(cg, cp) || decimalComma(cp, cg) {
		return cg, cp, Equal, "decimal comma"
	}
	if tg, tp := plainText(cg), plainText(cp); tg != "" && tg == tp {
		return cg, cp, Equal, "same text"
	} else if sg, sp := textSynonym[tg], textSynonym[tp]; sg != "" && sg == sp {
		return cg, cp, Equal, "same text"
	} else if tg == "undefined" && sp == "dne" || tp == "undefined" && sg == "dne" {
		return cg, cp, Unsure, "undefined against does not exist"
	}
	// "(D) 7" on one side and a bare value on the other: compare the values
	if _, ok := choiceLetter(cp, false); !ok {
		if rest, ok := choiceValue(cg); ok {
			cg = rest
		}
	}
	if _, ok := choiceLetter(cg, false); !ok {
		if rest, ok := choiceValue(cp); ok {
			cp = rest
		}
	}
	if mg, ok := choiceLetters(cg); ok {
		// multiple-select answers: ACD against A, C, D
		if mp, ok := choiceLetters(cp); ok {
			if mg == mp {
				return cg, cp, Equal, "same choices"
			}
			return cg, cp, Different, "different choices"
		}
	}
	if lg, ok := choiceLetter(cg, false); ok {
		if lp, ok := choiceLetter(cp, false); ok {
			if lg == lp {
				return cg, cp, Equal, "same choice"
			}
			return cg, cp, Different, "different choice"
		}
	}
	if yg, ok := yesNo(cg); ok {
		if yp, ok := yesNo(cp); ok {
			if yg == yp {
				if mixedYesNo(cg, yg) || mixedYesNo(cp, yp) {
					return cg, cp, Unsure, "both yes and no"
				}
				return cg, cp, Equal, "same yes/no answer"
			}
			return cg, cp, Different, "opposite yes/no answer"
		}
	}
	return cg, cp, "", ""
}

// compareParsed parses both cleaned answers and compares the values.
func (ch *Checker) compareParsed(ctx context.Context, cg, cp string, fromText bool) (res Result) {
	res.GoldParsed, res.PredParsed = cg, cp
	gn, gProse, err := parseAnswerProse(cg, ch.lim)
	if err != nil {
		res.Verdict, res.Reason = Unsure, "cannot parse gold: "+err.Error()
		return res
	}
	pn, pProse, err := parseAnswerProse(cp, ch.lim)
	aroundNumber := ""
	if err != nil && !fromText {
		// a bare answer with words around it: "the number is 1,000.99€"
		if num, ok := lastNumber(cp); ok && num != cp {
			if n2, err2 := parseAnswer(clean(num), ch.lim); err2 == nil {
				pn, pProse, err = n2, nil, nil
				i := strings.LastIndex(cp, num)
				aroundNumber = cp[:i] + " " + cp[i+len(num):]
			}
		}
	}
	if err != nil {
		res.Verdict, res.Reason = Unsure, "cannot parse answer: "+err.Error()
		res.GoldParsed = gn.String()
		return res
	}
	c := &comparer{ctx: ctx, lim: ch.lim, rename: isFunctionAnswer(gn), gArgs: functionArgs(gn), pArgs: functionArgs(pn)}
	var verdict cmp
	curve := false // decided as the same curve: names on the left do not matter
	pn = alignTupleNames(gn, pn)
	gNames, gVals := namedValues(gn)
	pNames, pVals := namedValues(pn)
	switch {
	case gNames != "" && gNames == pNames:
		// a = 2, b = 3 against b = 3, a = 2: compare name by name
		verdict = c.ordered(gVals, pVals)
	case gn.k == kRel && pn.k == kRel && len(gn.ops) == 1 && len(pn.ops) == 1 && gn.ops[0] == "=" && pn.ops[0] == "=" &&
		c.solvedCurve(gn, pn) == cEqual:
		// y = \frac{1}{x} against xy = 1: the same curve
		verdict, curve = cEqual, true
	case isEquation(gn) && pn.k == kRel || isEquation(pn) && gn.k == kRel:
		verdict = c.compare(gn, pn)
	case gn.k == kRel && pn.k == kRel && len(gn.ops) == 1 && len(pn.ops) == 1 && gn.ops[0] == "=" && pn.ops[0] == "=" &&
		!coordinatesDiffer(gn, pn) && c.relation(gn, pn) == cEqual:
		// y = x^2 against x^2 = y: the same equation
		verdict = cEqual
	default:
		c.reason = ""
		og, op := gn, pn
		if g2, p2, ok := alignIndex(gn, pn); ok {
			// a_n = 2n - 1 against a_{n+1} = 2n + 1: the same sequence
			gn, pn = g2, p2
		} else if g2 != nil {
			res.Verdict, res.Reason = Unsure, "the same sequence at different indices"
			res.GoldParsed, res.PredParsed = gn.String(), pn.String()
			return res
		}
		gn, pn = norm(gn), norm(pn)
		pn = renameIndex(gn, pn)
		verdict = c.compare(gn, pn)
		if verdict == cEqual && !curve && coordinatesDiffer(og, op) {
			// y = 3 against x = 3: two different lines
			verdict, c.reason = cUnsure, "the same value for different coordinates"
		}
		if verdict == cEqual && !c.inGivenOrder(og, op) {
			// x = 1, y = 2 against 2, 1: the names fix an order the bare list breaks
			verdict, c.reason = cUnsure, "assignments against a bare list in another order"
		}
	}
	res.GoldParsed, res.PredParsed = gn.String(), pn.String()
	switch verdict {
	case cEqual:
		res.Verdict, res.Reason = Equal, "equivalent"
		gc, gProse := splitConds(dropAnnotations(gProse))
		pc, pProse := splitConds(pProse)
		gw, gu := splitUnits(gProse)
		pw, pu := splitUnits(pProse)
		if condsConflict(gc, pc) {
			// f(x) = x^c for some c > 0 against ... for some c > 1
			res.Verdict, res.Reason = Unsure, "same value, different conditions"
		} else if proseKey(gw) != proseKey(pw) && !(onlyExtremum(gw) && proseKey(pw) == "" || onlyExtremum(pw) && proseKey(gw) == "") {
			// "n is even" against "n is odd": the words decide, not the value
			res.Verdict, res.Reason = Unsure, "same value, different words around it"
		} else if gu != "" && pu != "" && gu != pu {
			// 5 cm against 5 m: the same number of another unit of the same
			// kind is another quantity; other pairs of units go to the judge
			res.Verdict, res.Reason = Unsure, "same value, different units"
			if unitsConflict(gu, pu) && !(gn.k == kNum && gn.num.Sign() == 0) {
				res.Verdict, res.Reason = Different, "same number, another unit of the same kind"
			}
		} else if conjunctionsDiffer(cg, cp) {
			// x < -1 or x > 3 against x < -1 and x > 3
			res.Verdict, res.Reason = Unsure, "inequalities joined by \"and\" on one side, \"or\" on the other"
		} else if aroundNumber != "" && !onlyFillerAround(aroundNumber) {
			// \lim_{x\to 5} f(x), \{1, 2, \ldots, 3\}, "not 5": the number
			// taken from an answer that does not parse is not its value
			res.Verdict, res.Reason = Unsure, "number taken from an answer that does not parse"
		}
	case cDiff:
		res.Verdict, res.Reason = Different, c.reason
		if res.Reason == "" {
			res.Reason = "different"
		}
		_, gw := splitConds(dropAnnotations(gProse))
		_, pw := splitConds(pProse)
		_, gu := splitUnits(gw)
		_, pu := splitUnits(pw)
		if v, why, ok := c.compareUnits(gn, pn, gu, pu); ok {
			// 1.5 hours against 90 minutes: the values differ, the quantities may not
			res.Verdict, res.Reason = v, why
		}
		if aroundNumber != "" && !onlyFillerAround(aroundNumber) {
			// \{x \mid x = \frac{\pi}{4} + k\pi\}: a number picked out of an
			// answer that does not parse says nothing against the gold either
			res.Verdict, res.Reason = Unsure, "number taken from an answer that does not parse"
		}
	default:
		res.Verdict, res.Reason = Unsure, c.reason
		if res.Reason == "" {
			res.Reason = "not decided"
		}
	}
	if ctx.Err() != nil && res.Verdict != Different {
		res.Verdict, res.Reason = Unsure, "deadline"
	}
	return res
}

// renameIndex renames the integer parameter of a family of angles
// (\frac{\pi}{6} + n\pi against \frac{\pi}{6} + k\pi): when each side has
// one variable, k, n or m, and both contain π, p's is renamed to g's.
func renameIndex(g, p *node) *node {
	gv, pv := map[string]bool{}, map[string]bool{}
	collectVars(g, gv)
	collectVars(p, pv)
	index := func(vs map[string]bool) string {
		if len(vs) != 1 {
			return ""
		}
		for v := range vs {
			if v == "k" || v == "n" || v == "m" {
				return v
			}
		}
		return ""
	}
	a, b := index(gv), index(pv)
	if a == "" || b == "" || a == b || !hasPi(g) || !hasPi(p) {
		return p
	}
	return renameVars(p, map[string]string{b: a})
}

// hasPi reports π in n.
func hasPi(n *node) bool {
	if n.k == kConst && n.name == "pi" {
		return true
	}
	for _, a := range n.args {
		if hasPi(a) {
			return true
		}
	}
	return false
}

// onlyExtremum reports dropped words that only name the value asked for
// ("minimum", "maximum value"): against a bare value they say nothing,
// though "minimum" against "maximum" still differs.
func onlyExtremum(words []string) bool {
	k := proseKey(words)
	if k == "" {
		return false
	}
	for _, w := range strings.Fields(k) {
		switch w {
		case "minimum", "maximum", "min", "max", "smallest", "largest", "least", "greatest", "value", "possible":
		default:
			return false
		}
	}
	return true
}

// dropAnnotations drops the gold's words in parentheses, which annotate
// its values: 4122 \text{ (minimum)}, 6049 \text{ (maximum)}.
func dropAnnotations(words []string) []string {
	var out []string
	for _, w := range words {
		t := strings.TrimSpace(w)
		if strings.HasPrefix(t, "(") && strings.HasSuffix(t, ")") && strings.Count(t, "(") == 1 {
			continue
		}
		out = append(out, w)
	}
	return out
}

// conjunctionsDiffer reports inequalities joined by "and" on one side and
// by "or" (or a union) on the other.
func conjunctionsDiffer(g, p string) bool {
	conj := func(s string) string {
		l := strings.ToLower(s)
		if !strings.ContainsAny(l, "<>") && !strings.Contains(l, `\le`) && !strings.Contains(l, `\ge`) && !strings.Contains(l, `\cup`) {
			return ""
		}
		and := containsWordFold(l, "and") || strings.Contains(l, `\land`) || strings.Contains(l, `\wedge`) || strings.Contains(l, `\cap`)
		or := containsWordFold(l, "or") || strings.Contains(l, `\lor`) || strings.Contains(l, `\vee`) || strings.Contains(l, `\cup`)
		switch {
		case and && !or:
			return "and"
		case or && !and:
			return "or"
		}
		return ""
	}
	a, b := conj(g), conj(p)
	return a != "" && b != "" && a != b
}

// containsWordFold reports the lower-case word w in the lower-case text t.
func containsWordFold(t, w string) bool {
	for i := 0; ; {
		j := strings.Index(t[i:], w)
		if j < 0 {
			return false
		}
		j += i
		if (j == 0 || !isLetter(t[j-1])) && (j+len(w) == len(t) || !isLetter(t[j+len(w)])) {
			return true
		}
		i = j + 1
	}
}

// onlyFillerAround reports text around a number made only of filler
// words, units, currency signs and punctuation ("the number is 1,000.99€").
func onlyFillerAround(s string) bool {
	for _, w := range strings.FieldsFunc(strings.ToLower(s), func(r rune) bool {
		return strings.ContainsRune(" \t\n.,:;!?$€£¥%()\"'", r)
	}) {
		if !fillerWords[w] && !unitWords[w] {
			return false
		}
	}
	return true
}

// fillerWords carry no meaning around an answer ("the answer is 5").
var fillerWords = map[string]bool{
	"the": true, "a": true, "an": true, "answer": true, "answers": true, "is": true, "are": true, "final": true,
	"so": true, "thus": true, "therefore": true, "hence": true, "value": true, "values": true, "of": true,
	"total": true, "number": true, "result": true, "we": true, "get": true, "have": true, "equals": true,
	"equal": true, "to": true, "be": true, "will": true, "would": true, "which": true, "that": true,
	"required": true, "desired": true, "only": true, "solution": true, "solutions": true, "unique": true,
	"pair": true, "pairs": true, "triple": true, "triples": true, "ordered": true, "possible": true, "minimum": false, "exactly": true, "about": false, "approximately": false,
}

// splitConds separates the skipped conditions among dropped words.
func splitConds(words []string) (string, []string) {
	var conds []string
	var rest []string
	for _, w := range words {
		if c, ok := strings.CutPrefix(w, condPrefix); ok {
			conds = append(conds, c)
		} else {
			rest = append(rest, w)
		}
	}
	return strings.Join(conds, "\x00"), rest
}

// condsConflict reports two sets of conditions written alike whose
// numbers, constants or relations differ ("c > 0" against "c > 1" or "c \ge 0",
// "n+1 is prime" against "n+2 is prime"). Conditions worded differently
// are left alone: they are mostly the same condition rephrased.
func condsConflict(gc, pc string) bool {
	if gc == "" || pc == "" || gc == pc {
		return false
	}
	ga, pa := strings.Split(gc, "\x00"), strings.Split(pc, "\x00")
	if len(ga) != len(pa) {
		return false
	}
	num, op, cst := fmt.Sprintf("%d:", tNum), fmt.Sprintf("%d:", tOp), fmt.Sprintf("%d:", tConst)
	valueTok := func(t string) bool {
		return strings.HasPrefix(t, num) || strings.HasPrefix(t, op) || strings.HasPrefix(t, cst)
	}
	conflict := false
	for i := range ga {
		gt, pt := strings.Split(ga[i], "\x01"), strings.Split(pa[i], "\x01")
		if len(gt) != len(pt) {
			return false
		}
		for j := range gt {
			if gt[j] == pt[j] {
				continue
			}
			if !valueTok(gt[j]) || !valueTok(pt[j]) {
				return false
			}
			conflict = true
		}
	}
	return conflict
}

// splitUnits separates the units among dropped words.
func splitUnits(words []string) ([]string, string) {
	var prose, units []string
	for _, w := range words {
		if u, ok := strings.CutPrefix(w, unitPrefix); ok {
			units = append(units, u)
		} else {
			prose = append(prose, w)
		}
	}
	return prose, strings.Join(units, " ")
}

// namedValues reads a list of assignments with distinct names
// ("a = 2, b = 3") and returns the sorted names and their values in that
// order; names is "" for anything else.
func namedValues(n *node) (string, []*node) {
	if n.k != kList || len(n.args) < 2 {
		return "", nil
	}
	byName := map[string]*node{}
	var names []string
	for _, a := range n.args {
		if a.k != kRel || len(a.ops) != 1 || a.ops[0] != "=" || !nameLike(a.args[0]) {
			return "", nil
		}
		name := a.args[0].String()
		if _, dup := byName[name]; dup {
			return "", nil
		}
		byName[name] = norm(a.args[1])
		names = append(names, name)
	}
	sort.Strings(names)
	vals := make([]*node, len(names))
	for i, name := range names {
		vals[i] = byName[name]
	}
	return strings.Join(names, "\x00"), vals
}

// alignIndex reads g = "a_n = f(n)" and p = "a_{n+1} = h(n)" (one name,
// two different index expressions) as f(n+1) and h(n): the index of one
// side, when it is a bare variable, is replaced by the other side's. ok is
// false when the sides are not such a pair; g2 is then nil, unless they
// are such a pair but neither index is a bare variable.
func alignIndex(g, p *node) (g2, p2 *node, ok bool) {
	lhs := func(n *node) (*node, bool) {
		if n.k != kRel || len(n.ops) != 1 || n.ops[0] != "=" || n.args[0].k != kApply || len(n.args[0].args) != 1 ||
			!strings.HasSuffix(n.args[0].name, "_") {
			return nil, false
		}
		return n.args[0], true
	}
	lg, ok1 := lhs(g)
	lp, ok2 := lhs(p)
	if !ok1 || !ok2 || lg.name != lp.name || lg.args[0].String() == lp.args[0].String() {
		return nil, nil, false
	}
	ig, ip := lg.args[0], lp.args[0]
	switch {
	case ig.k == kVar:
		return substVar(g.args[1], ig.name, ip), p.args[1], true
	case ip.k == kVar:
		return g.args[1], substVar(p.args[1], ip.name, ig), true
	}
	return g, p, false
}

// substVar replaces the variable v in n by the expression by.
func substVar(n *node, v string, by *node) *node {
	return mapVars(n, func(x *node) *node {
		if x.name == v {
			return by
		}
		return x
	})
}

// alignTupleNames reorders p = "(b, a) = (3, 2)" into "(a, b) = (2, 3)"
// when g names the same distinct variables in another order; the names,
// not the positions, say which value is which. Anything else is p as is.
func alignTupleNames(g, p *node) *node {
	names := func(n *node) ([]string, *node, bool) {
		if n.k != kRel || len(n.ops) != 1 || n.ops[0] != "=" || n.args[0].k != kTuple || n.args[1].k != kTuple ||
			len(n.args[0].args) != len(n.args[1].args) {
			return nil, nil, false
		}
		var out []string
		for _, a := range n.args[0].args {
			if a.k != kVar {
				return nil, nil, false
			}
			out = append(out, a.name)
		}
		return out, n.args[1], true
	}
	gn, _, ok1 := names(g)
	pn, pv, ok2 := names(p)
	if !ok1 || !ok2 || len(gn) != len(pn) || strings.Join(gn, ",") == strings.Join(pn, ",") {
		return p
	}
	at := map[string]int{}
	for i, v := range pn {
		if _, dup := at[v]; dup {
			return p
		}
		at[v] = i
	}
	left := &node{k: kTuple}
	right := &node{k: kTuple, amb: pv.amb}
	for _, v := range gn {
		i, ok := at[v]
		if !ok {
			return p
		}
		left.args = append(left.args, p.args[0].args[i])
		right.args = append(right.args, pv.args[i])
	}
	return &node{k: kRel, ops: p.ops, args: []*node{left, right}}
}

// coordinatesDiffer reports x = a against y = a (or z = a): the same
// value given for different coordinates, a different line or plane; and
// |x| = a against x = a.
func coordinatesDiffer(g, p *node) bool {
	coord := func(n *node) string {
		if n.k == kRel && len(n.ops) == 1 && n.ops[0] == "=" && n.args[0].k == kVar {
			switch n.args[0].name {
			case "x", "y", "z":
				return n.args[0].name
			}
		}
		if n.k == kRel && len(n.ops) == 1 && n.ops[0] == "=" && n.args[0].k == kMul && len(n.args[0].args) <= 3 {
			// xy = 0 against y = 0: a product of coordinates is not one
			var name []byte
			for _, a := range n.args[0].args {
				if a.k != kVar || a.name != "x" && a.name != "y" && a.name != "z" {
					return ""
				}
				name = append(name, a.name[0])
			}
			sort.Slice(name, func(i, j int) bool { return name[i] < name[j] }) // xy = 2 against yx = 2: the same product
			return string(name)
		}
		if n.k == kRel && len(n.ops) == 1 && n.ops[0] == "=" && n.args[0].k == kFunc && (n.args[0].name == "min" || n.args[0].name == "max") {
			return n.args[0].name // \min f = -1 against \max f = -1
		}
		return ""
	}
	a, b := coord(g), coord(p)
	if a != "" && b != "" && a != b {
		return true
	}
	// |x| = 2 against x = 2: the modulus of a variable is not the variable
	absOf := func(x, y *node) bool {
		return x.k == kRel && y.k == kRel && len(x.ops) == 1 && len(y.ops) == 1 && x.ops[0] == "=" && y.ops[0] == "=" &&
			x.args[0].k == kFunc && x.args[0].name == "abs" && len(x.args[0].args) == 1 &&
			x.args[0].args[0].k == kVar && y.args[0].k == kVar && x.args[0].args[0].name == y.args[0].name
	}
	return absOf(g, p) || absOf(p, g)
}

// inGivenOrder reports false when one side is a list of assignments with
// distinct names (a = 1, b = 2) and the other a bare list of as many values
// that does not match them in the order written.
func (c *comparer) inGivenOrder(g, p *node) bool {
	gNames, _ := namedValues(g)
	pNames, _ := namedValues(p)
	if (gNames == "") == (pNames == "") {
		return true
	}
	named, bare := g, p
	if gNames == "" {
		named, bare = p, g
	}
	if bare.k != kList || len(bare.args) != len(named.args) {
		return true
	}
	vals := make([]*node, len(named.args))
	for i, a := range named.args {
		vals[i] = norm(a.args[1])
	}
	bv := make([]*node, len(bare.args))
	for i, a := range bare.args {
		bv[i] = norm(a)
	}
	reason := c.reason
	ok := c.ordered(vals, bv) == cEqual
	c.reason = reason
	return ok
}

// isFunctionAnswer reports a gold that defines functions (f(x) = cx + d),
// whose other letters are arbitrary constants.
func isFunctionAnswer(n *node) bool {
	switch n.k {
	case kRel:
		return len(n.ops) == 1 && n.ops[0] == "=" && n.args[0].k == kApply
	case kList:
		defs := 0
		for _, a := range n.args {
			switch {
			case isNumberSetMembership(a):
			case isFunctionAnswer(a):
				defs++
			default:
				return false
			}
		}
		return defs > 0
	}
	return false
}

// functionArgs collects the variables in the arguments of functions
// defined by n (the x of f(x) = ...).
func functionArgs(n *node) map[string]bool {
	out := map[string]bool{}
	var walk func(*node)
	walk = func(n *node) {
		switch n.k {
		case kRel:
			if len(n.args) > 0 && n.args[0].k == kApply {
				for _, a := range n.args[0].args {
					collectVars(a, out)
				}
			}
		case kList:
			for _, a := range n.args {
				walk(a)
			}
		}
	}
	walk(n)
	return out
}

// proseKey is the lower-cased meaningful words of dropped text.
func proseKey(words []string) string {
	var b strings.Builder
	for _, w := range words {
		for _, f := range strings.FieldsFunc(asciiLower(w), func(r rune) bool { return !(r >= 'a' && r <= 'z') }) {
			if !fillerWords[f] {
				b.WriteString(f)
				b.WriteByte(' ')
			}
		}
	}
	return b.String()
}

// choiceWrapping is what may stand around and between the letters of a
// multiple-select answer.
var choiceWrapping = strings.NewReplacer(`\text`, "", `\textbf`, "", `\mathrm`, "", `\mathbf`, "", "{", "", "}", "",
	"(", "", ")", "", ",", "", " ", "", "~", "", `\,`, "", `\quad`, "", "and", "", "&", "")

// choiceLetters reads a multiple-select answer of two to five distinct
// letters A to E (ACD, "A, C, D", \text{B and D}, (A)(C)) and returns them
// sorted.
func choiceLetters(s string) (string, bool) {
	t := choiceWrapping.Replace(s)
	if len(t) < 2 || len(t) > 5 {
		return "", false
	}
	b := []byte(t)
	sort.Slice(b, func(i, j int) bool { return b[i] < b[j] })
	for i, c := range b {
		if c < 'A' || c > 'E' || i > 0 && b[i-1] == c {
			return "", false
		}
	}
	return string(b), true
}

// choiceLetter reads a multiple-choice answer: "C", "(C)", "\text{(C)}",
// and for the prediction also "(C) 12" or "C. 12". Only A to E count.
func choiceLetter(s string, bare bool) (string, bool) {
	t := strings.TrimSpace(textWrappersSpaced.Replace(s))
	t = strings.TrimPrefix(t, `\mathbf`)
	t = strings.TrimSpace(t)
	for _, w := range choicePrefixes {
		// "Option A", "the correct option is (C)": the words name the choice
		if len(t) > len(w) && strings.EqualFold(t[:len(w)], w) {
			t = strings.TrimSpace(t[len(w):])
			break
		}
	}
	paren := strings.HasPrefix(t, "(")
	if paren {
		t = t[1:]
	}
	if t == "" || t[0] < 'A' || t[0] > 'E' {
		return "", false
	}
	l := t[:1]
	rest := t[1:]
	if paren {
		if !strings.HasPrefix(rest, ")") {
			return "", false
		}
		rest = rest[1:]
	}
	rest = strings.TrimSpace(rest)
	if rest == "" {
		return l, true
	}
	if bare || strings.ContainsRune("+-*/^=_", rune(rest[0])) {
		return "", false // (C)+1 is not the choice C
	}
	if paren || rest[0] == '.' || rest[0] == ':' || rest[0] == ')' {
		if moreChoices(rest) {
			return "", false // (A) or (B): not one choice
		}
		return l, true
	}
	return "", false
}

// choicePrefixes are words that introduce a choice letter, longest first.
var choicePrefixes = []string{"the correct option is ", "the correct answer is ", "the correct choice is ",
	"the answer is ", "option ", "choice "}

// moreChoices reports another choice letter "(B)" in the rest of an answer.
func moreChoices(rest string) bool {
	for i := 0; i+2 < len(rest); i++ {
		if rest[i] == '(' && rest[i+1] >= 'A' && rest[i+1] <= 'E' && rest[i+2] == ')' {
			return true
		}
	}
	return false
}

// choiceValue returns the value after a choice letter: "\textbf{(D)}\ 7" -> "7".
func choiceValue(s string) (string, bool) {
	t := strings.TrimSpace(s)
	for _, w := range []string{`\textbf{`, `\text{`, `\mathrm{`} {
		if strings.HasPrefix(t, w) {
			end := strings.IndexByte(t, '}')
			if end < 0 {
				return "", false
			}
			inner := strings.TrimSpace(t[len(w):end])
			rest := strings.TrimSpace(t[end+1:])
			if len(inner) == 3 && inner[0] == '(' && inner[2] == ')' && inner[1] >= 'A' && inner[1] <= 'E' && rest != "" {
				return strings.TrimSpace(strings.TrimPrefix(rest, `\ `)), true
			}
			return "", false
		}
	}
	if len(t) > 4 && t[0] == '(' && t[2] == ')' && t[1] >= 'A' && t[1] <= 'E' {
		return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(t[3:]), `\ `)), true
	}
	if len(t) > 3 && t[0] >= 'A' && t[0] <= 'E' && (t[1] == '.' || t[1] == ':' || t[1] == ')') && t[2] == ' ' {
		// B. 12, B: 12, B) 12
		return strings.TrimSpace(t[3:]), true
	}
	return "", false
}

// yesNo reads answers that start with the word yes or no ("No such function
// exists", "\text{Yes}").
func yesNo(s string) (string, bool) {
	t := strings.ToLower(strings.TrimSpace(textWrappersSpaced.Replace(s)))
	// "There exist no such field." / "No such matrices exist."
	for _, neg := range []string{"there is no ", "there are no ", "there exist no ", "there exists no ",
		"there does not exist", "there do not exist", "there is not ", "there are not ", "no such "} {
		if strings.HasPrefix(t, neg) {
			return "no", true
		}
	}
	i := 0
	for i < len(t) && isLetter(t[i]) {
		i++
	}
	w := t[:i]
	if w != "yes" && w != "no" {
		return "", false
	}
	if i < len(t) {
		switch t[i] {
		case ' ', ',', '.', '!', ';', ':', '}':
		default:
			return "", false
		}
	}
	return w, true
}

// mixedYesNo reports an answer that starts with yes (no) and also gives
// the other word on its own ("Yes and no", "Yes, No"), not as a
// determiner ("Yes, no two faces ...").
func mixedYesNo(s, first string) bool {
	t := strings.ToLower(strings.TrimSpace(textWrappersSpaced.Replace(s)))
	w := map[string]string{"yes": "no", "no": "yes"}[first]
	for i := len(first); ; {
		j := strings.Index(t[i:], w)
		if j < 0 {
			return false
		}
		j += i
		end := j + len(w)
		if !isLetter(t[j-1]) && (end == len(t) || strings.IndexByte(" ,.;!", t[end]) >= 0 && (end+1 == len(t) || strings.IndexByte(",.;!", t[end]) >= 0)) {
			return true
		}
		i = j + 1
	}
}

var textWrappersSpaced = strings.NewReplacer(`\text{`, "", `\textbf{`, "", `\mathrm{`, "", `\mbox{`, "", `\textit{`, "", `\textnormal{`, "", "{", "", "}", "")

// decimalComma reports whether a is "1,22" and b is "1.22".
func decimalComma(a, b string) bool {
	i := strings.IndexByte(a, ',')
	if i <= 0 || !allDigits(a[:i]) || !allDigits(a[i+1:]) {
		return false
	}
	return strings.ReplaceAll(a, ",", ".") == b
}

// textWrappers are unwrapped for the text comparison.
var textWrappers = strings.NewReplacer(`\text{`, "", `\textbf{`, "", `\mathrm{`, "", `\mbox{`, "", `\textit{`, "", `\textnormal{`, "", `\operatorname{`, "", "{", "", "}", "", " ", "", "~", "")

// textSynonym maps spellings of one text answer (as plainText returns
// them) to one form.
var textSynonym = map[string]string{
	"dne": "dne", "doesnotexist": "dne", "doesntexist": "dne", "itdoesnotexist": "dne", "thelimitdoesnotexist": "dne",
}

// plainText returns the lower-cased letters of an answer made only of
// words (two or more letters, maybe in \text{}), else "".
func plainText(s string) string {
	t := textWrappers.Replace(s)
	letters := 0
	for i := 0; i < len(t); i++ {
		if !isLetter(t[i]) {
			return ""
		}
		letters++
	}
	if letters < 2 {
		return ""
	}
	return strings.ToLower(t)
}

// squash removes spaces and math delimiters for the same-text test.
func squash(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == ' ' || c == '\t' || c == '\n' || c == '$' {
			// "2 3" is not "23": keep one space between digits
			if c != '$' && b.Len() > 0 && isDigit(b.String()[b.Len()-1]) {
				j := i
				for j < len(s) && (s[j] == ' ' || s[j] == '\t' || s[j] == '\n') {
					j++
				}
				if j < len(s) && isDigit(s[j]) {
					b.WriteByte(' ')
				}
				i = j - 1
			}
			continue
		}
		b.WriteByte(c)
	}
	return strings.TrimRight(b.String(), ".")
}

// goldAnswer takes a dataset answer field: boxed answers are unboxed,
// long solutions are searched like generations, math delimiters dropped.
func goldAnswer(gold string) string {
	if strings.Contains(gold, `\boxed`) || strings.Contains(gold, `\fbox`) {
		if a, ok := ExtractAnswer(gold); ok {
			return a
		}
	}
	// a long gold without a box is kept whole unless it states its final
	// answer: picking one formula out of it could drop the alternatives it lists
	if len(gold) > 80 && strings.Count(strings.TrimSpace(gold), " ") > 8 {
		if a, _, ok := finalPhrase(gold); ok {
			return a
		}
	}
	if wordy(gold) {
		// "The smallest integer \( k \) is 2022."
		if _, ok := yesNo(gold); !ok {
			lg := asciiLower(gold)
			if i := strings.LastIndex(lg, " is "); i >= 0 && !inMath(gold, i) {
				rest := stripDelims(strings.TrimSpace(strings.TrimRight(strings.TrimSpace(gold[i+4:]), ".")))
				if !wordy(rest) && !strings.Contains(rest, `\text`) {
					return rest
				}
			}
		}
	}
	return stripDelims(strings.ReplaceAll(strings.ReplaceAll(gold, `\$`, ""), "$", " "))
}

// proseAroundMath reports words outside $...$ (and \(...\), \[...\]) spans
// when the text has such spans: "so $\frac{14}{3}$".
func proseAroundMath(s string) bool {
	if !strings.ContainsAny(s, "$") && !strings.Contains(s, `\(`) && !strings.Contains(s, `\[`) {
		return false
	}
	var out strings.Builder
	in := false
	for i := 0; i < len(s); i++ {
		switch {
		case s[i] == '$':
			in = !in
			continue
		case s[i] == '\\' && i+1 < len(s) && (s[i+1] == '(' || s[i+1] == '['):
			in = true
			i++
			continue
		case s[i] == '\\' && i+1 < len(s) && (s[i+1] == ')' || s[i+1] == ']'):
			in = false
			i++
			continue
		}
		if !in {
			out.WriteByte(s[i])
		}
	}
	for _, w := range strings.FieldsFunc(out.String(), func(r rune) bool { return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z') }) {
		if len(w) >= 2 && !plainWords[asciiLower(w)] {
			return true
		}
	}
	return false
}

// predAnswer takes a generation or a bare answer; fromText reports that
// the answer was found inside a longer text.
func predAnswer(pred string) (string, bool) {
	// a bare answer, however long, is a formula without prose, boxes or
	// think blocks: use it whole ("(1,2),(3,4),…", "$1$ and $2$")
	// (the cheap tests first: a whole generation fails the length test,
	// and lower-casing and scanning it for words cost more than the rest
	// of its check)
	if len(pred) <= 4000 && !strings.Contains(pred, `\boxed`) && !strings.Contains(pred, `\fbox`) && !wordy(pred) &&
		!strings.Contains(asciiLower(pred), "</think>") && !strings.Contains(asciiLower(pred), "answer") && !proseAroundMath(pred) {
		return stripDelims(strings.TrimSpace(pred)), false
	}
	if cutWhileThinking(pred) {
		// A generation cut off inside its think block (finish_reason
		// "length") has no final answer: only a box or an "answer is"
		// phrase counts, never the last number of the musing.
		if a, ok := markedAnswer(pred); ok {
			return a, true
		}
		return "", true
	}
	if a, ok := ExtractAnswer(pred); ok {
		return a, true
	}
	if len(pred) > 200 {
		// the last number of a long text, if it is prose: a long formula's
		// last number is not its value
		if n, ok := lastNumber(afterThink(pred)); ok && wordy(afterThink(pred)) {
			return n, true
		}
		return "", true
	}
	s := stripDelims(strings.TrimSpace(pred))
	if wordy(s) && !strings.Contains(s, "\\") {
		if negatedAfter(s[strings.LastIndexAny(s, "0123456789")+1:]) {
			return "", true // "x = 3 is not a solution": no answer
		}
		if n, ok := lastNumber(s); ok {
			return n, true
		}
	}
	return s, false
}

// cutWhileThinking reports a generation whose think block was opened and
// never closed.
func cutWhileThinking(pred string) bool {
	lp := asciiLower(pred)
	return strings.Contains(lp, "<think>") && !strings.Contains(lp, "</think>")
}
