package verify

import (
	"errors"
	"fmt"
	"math/big"
	"strconv"
	"strings"
)

var (
	errUnsupported = errors.New("unsupported syntax")
	errTooDeep     = errors.New("nesting too deep")
)

// funcLetters are single letters read as function names when followed by '('.
var funcLetters = map[string]bool{"f": true, "g": true, "h": true, "F": true, "G": true, "H": true, "P": true, "Q": true, "W": true}

// connectives separate answers in a list ("6 and 8", "(1,2) or (2,1)").
func isConnective(t token) bool {
	if t.k != tText {
		return false
	}
	w := strings.ToLower(strings.TrimSpace(t.text))
	w = strings.Trim(w, ",.;: ")
	switch w {
	case "and", "or", ",", "", "and also", "as well as":
		return true
	}
	for _, f := range strings.FieldsFunc(w, func(r rune) bool { return r == ' ' || r == ',' || r == ';' || r == ':' }) {
		if f == "and" || f == "or" || f == "otherwise" {
			return true
		}
	}
	return false
}

// isCondition reports a text that starts a condition on the answer
// ("for all x", "where c is a constant"): the rest of that answer is
// skipped up to the next "and"/"or".
func isCondition(t token) bool {
	if t.k != tText || isConnective(t) {
		return false
	}
	w := strings.Trim(strings.ToLower(strings.TrimSpace(t.text)), ",.;: ")
	for _, p := range []string{"for", "where", "when", "whenever", "if", "with", "such that", "provided", "in which", "valid for"} {
		if w == p || strings.HasPrefix(w, p+" ") {
			return true
		}
	}
	return false
}

// skipCondition skips a condition up to the next top-level "and"/"or"
// text, ';' or the end of the enclosing group.
func (p *parser) skipCondition(stop func(token) bool) {
	start := p.pos
	defer func() {
		// keep the condition: two answers with different conditions
		// ("for some c > 0" against "for some c > 1") are not decided
		var b strings.Builder
		for _, t := range p.toks[start:p.pos] {
			fmt.Fprintf(&b, "%d:%s\x01", t.k, strings.ToLower(strings.TrimSpace(t.text)))
		}
		p.prose = append(p.prose, condPrefix+b.String())
	}()
	depth := 0
	for {
		t := p.peek()
		if t.k == tEOF || depth == 0 && (stop(t) || t.k == tOp && t.text == ";") {
			return
		}
		if depth == 0 && t.k == tText && (isConnective(t) && !isCondition(t)) && strings.Trim(strings.ToLower(t.text), " ,.") != "," {
			w := strings.Trim(strings.ToLower(t.text), " ,.;:")
			if w != "" {
				return
			}
		}
		if t.k == tOp {
			switch t.text {
			case "(", "[", "{":
				depth++
			case ")", "]", "}":
				if depth == 0 {
					return
				}
				depth--
			}
		}
		if t.k == tSetOpen {
			depth++
		}
		if t.k == tSetClose {
			if depth == 0 {
				return
			}
			depth--
		}
		p.next()
	}
}

// noteConnective records the words of a connective text that make a
// value a bound or a guess ("4 or more", "4 or fewer", "4 or so"), so
// that an equal verdict needs them on both sides. Other words there are
// still dropped ("pairs where one number is 2 and ...").
func (p *parser) noteConnective(text string) {
	var rest []string
	for _, f := range strings.FieldsFunc(strings.ToLower(text), func(r rune) bool { return r == ' ' || r == ',' || r == ';' || r == ':' || r == '.' }) {
		switch f {
		case "more", "less", "fewer", "greater", "larger", "smaller", "higher", "lower", "bigger",
			"above", "below", "over", "under", "not", "never", "none", "nothing", "no", "so":
			rest = append(rest, f)
		}
	}
	if len(rest) > 0 {
		p.note(strings.Join(rest, " "))
	}
}

type parser struct {
	toks     []token
	pos      int
	depth    int
	maxDepth int
	absDepth int
	prose    []string // words dropped that are not units: an equal verdict needs the same words
}

// note records dropped text: units are ignored, other words are kept in
// p.prose.
func (p *parser) note(text string) {
	if !isUnitText(text) {
		p.prose = append(p.prose, text)
		return
	}
	if u := unitKey(text); u != "" {
		p.prose = append(p.prose, unitPrefix+u)
	}
}

// unitPrefix marks units among the dropped words.
const unitPrefix = "\x00unit:"

// condPrefix marks a skipped condition among the dropped words.
const condPrefix = "\x00cond:"

// unitCanon maps unit spellings to one name; words mapped to "" are not
// compared (percent is handled as a value, counts like "ways" say nothing).
var unitCanon = map[string]string{
	"meter": "m", "meters": "m", "metre": "m", "metres": "m",
	"centimeter": "cm", "centimeters": "cm", "kilometer": "km", "kilometers": "km",
	"second": "s", "seconds": "s", "sec": "s", "secs": "s",
	"hour": "h", "hours": "h", "hr": "h", "hrs": "h",
	"minute": "min", "minutes": "min", "mins": "min",
	"day": "day", "days": "day", "week": "week", "weeks": "week", "year": "year", "years": "year", "month": "month", "months": "month",
	"mile": "mile", "miles": "mile", "foot": "ft", "feet": "ft", "inch": "in", "inches": "in", "yard": "yd", "yards": "yd",
	"gram": "g", "grams": "g", "kilogram": "kg", "kilograms": "kg", "pound": "lb", "pounds": "lb", "lbs": "lb",
	"liter": "l", "liters": "l", "litre": "l", "litres": "l",
	"dollar": "dollar", "dollars": "dollar", "cent": "cent", "cents": "cent", "yuan": "yuan", "euro": "euro", "euros": "euro",
	"degree": "", "degrees": "", "deg": "", "percent": "", "pct": "", "percentage": "", "%": "",
	"unit": "", "units": "", "sq": "", "square": "", "cubic": "", "cu": "",
	"people": "", "persons": "", "students": "", "ways": "", "times": "", "points": "", "pieces": "",
	"numbers": "", "solutions": "", "items": "", "coins": "", "books": "", "cards": "", "games": "", "handshakes": "",
	"rd": "", "th": "", "st": "", "nd": "",
	"celsius": "celsius", "fahrenheit": "fahrenheit", "per": "per", "o'clock": "oclock", "oclock": "oclock",
}

// unitKey is the canonical form of a unit text ("square meters" -> "m").
func unitKey(s string) string {
	exp := ""
	if i := strings.LastIndexByte(s, '^'); i >= 0 && allDigitsStr(s[i+1:]) {
		s, exp = s[:i], s[i:]
	}
	var parts []string
	for _, w := range strings.FieldsFunc(asciiLower(s), func(r rune) bool {
		return r == ' ' || r == '/' || r == '^' || r == '~' || r == '\\' || r >= '0' && r <= '9' || r == '{' || r == '}' || r == '(' || r == ')'
	}) {
		w = strings.Trim(w, ".,")
		if c, ok := unitCanon[w]; ok {
			w = c
		}
		if w != "" {
			parts = append(parts, w)
		}
	}
	if len(parts) == 1 && countNoun(parts[0]) {
		return parts[0] + exp
	}
	if len(parts) == 0 {
		if exp != "" {
			return "unit" + exp // units^2 against units^3
		}
		return ""
	}
	return strings.Join(parts, " ") + exp
}

// unitWords are words read as units of measure (or currency, time of day).
var unitWords = map[string]bool{
	"cm": true, "mm": true, "km": true, "m": true, "kg": true, "g": true, "mg": true, "ml": true, "l": true,
	"s": true, "sec": true, "h": true, "hr": true, "hrs": true, "min": true, "mins": true,
	"mile": true, "miles": true, "meter": true, "meters": true, "metre": true, "metres": true, "feet": true, "foot": true, "ft": true,
	"inch": true, "inches": true, "in": true, "yard": true, "yards": true, "yd": true,
	"hour": true, "hours": true, "minute": true, "minutes": true, "second": true, "seconds": true,
	"day": true, "days": true, "week": true, "weeks": true, "month": true, "months": true, "year": true, "years": true,
	"dollar": true, "dollars": true, "cent": true, "cents": true, "yuan": true, "euro": true, "euros": true, "rubles": true, "rupees": true,
	"degree": true, "degrees": true, "deg": true, "rad": true, "radian": true, "radians": true,
	"unit": true, "units": true, "sq": true, "square": true, "cubic": true, "cu": true,
	"liter": true, "liters": true, "litre": true, "litres": true, "gram": true, "grams": true, "kilogram": true, "kilograms": true,
	"ton": true, "tons": true, "tonnes": true, "pound": true, "pounds": true, "lb": true, "lbs": true, "oz": true, "ounces": true,
	"mph": true, "kmh": true, "kph": true, "percent": true, "pct": true, "percentage": true, "%": true,
	"am": true, "pm": true, "a.m.": true, "p.m.": true, "km/h": true, "m/s": true, "cm^2": true, "cm^3": true, "m^2": true, "m^3": true,
	"people": true, "persons": true, "students": true, "ways": true, "times": true, "points": true, "pieces": true,
	"numbers": true, "solutions": true, "items": true, "coins": true, "books": true, "cards": true, "games": true, "handshakes": true,
	"celsius": true, "fahrenheit": true, "per": true, "o'clock": true, "oclock": true,
	"rd": true, "th": true, "st": true, "nd": true, "dm": true, "ha": true, "w": true, "kw": true, "j": true, "n": true, "v": true, "hz": true,
}

// isUnitText reports text made only of unit words ("cm", "square meters", "km/h").
func isUnitText(s string) bool {
	s = strings.ToLower(strings.TrimSpace(s))
	if s == "" {
		return true
	}
	words := strings.FieldsFunc(s, func(r rune) bool {
		return r == ' ' || r == '/' || r == '^' || r == '~' || r == '\\' || r >= '0' && r <= '9' || r == '{' || r == '}' || r == '(' || r == ')'
	})
	if len(words) == 1 && countNoun(strings.Trim(words[0], ".,")) {
		return true
	}
	for _, w := range words {
		if _, ok := unitCanon[strings.Trim(w, ".,")]; !unitWords[strings.Trim(w, ".,")] && !unitWords[w] && !ok {
			return false
		}
	}
	return true
}

// notCounted are words ending in s that do not name what was counted:
// "5 less", "5 thousands" are not the number 5.
var notCounted = map[string]bool{
	"less": true, "unless": true, "plus": true, "minus": true, "thus": true, "this": true, "always": true,
	"perhaps": true, "sometimes": true, "hundreds": true, "thousands": true, "millions": true, "billions": true,
	"trillions": true, "dozens": true, "tens": true, "besides": true, "towards": true, "afterwards": true,
	"whereas": true, "nevertheless": true, "regardless": true, "does": true, "goes": true, "yes": true,
	"otherwise": true, "lakhs": true, "crores": true, "halves": true, "thirds": true,
	"quarters": true, "fourths": true, "fifths": true, "sixths": true, "sevenths": true, "eighths": true,
	"ninths": true, "tenths": true, "hundredths": true, "thousandths": true, "squares": true, "cubes": true,
	"powers": true, "multiples": true, "factorials": true, "ones": true, "zeros": true, "zeroes": true,
}

// countNoun reports one lower-case plural word naming what a number counts
// ("5 apples", "12 students"). Units of the same value must then match,
// like other units ("5 apples" against "5 pears" is unsure).
func countNoun(w string) bool {
	if len(w) < 4 || !strings.HasSuffix(w, "s") || strings.HasSuffix(w, "ss") || strings.HasSuffix(w, "us") ||
		strings.HasSuffix(w, "is") || notCounted[w] {
		return false
	}
	for i := 0; i < len(w); i++ {
		if w[i] < 'a' || w[i] > 'z' {
			return false
		}
	}
	return true
}

func (p *parser) peek() token { return p.toks[p.pos] }
func (p *parser) peekAt(k int) token {
	if p.pos+k < len(p.toks) {
		return p.toks[p.pos+k]
	}
	return token{k: tEOF}
}
func (p *parser) next() token {
	t := p.toks[p.pos]
	if t.k != tEOF {
		p.pos++
	}
	return t
}
func (p *parser) isOp(s string) bool { t := p.peek(); return t.k == tOp && t.text == s }
func (p *parser) accept(s string) bool {
	if p.isOp(s) {
		p.pos++
		return true
	}
	return false
}

func (p *parser) enter() error {
	p.depth++
	if p.depth > p.maxDepth {
		return errTooDeep
	}
	return nil
}
func (p *parser) leave() { p.depth-- }

// parseAnswer parses a whole answer string (already cleaned).
func parseAnswer(s string, lim Limits) (*node, error) {
	n, _, err := parseAnswerProse(s, lim)
	return n, err
}

// parseAnswerProse also returns the words dropped around the value that
// are not units.
func parseAnswerProse(s string, lim Limits) (*node, []string, error) {
	s = bareWordsAsText(s)
	toks, err := lex(s, lim.MaxTokens)
	if err != nil {
		return nil, nil, err
	}
	// an answer made only of text (and connectives) is a text answer
	allText := true
	for _, t := range toks {
		if t.k != tText && t.k != tEOF && !(t.k == tOp && (t.text == "," || t.text == "." || t.text == "(" || t.text == ")")) {
			allText = false
			break
		}
	}
	// prose outside \text{}: "There are no integral solutions.", and single
	// answer words written without \text{}: three, odd, true
	if !allText && (wordy(s) && proseOutsideText(s) || answerWord(s)) {
		allText = true
		toks = []token{{tText, s}, {tEOF, ""}}
	}
	if allText {
		var parts []string
		for _, t := range toks {
			if t.k != tEOF {
				parts = append(parts, t.text)
			}
		}
		return &node{k: kText, name: strings.Join(parts, " ")}, nil, nil
	}
	p := &parser{toks: toks, maxDepth: lim.MaxDepth}
	n, err := p.parseList(func(t token) bool { return t.k == tEOF })
	if err != nil {
		return nil, nil, err
	}
	if p.peek().k != tEOF {
		return nil, nil, fmt.Errorf("%w: unexpected %q", errUnsupported, p.peek().text)
	}
	return n, p.prose, nil
}

// parseList parses elements separated by , ; and connectives until stop.
func (p *parser) parseList(stop func(token) bool) (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	var items []*node
	var groups [][]*node // items split at ';' when both ',' and ';' are used
	semi, comma, sawOr := false, false, false
	for {
		for p.isOp(",") || p.isOp(";") || p.isOp("&") || p.peek().k == tRowSep || isConnective(p.peek()) {
			t := p.next()
			if t.k == tOp && t.text == ";" {
				semi = true
				if len(items) > 0 && (len(groups) == 0 || len(items) > countItems(groups)) {
					groups = append(groups, items[countItems(groups):])
				}
			} else {
				comma = true
				if t.k == tText {
					p.noteConnective(t.text)
					if containsWordFold(strings.ToLower(t.text), "or") {
						sawOr = true
					}
				}
			}
		}
		if len(items) > 0 && isCondition(p.peek()) {
			// f(x) = x \quad \text{for all } x: a condition after a separator
			p.skipCondition(stop)
			continue
		}
		if stop(p.peek()) {
			break
		}
		if p.peek().k == tEOF {
			return nil, fmt.Errorf("%w: unclosed group", errUnsupported)
		}
		start := p.pos
		n, err := p.parseIn()
		if err != nil {
			return nil, err
		}
		if p.pos == start {
			return nil, fmt.Errorf("%w: unexpected %q", errUnsupported, p.peek().text)
		}
		items = append(items, n)
		if isCondition(p.peek()) {
			p.skipCondition(stop)
		}
		if !(p.isOp(",") || p.isOp(";") || p.isOp("&") || p.peek().k == tRowSep || isConnective(p.peek()) || stop(p.peek())) {
			return nil, fmt.Errorf("%w: unexpected %q", errUnsupported, p.peek().text)
		}
	}
	if semi && comma && len(items) > countItems(groups) {
		groups = append(groups, items[countItems(groups):])
	}
	if semi && comma && len(groups) > 1 {
		out := &node{k: kList}
		for _, g := range groups {
			if len(g) == 1 {
				out.args = append(out.args, g[0])
			} else {
				out.args = append(out.args, &node{k: kTuple, args: g})
			}
		}
		return out, nil
	}
	if len(items) == 1 {
		return items[0], nil
	}
	return &node{k: kList, args: items, or: sawOr}, nil
}

// isIntLit reports an integer literal written without a decimal point.
func isIntLit(n *node) bool {
	return n.k == kNum && n.dec < 0 && n.num.IsInt() && !n.pct && !n.deg
}

// proseOutsideText reports two or more plain words of three or more
// letters that are neither commands nor inside \text{}-like groups.
func proseOutsideText(s string) bool {
	n := 0
	depthText := 0 // > 0 inside a text group (approximation: until the next '}')
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\\' {
			j := i + 1
			for j < len(s) && isLetter(s[j]) {
				j++
			}
			name := s[i+1 : j]
			if strings.HasPrefix(name, "text") || name == "mbox" || name == "mathrm" || name == "operatorname" || name == "begin" || name == "end" || strings.HasPrefix(name, "math") {
				depthText++
			}
			i = j - 1
			continue
		}
		if c == '}' && depthText > 0 {
			depthText--
			continue
		}
		if !isLetter(c) || depthText > 0 {
			continue
		}
		j := i
		for j < len(s) && isLetter(s[j]) {
			j++
		}
		w := s[i:j]
		if len(w) >= 3 {
			if _, f := knownFuncs[w]; !f && !plainWords[asciiLower(w)] {
				n++
			}
		}
		i = j - 1
	}
	return n >= 2
}

// answerWord reports a whole answer that is one common answer word.
func answerWord(s string) bool {
	w := strings.Trim(asciiLower(strings.TrimSpace(s)), ".")
	if _, ok := wordNumbers[w]; ok {
		return true
	}
	switch w {
	case "odd", "even", "true", "false", "none", "neither", "both", "always", "never", "yes", "no", "impossible", "infinite", "infinitely", "finite":
		return true
	}
	return false
}

func countItems(groups [][]*node) int {
	n := 0
	for _, g := range groups {
		n += len(g)
	}
	return n
}

func (p *parser) parseIn() (*node, error) {
	l, err := p.parseRel()
	if err != nil {
		return nil, err
	}
	if p.accept("in") {
		r, err := p.parseRel()
		if err != nil {
			return nil, err
		}
		return &node{k: kIn, args: []*node{l, r}}, nil
	}
	return l, nil
}

func relOp(t token) (string, bool) {
	if t.k != tOp {
		return "", false
	}
	switch t.text {
	case "=", "<", ">", "<=", ">=", "!=", "approx":
		return t.text, true
	}
	return "", false
}

func (p *parser) parseRel() (*node, error) {
	l, err := p.parseUnion()
	if err != nil {
		return nil, err
	}
	op, ok := relOp(p.peek())
	if !ok {
		return l, nil
	}
	rel := &node{k: kRel, args: []*node{l}}
	for ok {
		p.next()
		r, err := p.parseUnion()
		if err != nil {
			return nil, err
		}
		rel.args = append(rel.args, r)
		rel.ops = append(rel.ops, op)
		op, ok = relOp(p.peek())
	}
	return rel, nil
}

// realsMinus names a union read from \mathbb{R} \setminus \{a\}, a number
// set like \mathbb{R} in a condition.
const realsMinus = `\mathbb{R} \setminus`

func (p *parser) parseUnion() (*node, error) {
	l, err := p.parseRatio()
	if err != nil {
		return nil, err
	}
	if p.isOp("setminus") && isRealLine(l) {
		// \mathbb{R} \setminus \{a\}: (-oo, a) U (a, oo)
		p.next()
		r, err := p.parseRatio()
		if err != nil {
			return nil, err
		}
		if r.k != kSet || len(r.args) != 1 {
			return nil, fmt.Errorf("%w: set difference", errUnsupported)
		}
		a := r.args[0]
		return &node{k: kUnion, name: realsMinus, args: []*node{
			{k: kInterval, args: []*node{{k: kNeg, args: []*node{{k: kInf}}}, a}},
			{k: kInterval, args: []*node{a, {k: kInf}}},
		}}, nil
	}
	if !p.isOp("U") {
		return l, nil
	}
	u := &node{k: kUnion, args: []*node{l}}
	for p.accept("U") {
		r, err := p.parseRatio()
		if err != nil {
			return nil, err
		}
		u.args = append(u.args, r)
	}
	return u, nil
}

func (p *parser) parseRatio() (*node, error) {
	first := p.peek()
	start := p.pos
	l, err := p.parseSum()
	if err != nil {
		return nil, err
	}
	if !p.isOp(":") {
		return l, nil
	}
	leftOne := p.pos == start+1
	r := &node{k: kRatio, args: []*node{l}}
	for p.accept(":") {
		second := p.peek()
		x, err := p.parseSum()
		if err != nil {
			return nil, err
		}
		r.args = append(r.args, x)
		// 3:30 is a time of day, not a ratio equal to 1:10
		r.amb = len(r.args) == 2 && leftOne && clockLike(first, second)
	}
	return r, nil
}

// clockLike reports hours and minutes of a time: 1 or 2 digits, then
// exactly 2 digits below 60.
func clockLike(h, m token) bool {
	return h.k == tNum && m.k == tNum && len(h.text) <= 2 && allDigitsStr(h.text) &&
		len(m.text) == 2 && allDigitsStr(m.text) && m.text[0] <= '5'
}

func (p *parser) parseSum() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	l, err := p.parseTerm()
	if err != nil {
		return nil, err
	}
	terms := []*node{l}
	var pm *node
	for {
		switch {
		case p.isOp("+"):
			p.next()
			r, err := p.parseTerm()
			if err != nil {
				return nil, err
			}
			terms = append(terms, r)
		case p.isOp("-"):
			p.next()
			r, err := p.parseTerm()
			if err != nil {
				return nil, err
			}
			terms = append(terms, &node{k: kNeg, args: []*node{r}})
		case p.isOp("pm") || p.isOp("mp"):
			if pm != nil {
				return nil, fmt.Errorf("%w: two ± signs", errUnsupported)
			}
			neg := p.next().text == "mp"
			r, err := p.parseTerm()
			if err != nil {
				return nil, err
			}
			if neg {
				r = &node{k: kNeg, args: []*node{r}}
			}
			pm = r
		default:
			var base *node
			if len(terms) == 1 {
				base = terms[0]
			} else {
				base = &node{k: kAdd, args: terms}
			}
			if pm != nil {
				return &node{k: kPM, args: []*node{base, pm}}, nil
			}
			return base, nil
		}
	}
}

// startsFactor reports whether t can begin an implicitly multiplied factor.
func (p *parser) startsFactor(t token) bool {
	switch t.k {
	case tNum, tIdent, tConst, tFunc, tFloorL, tCeilL, tSetOpen, tInf, tBeginMat:
		return true
	case tCmd:
		return t.text == "frac" || t.text == "sqrt" || t.text == "binom"
	case tOp:
		switch t.text {
		case "(", "{":
			return true
		case "[":
			return false
		case "|":
			return p.absDepth == 0
		}
	}
	return false
}

func (p *parser) parseTerm() (*node, error) {
	l, err := p.parseUnary()
	if err != nil {
		return nil, err
	}
	factors := []*node{l}
	for {
		t := p.peek()
		switch {
		case t.k == tOp && (t.text == "*"):
			p.next()
			r, err := p.parseUnary()
			if err != nil {
				return nil, err
			}
			factors = append(factors, r)
		case t.k == tOp && t.text == "/" && p.peekAt(1).k == tText && !isConnective(p.peekAt(1)):
			p.pos += 2 // km / h
			p.note(p.toks[p.pos-1].text + p.skipUnitTail())
		case t.k == tOp && t.text == "/":
			p.next()
			r, err := p.parseUnary()
			if err != nil {
				return nil, err
			}
			num := factors[0]
			if len(factors) > 1 {
				num = &node{k: kMul, args: factors}
			}
			factors = []*node{{k: kDiv, args: []*node{num, r}}}
		case isCondition(t):
			if len(factors) == 1 {
				return factors[0], nil
			}
			return &node{k: kMul, args: factors}, nil
		case t.k == tText && !isConnective(t) && scaleWords[asciiLower(strings.TrimSpace(t.text))] != 0 && len(factors) == 1 && isScalarLit(factors[0]):
			// 1.5 million
			p.next()
			scale := new(big.Rat).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(scaleWords[asciiLower(strings.TrimSpace(t.text))]), nil))
			factors[0] = &node{k: kMul, args: []*node{factors[0], numNode(scale)}}
		case t.k == tText && !isConnective(t):
			p.next() // a unit after a value, or words the checker ignores
			p.note(t.text + p.skipUnitTail())
			switch asciiLower(strings.TrimSpace(t.text)) {
			case "degrees", "degree", "deg":
				factors[len(factors)-1].deg = true
			case "percent", "pct", "percentage":
				// 25 percent is 25%
				factors[len(factors)-1].pct = true
			case "rad", "radian", "radians":
				factors[len(factors)-1].rad = true
			}

		case p.startsFactor(t):
			if t.k == tNum && len(factors) == 1 && factors[0].deg && p.peekAt(1).k == tOp && p.peekAt(1).text == "'" {
				// 30^\circ 15': minutes (and seconds) of arc
				factors[0] = p.arcMinutes(factors[0])
				continue
			}
			if t.k == tNum && p.pos > 0 && p.toks[p.pos-1].k == tNum && len(factors) == 1 {
				// 4 4/9: a mixed number written in plain text
				if m, ok := p.plainMixed(factors[0]); ok {
					factors[0] = m
					continue
				}
			}
			if t.k == tNum && p.pos > 0 && p.toks[p.pos-1].k == tNum {
				// "2 3" is not 2·3: two numbers side by side are not read
				return nil, fmt.Errorf("%w: two numbers side by side", errUnsupported)
			}
			r, err := p.parsePower()
			if err != nil {
				return nil, err
			}
			// a mixed number: 2\frac{1}{2} is 5/2
			if len(factors) == 1 && t.k == tCmd && t.text == "frac" && r.k == kDiv &&
				isIntLit(r.args[0]) && isIntLit(r.args[1]) && r.args[0].num.Cmp(r.args[1].num) < 0 && r.args[0].num.Sign() > 0 {
				// 33\frac{1}{3}\%: the percent sign is the whole number's
				pct := r.pct
				r.pct = false
				if isIntLit(factors[0]) {
					factors[0] = &node{k: kAdd, args: []*node{factors[0], r}, pct: pct}
					continue
				}
				if f := factors[0]; f.k == kNeg && isIntLit(f.args[0]) {
					factors[0] = &node{k: kNeg, args: []*node{{k: kAdd, args: []*node{f.args[0], r}}}, pct: pct}
					continue
				}
				r.pct = pct
			}
			if r.k == kTuple && factors[len(factors)-1].k == kTuple && len(factors) == 1 {
				// (0, 0, 0)(1, 2, 3): points, not a product
				list := &node{k: kList, args: []*node{factors[0], r}}
				for p.isOp("(") {
					q, err := p.parsePower()
					if err != nil {
						return nil, err
					}
					if q.k != kTuple {
						return nil, fmt.Errorf("%w: point list", errUnsupported)
					}
					list.args = append(list.args, q)
				}
				return list, nil
			}
			factors = append(factors, r)
		default:
			if len(factors) == 1 {
				return factors[0], nil
			}
			return &node{k: kMul, args: factors}, nil
		}
	}
}

// degreeO reports the letter o written for a degree sign (30^o).
func degreeO(t token) bool { return t.k == tIdent && t.text == "o" }

// temperature reads the C or F after a degree sign (25^\circ\mathrm{C},
// 25°C, 77^\circ F) as a unit, so that 25°C and 25°F stay apart.
func (p *parser) temperature() {
	t := p.peek()
	if t.k != tIdent && t.k != tText {
		return
	}
	switch strings.TrimSpace(t.text) {
	case "C":
		p.next()
		p.note("celsius")
	case "F":
		p.next()
		p.note("fahrenheit")
	}
}

// arcMinutes reads the minutes (15') and seconds (20”) after the degrees
// d of an angle, and returns the angle in degrees.
func (p *parser) arcMinutes(d *node) *node {
	sum := &node{k: kAdd, args: []*node{d}, deg: true}
	d.deg = false
	for _, div := range []int64{60, 3600} {
		t := p.peek()
		if t.k != tNum || p.peekAt(1).k != tOp || p.peekAt(1).text != "'" {
			break
		}
		p.pos += 2
		if div == 3600 && !p.accept("'") {
			p.pos -= 2
			break
		}
		v, _ := new(big.Rat).SetString(t.text)
		if v == nil {
			v = new(big.Rat)
		}
		sum.args = append(sum.args, &node{k: kDiv, args: []*node{numNode(v), intNode(div)}})
	}
	return sum
}

// ordinalSuffix are the endings of 1st, 2nd, 3rd, 4th.
var ordinalSuffix = map[string]bool{"st": true, "nd": true, "rd": true, "th": true}

// scaleWords are number words that scale the number before them.
var scaleWords = map[string]int64{"thousand": 3, "million": 6, "billion": 9, "trillion": 12}

// isScalarLit reports a number literal, maybe negated, without a percent
// or degree sign.
func isScalarLit(n *node) bool {
	if n.k == kNeg {
		n = n.args[0]
	}
	return n.k == kNum && !n.pct && !n.deg
}

// plainMixed reads the proper fraction a/b after the whole number w of a
// mixed number written in plain text (4 4/9, -4 4/9, 4 0/9). It reads
// nothing and returns false for anything else (4 7/6, 4 4/9^2, 11.0 4/9).
func (p *parser) plainMixed(w *node) (*node, bool) {
	neg := w.k == kNeg
	if neg {
		w = w.args[0]
	}
	a, slash, b, after := p.peek(), p.peekAt(1), p.peekAt(2), p.peekAt(3)
	if !isIntLit(w) || w.pct || w.deg || w.num.Sign() < 0 || !allDigitsStr(a.text) || slash.k != tOp || slash.text != "/" ||
		b.k != tNum || !allDigitsStr(b.text) || after.k == tOp && (after.text == "^" || after.text == "!") || p.startsFactor(after) {
		return nil, false
	}
	num, _ := new(big.Rat).SetString(a.text)
	den, _ := new(big.Rat).SetString(b.text)
	if den.Sign() == 0 || num.Cmp(den) >= 0 {
		return nil, false
	}
	p.pos += 3
	m := &node{k: kAdd, args: []*node{w, {k: kDiv, args: []*node{numNode(num), numNode(den)}}}}
	if p.accept("%") {
		m.pct = true
	}
	if neg {
		m = &node{k: kNeg, args: []*node{m}}
	}
	return m, true
}

// skipUnitTail skips the exponent of a unit (cm^3, cm^{2}).
// It returns the exponent as "^n" so that cm^2 and cm^3 stay apart.
func (p *parser) skipUnitTail() string {
	if !p.isOp("^") {
		return ""
	}
	t := p.peekAt(1)
	if t.k == tNum {
		p.pos += 2
		return "^" + t.text
	}
	if t.k == tOp && t.text == "{" && p.peekAt(2).k == tNum && p.peekAt(3).k == tOp && p.peekAt(3).text == "}" {
		e := p.peekAt(2).text
		p.pos += 4
		return "^" + e
	}
	return ""
}

func (p *parser) parseUnary() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	switch {
	case p.isOp("-"):
		p.next()
		x, err := p.parseUnary()
		if err != nil {
			return nil, err
		}
		return &node{k: kNeg, args: []*node{x}}, nil
	case p.isOp("+"):
		p.next()
		return p.parseUnary()
	case p.isOp("pm") || p.isOp("mp"):
		p.next()
		x, err := p.parseTerm()
		if err != nil {
			return nil, err
		}
		return &node{k: kPM, args: []*node{intNode(0), x}}, nil
	}
	return p.parsePower()
}

// parseExponent reads what follows '^'.
func (p *parser) parseExponent() (*node, error) {
	t := p.peek()
	switch {
	case t.k == tOp && t.text == "{":
		p.next()
		x, err := p.parseList(func(t token) bool { return t.k == tOp && t.text == "}" })
		if err != nil {
			return nil, err
		}
		p.next()
		return x, nil
	case t.k == tOp && t.text == "-":
		p.next()
		x, err := p.parseExponent()
		if err != nil {
			return nil, err
		}
		return &node{k: kNeg, args: []*node{x}}, nil
	case t.k == tNum, t.k == tIdent, t.k == tConst:
		p.next()
		return p.atom(t)
	}
	return p.parsePostfix()
}

func (p *parser) parsePower() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	base, err := p.parsePostfix()
	if err != nil {
		return nil, err
	}
	for p.isOp("^") {
		p.next()
		// degrees: x^\circ, x^{\circ}, and 30^o, 30^{o} after a number
		if p.isOp("deg") {
			p.next()
			base.deg = true
			p.temperature()
			continue
		}
		if p.isOp("{") && p.peekAt(1).k == tOp && p.peekAt(1).text == "deg" && p.peekAt(2).k == tOp && p.peekAt(2).text == "}" {
			p.pos += 3
			base.deg = true
			p.temperature()
			continue
		}
		if base.k == kNum && degreeO(p.peek()) && !p.startsFactor(p.peekAt(1)) {
			p.next()
			base.deg = true
			continue
		}
		if base.k == kNum && p.isOp("{") && degreeO(p.peekAt(1)) && p.peekAt(2).k == tOp && p.peekAt(2).text == "}" {
			p.pos += 3
			base.deg = true
			continue
		}
		e, err := p.parseExponent()
		if err != nil {
			return nil, err
		}
		if e.k == kText || e.k == kMul && len(e.args) == 2 && e.args[0].k == kVar && e.args[1].k == kVar && ordinalSuffix[e.args[0].name+e.args[1].name] {
			// an ordinal: 12^{\text{th}}, 12^{th}
			continue
		}
		base = &node{k: kPow, args: []*node{base, e}}
		// the exponent binds to the right: a^b^c = a^(b^c)
		if p.isOp("^") {
			p.next()
			e2, err := p.parseExponent()
			if err != nil {
				return nil, err
			}
			base.args[1] = &node{k: kPow, args: []*node{base.args[1], e2}}
		}
	}
	return base, nil
}

func (p *parser) parsePostfix() (*node, error) {
	x, err := p.parsePrimary()
	if err != nil {
		return nil, err
	}
	for {
		switch {
		case p.isOp("!"):
			p.next()
			x = &node{k: kFact, args: []*node{x}}
		case p.isOp("%"):
			p.next()
			x.pct = true
		case p.isOp("deg"):
			p.next()
			x.deg = true
			p.temperature()
		case p.isOp("_") && x.k == kNum:
			// base notation 204_5: keep as text
			p.next()
			sub, err := p.subscriptText()
			if err != nil {
				return nil, err
			}
			x = &node{k: kText, name: x.String() + "_" + sub}
		default:
			return x, nil
		}
	}
}

// indexSubscript parses a subscript that contains a variable (a_n,
// F_{n-k-1}) as an expression; it leaves the position alone otherwise.
func (p *parser) indexSubscript() (*node, bool) {
	save := p.pos
	t := p.peek()
	if t.k == tIdent && !strings.HasPrefix(t.text, `\`) {
		p.next()
		if p.isOp("_") || p.isOp("(") { // a_{n_1}, x_i(t): keep as text
			p.pos = save
			return nil, false
		}
		return &node{k: kVar, name: t.text}, true
	}
	if !(t.k == tOp && t.text == "{") {
		return nil, false
	}
	p.next()
	x, err := p.parseSum()
	if err != nil || !p.isOp("}") {
		p.pos = save
		return nil, false
	}
	vars := map[string]bool{}
	collectVars(x, vars)
	if len(vars) == 0 {
		p.pos = save
		return nil, false
	}
	p.next()
	return x, true
}

// subscriptText reads a subscript as a canonical string.
func (p *parser) subscriptText() (string, error) {
	t := p.next()
	switch {
	case t.k == tOp && t.text == "{":
		var b strings.Builder
		depth := 1
		for {
			u := p.next()
			if u.k == tEOF {
				return "", fmt.Errorf("%w: unclosed subscript", errUnsupported)
			}
			if u.k == tOp && u.text == "{" {
				depth++
			}
			if u.k == tOp && u.text == "}" {
				depth--
				if depth == 0 {
					break
				}
			}
			b.WriteString(u.text)
		}
		return b.String(), nil
	case t.k == tNum:
		return t.text[:1], nil
	case t.k == tIdent || t.k == tConst || t.k == tText:
		return t.text, nil
	}
	return "", fmt.Errorf("%w: bad subscript", errUnsupported)
}

// group parses a {...} group or a single token argument (for \frac12).
func (p *parser) arg() (*node, error) {
	t := p.peek()
	if t.k == tOp && t.text == "{" {
		p.next()
		x, err := p.parseList(func(t token) bool { return t.k == tOp && t.text == "}" })
		if err != nil {
			return nil, err
		}
		p.next()
		return x, nil
	}
	if t.k == tNum {
		// a single digit: \frac12
		if len(t.text) > 1 {
			p.toks[p.pos].text = t.text[1:]
			return p.atom(token{tNum, t.text[:1]})
		}
		p.next()
		return p.atom(t)
	}
	if t.k == tIdent || t.k == tConst {
		p.next()
		return p.atom(t)
	}
	if t.k == tInf {
		p.next()
		return &node{k: kInf}, nil
	}
	if t.k == tCmd {
		return p.parsePrimary()
	}
	return nil, fmt.Errorf("%w: missing argument", errUnsupported)
}

func (p *parser) atom(t token) (*node, error) {
	switch t.k {
	case tNum:
		if len(t.text) > 2000 {
			return nil, fmt.Errorf("%w: number too long", errUnsupported)
		}
		sci := strings.IndexAny(t.text, "eE")
		if sci >= 0 {
			// bound the exponent: 1e999999999 must not allocate a huge number
			if e, err := strconv.Atoi(t.text[sci+1:]); err != nil || e > 400 || e < -400 {
				return nil, fmt.Errorf("%w: exponent too large in %q", errUnsupported, t.text)
			}
		}
		r, ok := new(big.Rat).SetString(t.text)
		if !ok {
			return nil, fmt.Errorf("%w: bad number %q", errUnsupported, t.text)
		}
		n := numNode(r)
		if i := strings.IndexByte(t.text, '.'); i >= 0 && sci < 0 {
			n.dec = len(t.text) - i - 1
		}
		return n, nil
	case tConst:
		return &node{k: kConst, name: t.text}, nil
	case tIdent:
		return &node{k: kVar, name: t.text}, nil
	}
	return nil, fmt.Errorf("%w: unexpected %q", errUnsupported, t.text)
}

func closer(s string) func(token) bool {
	return func(t token) bool { return t.k == tOp && t.text == s }
}

func (p *parser) parsePrimary() (*node, error) {
	if err := p.enter(); err != nil {
		return nil, err
	}
	defer p.leave()
	t := p.next()
	switch t.k {
	case tNum, tConst:
		return p.atom(t)
	case tInf:
		return &node{k: kInf}, nil
	case tEmpty:
		return &node{k: kSet}, nil
	case tText:
		// a label before the value: "\text{All integers } k \neq 1"
		if !isConnective(t) && p.startsFactor(p.peek()) || p.peek().k == tText && !isConnective(p.peek()) {
			p.note(t.text)
			return p.parsePrimary()
		}
		if !isConnective(t) && p.isOp("-") && p.startsFactor(p.peekAt(1)) {
			// \text{minimum value } -4: a label before a negative value
			p.note(t.text)
			p.next()
			r, err := p.parseTerm()
			if err != nil {
				return nil, err
			}
			return &node{k: kNeg, args: []*node{r}}, nil
		}
		return &node{k: kText, name: t.text}, nil
	case tIdent:
		name := t.text
		for p.isOp("'") {
			p.next()
			name += "'"
		}
		// f^{-1}(x): the inverse function is a name
		if funcLetters[name] && p.isOp("^") && p.peekAt(1).k == tOp && p.peekAt(1).text == "{" &&
			p.peekAt(2).k == tOp && p.peekAt(2).text == "-" && p.peekAt(3).k == tNum && p.peekAt(3).text == "1" &&
			p.peekAt(4).k == tOp && p.peekAt(4).text == "}" && p.peekAt(5).k == tOp && p.peekAt(5).text == "(" {
			p.pos += 5
			name += "^{-1}"
		}
		if p.isOp("_") {
			p.next()
			// a subscript with variables is an index: a_n, F_{n-k-1}
			if idx, ok := p.indexSubscript(); ok {
				return &node{k: kApply, name: name + "_", args: []*node{idx}}, nil
			}
			sub, err := p.subscriptText()
			if err != nil {
				return nil, err
			}
			name += "_" + sub
			if (name[0] == 'C' || name[0] == 'A') && len(name) == 2+len(sub) && allDigitsStr(sub) && p.isOp("^") {
				if x, ok := p.choose(name[0], sub); ok {
					return x, nil
				}
			}
		}
		if (funcLetters[name] || strings.HasPrefix(name, `\`) || strings.HasSuffix(name, "'") || (len(name) > 2 && funcLetters[name[:1]] && name[1] == '_')) && p.isOp("(") {
			p.next()
			args, err := p.parseList(func(t token) bool { return t.k == tOp && t.text == ")" })
			if err != nil {
				return nil, err
			}
			p.next()
			a := []*node{args}
			if args.k == kList {
				a = args.args
			}
			return &node{k: kApply, name: name, args: a}, nil
		}
		return &node{k: kVar, name: name}, nil
	case tFunc:
		return p.parseFunc(t.text)
	case tCmd:
		switch t.text {
		case "frac":
			a, err := p.arg()
			if err != nil {
				return nil, err
			}
			b, err := p.arg()
			if err != nil {
				return nil, err
			}
			return &node{k: kDiv, args: []*node{a, b}}, nil
		case "binom":
			a, err := p.arg()
			if err != nil {
				return nil, err
			}
			b, err := p.arg()
			if err != nil {
				return nil, err
			}
			return &node{k: kFunc, name: "binom", args: []*node{a, b}}, nil
		case "sqrt":
			var idx *node
			if p.isOp("[") {
				p.next()
				var err error
				idx, err = p.parseSum()
				if err != nil {
					return nil, err
				}
				if !p.accept("]") {
					return nil, fmt.Errorf("%w: bad root index", errUnsupported)
				}
			}
			a, err := p.arg()
			if err != nil {
				if p.isOp("(") {
					a, err = p.parsePrimary()
				}
				if err != nil {
					return nil, err
				}
			}
			if idx == nil {
				return &node{k: kFunc, name: "sqrt", args: []*node{a}}, nil
			}
			return &node{k: kPow, args: []*node{a, {k: kDiv, args: []*node{intNode(1), idx}}}}, nil
		case "boxed", "fbox":
			return p.arg()
		case "sum", "prod":
			return p.parseBigOp(t.text)
		}
	case tOp:
		switch t.text {
		case "]":
			// ]2, 5[ and ]2, 5]: intervals open at the low end (French style)
			x, err := p.parseList(func(t token) bool { return t.k == tOp && (t.text == "]" || t.text == "[") })
			if err != nil {
				return nil, err
			}
			c := p.next().text
			if x.k != kList || len(x.args) != 2 {
				return nil, fmt.Errorf("%w: mismatched brackets", errUnsupported)
			}
			return &node{k: kInterval, args: x.args, hi: c == "]"}, nil
		case "(", "[":
			x, err := p.parseList(func(u token) bool {
				return u.k == tOp && (u.text == ")" || u.text == "]" || u.text == "[" && t.text == "[")
			})
			if err != nil {
				return nil, err
			}
			c := p.next().text
			if c == "[" {
				// [2, 5[: open at the high end (French style)
				if x.k != kList || len(x.args) != 2 {
					return nil, fmt.Errorf("%w: mismatched brackets", errUnsupported)
				}
				return &node{k: kInterval, args: x.args, lo: true}, nil
			}
			if x.k != kList {
				if t.text == "(" && c == ")" || t.text == "[" && c == "]" {
					return x, nil // a group: (x+1), [x+1], ((1,2))
				}
				return nil, fmt.Errorf("%w: mismatched brackets", errUnsupported)
			}
			if len(x.args) == 2 {
				if t.text == "(" && c == ")" {
					return &node{k: kTuple, args: x.args, amb: true}, nil
				}
				return &node{k: kInterval, args: x.args, lo: t.text == "[", hi: c == "]"}, nil
			}
			if t.text == "(" && c == ")" || t.text == "[" && c == "]" {
				return &node{k: kTuple, args: x.args}, nil
			}
			return nil, fmt.Errorf("%w: mismatched brackets", errUnsupported)
		case "{":
			x, err := p.parseList(closer("}"))
			if err != nil {
				return nil, err
			}
			p.next()
			if x.k == kList {
				return &node{k: kSet, args: x.args}, nil
			}
			return x, nil
		case "|":
			p.absDepth++
			x, err := p.parseList(closer("|"))
			p.absDepth--
			if err != nil {
				return nil, err
			}
			p.next()
			return &node{k: kFunc, name: "abs", args: []*node{x}}, nil
		}
	case tSetOpen:
		if r, ok, err := p.setBuilder(); ok || err != nil {
			return r, err
		}
		start := p.pos
		x, err := p.parseList(func(t token) bool { return t.k == tSetClose })
		if err != nil {
			if p.peek().k == tSetClose && p.pos == start {
				p.next()
				return &node{k: kSet}, nil
			}
			// not the empty set: \{x \mid x > 2\} is set-builder notation
			return nil, err
		}
		p.next()
		if x.k == kList {
			return &node{k: kSet, args: x.args}, nil
		}
		return &node{k: kSet, args: []*node{x}}, nil
	case tFloorL, tCeilL:
		end, name := tFloorR, "floor"
		if t.k == tCeilL {
			end, name = tCeilR, "ceil"
		}
		x, err := p.parseList(func(u token) bool { return u.k == end })
		if err != nil {
			return nil, err
		}
		p.next()
		return &node{k: kFunc, name: name, args: []*node{x}}, nil
	case tBeginMat:
		return p.parseMatrix()
	}
	return nil, fmt.Errorf("%w: unexpected %q", errUnsupported, t.text)
}

// setBuilder reads \{x \mid 1 \le x \le 2\}, \{x : x > 0\},
// \{x \in \mathbb{R} \mid x > 0\} or \{x \mid x < -1 \text{ or } x > 3\}
// (after the \{) as the intervals its inequalities in its one variable
// describe. ok is false, and nothing is read, for any other set.
func (p *parser) setBuilder() (*node, bool, error) {
	v := p.peek()
	k := 1
	if v.k != tIdent {
		return nil, false, nil
	}
	if t := p.peekAt(k); t.k == tOp && t.text == "in" && p.peekAt(k+1).k == tIdent && p.peekAt(k+1).text == "mathbb R" {
		k += 2
	}
	if t := p.peekAt(k); t.k != tOp || t.text != "|" && t.text != ":" {
		return nil, false, nil
	}
	save := p.pos
	p.pos += k + 1
	r, err := p.parseList(func(t token) bool { return t.k == tSetClose })
	if err != nil || r.k != kRel && r.k != kList || !p.isOpKind(tSetClose) {
		p.pos = save
		return nil, false, err
	}
	// one inequality, or inequalities joined by "or" (x < -1 or x > 3)
	rels := []*node{r}
	if r.k == kList {
		rels = r.args
	}
	for _, rel := range rels {
		if rel.k != kRel {
			p.pos = save
			return nil, false, fmt.Errorf("%w: set-builder notation", errUnsupported)
		}
		for _, op := range rel.ops {
			if op != "<" && op != "<=" && op != ">" && op != ">=" && op != "!=" {
				p.pos = save
				return nil, false, fmt.Errorf("%w: set-builder notation", errUnsupported)
			}
		}
	}
	vars := map[string]bool{}
	collectVars(r, vars)
	if len(vars) != 1 || !vars[v.text] {
		p.pos = save
		return nil, false, fmt.Errorf("%w: set-builder notation", errUnsupported)
	}
	p.next()
	// the set is the intervals the condition describes, whatever the
	// bound variable's name (\{y \mid y > 1\} is \{x \mid x > 1\})
	// (a comma may mean "and" here: x > 0, x \ne 1; only "or" makes a union)
	if ivs, ok := asIntervals(r); ok && len(ivs) > 0 && (r.k == kRel || r.or || len(ivs) == 1) {
		if len(ivs) == 1 {
			return ivs[0], true, nil
		}
		return &node{k: kUnion, args: ivs}, true, nil
	}
	if r.k != kRel || r.ops[0] == "!=" {
		p.pos = save
		return nil, false, fmt.Errorf("%w: set-builder notation", errUnsupported)
	}
	return r, true, nil
}

// isOpKind reports the next token's kind.
func (p *parser) isOpKind(k tokKind) bool { return p.peek().k == k }

func (p *parser) parseMatrix() (*node, error) {
	m := &node{k: kMatrix}
	row := &node{k: kTuple}
	for {
		t := p.peek()
		switch {
		case t.k == tEndMat:
			p.next()
			if len(row.args) > 0 {
				m.args = append(m.args, row)
			}
			if len(m.args) == 0 {
				return nil, fmt.Errorf("%w: empty matrix", errUnsupported)
			}
			w := len(m.args[0].args)
			for _, r := range m.args {
				if len(r.args) != w {
					return nil, fmt.Errorf("%w: ragged matrix", errUnsupported)
				}
			}
			return m, nil
		case t.k == tRowSep:
			p.next()
			if len(row.args) > 0 {
				m.args = append(m.args, row)
			}
			row = &node{k: kTuple}
		case t.k == tOp && t.text == "&":
			p.next()
		case t.k == tEOF:
			return nil, fmt.Errorf("%w: unclosed matrix", errUnsupported)
		default:
			x, err := p.parseSum()
			if err != nil {
				return nil, err
			}
			row.args = append(row.args, x)
		}
	}
}

// choose reads the superscript of C_n^k (combinations, \binom{n}{k}) or
// A_n^k (arrangements, n!/(n-k)!), the notation of Chinese textbooks, when
// n and k are whole numbers with k <= n. ok is false, and nothing is
// read, otherwise.
func (p *parser) choose(letter byte, sub string) (*node, bool) {
	save := p.pos
	p.next() // ^
	k, err := p.parseExponent()
	n, ok := new(big.Int).SetString(sub, 10)
	if err != nil || !ok || k.k != kNum || !k.num.IsInt() || k.num.Sign() < 0 || k.num.Num().Cmp(n) > 0 {
		p.pos = save
		return nil, false
	}
	nn := numNode(new(big.Rat).SetInt(n))
	if letter == 'C' {
		return &node{k: kFunc, name: "binom", args: []*node{nn, k}}, true
	}
	rest := numNode(new(big.Rat).Sub(new(big.Rat).SetInt(n), k.num))
	return &node{k: kDiv, args: []*node{{k: kFact, args: []*node{nn}}, {k: kFact, args: []*node{rest}}}}, true
}

// parseBigOp parses \sum_{k=a}^{b} body and \prod likewise into
// func(name, k, a, b, body).
func (p *parser) parseBigOp(name string) (*node, error) {
	if !p.accept("_") {
		return nil, fmt.Errorf("%w: %s without bounds", errUnsupported, name)
	}
	lower, err := p.arg()
	if err != nil {
		return nil, err
	}
	if lower.k != kRel || len(lower.ops) != 1 || lower.ops[0] != "=" || lower.args[0].k != kVar && lower.args[0].k != kConst {
		return nil, fmt.Errorf("%w: %s index", errUnsupported, name)
	}
	idxConst := lower.args[0].k == kConst // \sum_{i=1}: i is the index, not sqrt(-1)
	if idxConst {
		lower.args[0] = &node{k: kVar, name: lower.args[0].name}
	}
	if !p.accept("^") {
		return nil, fmt.Errorf("%w: %s without upper bound", errUnsupported, name)
	}
	upper, err := p.parseExponent()
	if err != nil {
		return nil, err
	}
	body, err := p.parseTerm()
	if err != nil {
		return nil, err
	}
	if idxConst {
		body = constToVar(body, lower.args[0].name)
	}
	return &node{k: kFunc, name: name, args: []*node{lower.args[0], lower.args[1], upper, body}}, nil
}

// constToVar returns n with the constant named name read as a variable.
func constToVar(n *node, name string) *node {
	if n.k == kConst && n.name == name {
		return &node{k: kVar, name: name}
	}
	if len(n.args) == 0 {
		return n
	}
	c := *n
	c.args = make([]*node, len(n.args))
	for i, a := range n.args {
		c.args[i] = constToVar(a, name)
	}
	return &c
}

var inverseFuncs = map[string]string{"sin": "asin", "cos": "acos", "tan": "atan", "cot": "acot", "sec": "asec", "csc": "acsc"}

// parseFunc parses the argument of a known function: \sin x, \sin(x),
// \sin^2 x, \log_2 8, \sqrt{x} written as sqrt(x).
func (p *parser) parseFunc(name string) (*node, error) {
	var power, base *node
	if p.isOp("_") {
		p.next()
		b, err := p.arg()
		if err != nil {
			return nil, err
		}
		base = b
	}
	if p.isOp("^") {
		p.next()
		e, err := p.parseExponent()
		if err != nil {
			return nil, err
		}
		power = e
	}
	var a *node
	var err error
	switch {
	case p.isOp("("):
		p.next()
		a, err = p.parseList(closer(")"))
		if err != nil {
			return nil, err
		}
		p.next()
	case p.isOp("{"):
		a, err = p.arg()
	default:
		// \sin 2x: a product of non-function factors
		var fs []*node
		for {
			t := p.peek()
			if t.k == tFunc || !p.startsFactor(t) || (len(fs) > 0 && t.k == tNum) {
				break
			}
			f, err := p.parsePower()
			if err != nil {
				return nil, err
			}
			fs = append(fs, f)
		}
		switch len(fs) {
		case 0:
			return nil, fmt.Errorf("%w: %s without argument", errUnsupported, name)
		case 1:
			a = fs[0]
		default:
			a = &node{k: kMul, args: fs}
		}
	}
	if err != nil {
		return nil, err
	}
	args := []*node{a}
	if a.k == kList || a.k == kSet && (name == "max" || name == "min" || name == "gcd" || name == "lcm") {
		args = a.args // \max\{1, 2\}
	}
	f := &node{k: kFunc, name: name, args: args}
	if base != nil {
		f = &node{k: kFunc, name: "logb", args: []*node{base, a}}
	}
	if power != nil {
		if power.k == kNeg && power.args[0].k == kNum && power.args[0].num.Cmp(big.NewRat(1, 1)) == 0 {
			// \cos^{-1} x is arccos x
			inv, ok := inverseFuncs[name]
			if !ok || base != nil {
				return nil, fmt.Errorf("%w: inverse function power", errUnsupported)
			}
			f.name = inv
			return f, nil
		}
		f = &node{k: kPow, args: []*node{f, power}}
	}
	return f, nil
}

// bareWordsAsText puts words written outside \text{} where they read as
// words, not as products of letters: an answer made only of words ("No
// solution", "no real solutions") becomes \text{...}, and words leading a
// value ("minimum 3", "area 12") become \text{words } value. A word counts
// when it has three or more ASCII letters and is neither a function name
// (sin, log, max) nor a unit or connective; shorter ones (x y, ab) stay
// math.
func bareWordsAsText(s string) string {
	t := strings.TrimSpace(s)
	if t == "" || strings.ContainsAny(t, "\\$") {
		return s
	}
	fields := strings.Fields(t)
	isWord := func(f string) bool { return isLetters(strings.TrimRight(f, ".,;:!")) }
	qualifies := func(f string) bool {
		f = strings.TrimRight(f, ".,;:!")
		if len(f) < 3 {
			return false
		}
		if _, fn := knownFuncs[asciiLower(f)]; fn {
			return false
		}
		return !plainWords[f] && !plainWords[asciiLower(f)]
	}
	// Only words: text when at least two and one of them is a real word.
	all, real := true, false
	for _, f := range fields {
		if !isWord(f) {
			all = false
			break
		}
		real = real || qualifies(f)
	}
	if all {
		if len(fields) >= 2 && real {
			return `\text{` + t + `}`
		}
		return s
	}
	// Leading real words, then a value.
	n := 0
	for n < len(fields) && isWord(fields[n]) && qualifies(fields[n]) {
		n++
	}
	if n == 0 || n == len(fields) {
		return s
	}
	return `\text{` + strings.Join(fields[:n], " ") + ` } ` + strings.Join(fields[n:], " ")
}
