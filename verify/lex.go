package verify

import (
	"errors"
	"math/big"
	"strings"
	"unicode/utf8"
)

// tokKind is the kind of a lexical token.
type tokKind int

const (
	tEOF      tokKind = iota
	tNum              // text: digits, maybe with '.'
	tIdent            // text: variable name (a letter, a greek letter, an unknown command)
	tConst            // text: pi, e, i
	tInf              // infinity
	tFunc             // text: known function name (sin, log, ...)
	tCmd              // text: structural command (frac, sqrt, binom, boxed, over...)
	tOp               // text: + - * / ^ _ ! = < > <= >= != , ; : | ( ) [ ] { } pm mp % ' U in
	tSetOpen          // \{
	tSetClose         // \}
	tText             // text: content of \text{} and friends, or a plain word
	tRowSep           // \\ in matrices
	tBeginMat         // \begin{pmatrix} and friends
	tEndMat           // \end{pmatrix}
	tFloorL           // \lfloor
	tFloorR           // \rfloor
	tCeilL            // \lceil
	tCeilR            // \rceil
	tEmpty            // \emptyset
	tBad              // something we do not model (sums, integrals, limits, ...)
)

type token struct {
	k    tokKind
	text string
}

var errTooLong = errors.New("input too long")

// knownFuncs maps function names (command or plain word) to canonical names.
var knownFuncs = map[string]string{
	"sin": "sin", "cos": "cos", "tan": "tan", "cot": "cot", "sec": "sec", "csc": "csc",
	"arcsin": "asin", "arccos": "acos", "arctan": "atan", "asin": "asin", "acos": "acos", "atan": "atan",
	"arccot": "acot", "arcsec": "asec", "arccsc": "acsc",
	"sinh": "sinh", "cosh": "cosh", "tanh": "tanh", "coth": "coth",
	"log": "log", "ln": "ln", "lg": "lg", "exp": "exp", "sqrt": "sqrt",
	"max": "max", "min": "min", "gcd": "gcd", "lcm": "lcm",
	"tg": "tan", "ctg": "cot", "arctg": "atan", "sgn": "sgn",
}

var greek = map[string]bool{
	"alpha": true, "beta": true, "gamma": true, "delta": true, "epsilon": true, "varepsilon": true,
	"zeta": true, "eta": true, "theta": true, "vartheta": true, "iota": true, "kappa": true,
	"lambda": true, "mu": true, "nu": true, "xi": true, "rho": true, "sigma": true, "tau": true,
	"upsilon": true, "phi": true, "varphi": true, "chi": true, "psi": true, "omega": true,
	"Gamma": true, "Delta": true, "Theta": true, "Lambda": true, "Xi": true, "Pi": true,
	"Sigma": true, "Upsilon": true, "Phi": true, "Psi": true, "Omega": true, "ell": true,
}

// greekRunes names Greek letters typed as Unicode, as their commands.
var greekRunes = map[rune]string{
	'α': "alpha", 'β': "beta", 'γ': "gamma", 'δ': "delta", 'ε': "epsilon", 'ζ': "zeta", 'η': "eta", 'θ': "theta",
	'ι': "iota", 'κ': "kappa", 'λ': "lambda", 'μ': "mu", 'ν': "nu", 'ξ': "xi", 'ρ': "rho", 'σ': "sigma",
	'τ': "tau", 'υ': "upsilon", 'φ': "phi", 'χ': "chi", 'ψ': "psi", 'ω': "omega", 'Γ': "Gamma", 'Δ': "Delta",
	'Θ': "Theta", 'Λ': "Lambda", 'Σ': "Sigma", 'Φ': "Phi", 'Ψ': "Psi", 'Ω': "Omega",
}

// plainWords are letter runs kept whole outside \text{}: connectives and units.
var plainWords = map[string]bool{
	"and": true, "or": true, "percent": true, "pct": true, "percentage": true,
	"cm": true, "mm": true, "km": true, "kg": true, "mg": true, "ml": true, "mL": true,
	"miles": true, "mile": true, "meters": true, "meter": true, "metres": true, "feet": true, "ft": true,
	"inches": true, "inch": true, "yards": true, "hours": true, "hour": true, "hrs": true,
	"minutes": true, "minute": true, "min": false, "seconds": true, "second": true, "sec": false,
	"days": true, "day": true, "weeks": true, "years": true, "year": true, "months": true,
	"dollars": true, "dollar": true, "cents": true, "cent": true, "yuan": true, "euros": true,
	"degrees": true, "degree": true, "units": true, "unit": true, "sq": true, "square": true,
	"cubic": true, "liters": true, "litres": true, "grams": true, "gram": true, "kilograms": true,
	"mph": true, "kmh": true, "people": true, "students": true, "ways": true, "times": true,
	"points": true, "pieces": true, "boxes": true, "balls": true, "numbers": true, "solutions": true,
	"is": true, "are": true, "the": true, "answer": true, "for": true, "all": true, "only": true,
	"where": true, "with": true, "any": true, "integer": true, "integers": true, "real": true,
	"if": true, "when": true, "such": true, "that": true, "constant": true, "some": true, "every": true,
	"rad": true, "radians": true, "tons": true, "pounds": true, "lbs": true, "oz": true,
}

// shortUnits are unit words that also read as products of letters; they
// are units only right after a number.
var shortUnits = map[string]bool{"cm": true, "mm": true, "km": true, "kg": true, "mg": true, "ml": true, "mL": true,
	"am": true, "pm": true, "ft": true, "sq": true, "hrs": true, "mph": true, "kmh": true, "lbs": true, "oz": true, "rad": true, "sec": true, "hr": true}

// matrixEnvs are environments parsed as matrices.
var matrixEnvs = map[string]bool{
	"pmatrix": true, "bmatrix": true, "matrix": true, "vmatrix": false, "Bmatrix": true,
	"smallmatrix": true, "array": true,
}

// lex splits a cleaned LaTeX or plain answer into tokens. It never fails
// except on over-long input; unknown syntax becomes tBad or tIdent tokens.
func lex(s string, maxTokens int) ([]token, error) {
	var toks []token
	emit := func(k tokKind, t string) {
		toks = append(toks, token{k, t})
	}
	i := 0
	for i < len(s) {
		if len(toks) > maxTokens {
			return nil, errTooLong
		}
		c := s[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c >= '0' && c <= '9' || c == '.' && i+1 < len(s) && s[i+1] >= '0' && s[i+1] <= '9':
			j := i
			dot := false
			for j < len(s) && (s[j] >= '0' && s[j] <= '9' || s[j] == '.' && !dot && j+1 < len(s) && s[j+1] >= '0' && s[j+1] <= '9') {
				if s[j] == '.' {
					dot = true
				}
				j++
			}
			// repeating decimals: 0.\overline{3}, 0.1\overline{6}, 1.\dot{3}
			if rep, end, ok := repeating(s, i, j); ok {
				emit(tNum, rep)
				i = end
				continue
			}
			// scientific notation: 1.5e3, 1e-5, 2E6 (not 2e3, read as 2·e·3)
			if j < len(s) && (s[j] == 'e' || s[j] == 'E') {
				k := j + 1
				signed := k < len(s) && (s[k] == '-' || s[k] == '+')
				if signed {
					k++
				}
				d := k
				for d < len(s) && s[d] >= '0' && s[d] <= '9' {
					d++
				}
				if d > k && (d == len(s) || !isLetter(s[d]) && s[d] != '^' && s[d] != '.') && (dot || signed || s[j] == 'E' || i == 0 && d == len(s)) {
					emit(tNum, s[i:d])
					i = d
					continue
				}
			}
			emit(tNum, s[i:j])
			i = j
		case c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			j := i
			for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
				j++
			}
			w := s[i:j]
			start := i
			i = j
			if f, ok := knownFuncs[w]; ok && len(w) > 1 {
				emit(tFunc, f)
				continue
			}
			if shortUnits[w] {
				// "5 km" is a unit, "km" elsewhere is k·m
				if n := len(toks); n > 0 && (toks[n-1].k == tNum || toks[n-1].k == tOp && toks[n-1].text == "}") {
					emit(tText, w)
					continue
				}
			} else if plainWords[w] || plainWords[strings.ToLower(w)] && len(w) > 2 {
				emit(tText, w)
				continue
			}
			if w == "pi" {
				emit(tConst, "pi")
				continue
			}
			if w == "oo" || w == "inf" || w == "infty" || w == "infinity" {
				emit(tInf, "")
				continue
			}
			// "5 apples": a word after a number and a space is a noun, not a
			// product of letters (the checker then needs the same words on
			// both sides)
			if n := len(toks); n > 0 && toks[n-1].k == tNum && len(w) >= 4 && start > 0 && s[start-1] == ' ' {
				emit(tText, w)
				continue
			}
			// "W(x)=1orW(x)=-1": a connective glued to a capital
			for _, c := range []string{"or", "and"} {
				if len(w) > len(c) && strings.HasPrefix(w, c) && w[len(c)] >= 'A' && w[len(c)] <= 'Z' {
					emit(tText, c)
					w = w[len(c):]
					break
				}
			}
			for _, r := range w {
				emitLetter(&toks, string(r))
			}
		case c == '\\':
			i = lexCommand(s, i, &toks)
		default:
			r, size := utf8.DecodeRuneInString(s[i:])
			i += size
			switch r {
			case '+', '-', '*', '/', '^', '_', '!', '=', ',', ';', ':', '|', '(', ')', '[', ']', '{', '}', '%', '\'':
				op := string(r)
				// two-character operators
				if i < len(s) {
					two := op + s[i:i+1]
					switch two {
					case "<=", ">=", "!=", "=<", "=>", "**":
						if two == "=<" {
							two = "<="
						} else if two == "=>" {
							two = ">="
						} else if two == "**" {
							two = "^"
						}
						emit(tOp, two)
						i++
						continue
					}
				}
				emit(tOp, op)
			case '<', '>':
				op := string(r)
				if i < len(s) && s[i] == '=' {
					op += "="
					i++
				}
				emit(tOp, op)
			case '&':
				emit(tOp, "&")
			case '；':
				emit(tOp, ";")
			case '，':
				emit(tOp, ",")
			case '≤', '⩽':
				emit(tOp, "<=")
			case '≥', '⩾':
				emit(tOp, ">=")
			case '≠':
				emit(tOp, "!=")
			case '×', '·', '⋅', '∙':
				emit(tOp, "*")
			case '÷':
				emit(tOp, "/")
			case '−', '–':
				emit(tOp, "-")
			case '±':
				emit(tOp, "pm")
			case '∓':
				emit(tOp, "mp")
			case 'π':
				emit(tConst, "pi")
			case '∞':
				emit(tInf, "")
			case '∪':
				emit(tOp, "U")
			case 'ℝ':
				emit(tIdent, "mathbb R")
			case 'ℤ':
				emit(tIdent, "mathbb Z")
			case 'ℚ':
				emit(tIdent, "mathbb Q")
			case 'ℕ':
				emit(tIdent, "mathbb N")
			case '∈':
				emit(tOp, "in")
			case '√':
				emit(tCmd, "sqrt")
			case '°':
				emit(tOp, "deg")
			case '€', '£', '¥', '²', '³':
				if r == '²' {
					emit(tOp, "^")
					emit(tNum, "2")
				} else if r == '³' {
					emit(tOp, "^")
					emit(tNum, "3")
				}
			case '"', '?', '.':
				// quotes, question marks, a period ending a row: punctuation
			default:
				switch {
				case r >= '₀' && r <= '₉':
					emit(tOp, "_")
					emit(tNum, string(rune('0'+r-'₀')))
				case r == '⁰' || r == '¹' || r >= '⁴' && r <= '⁹':
					d := map[rune]rune{'⁰': '0', '¹': '1', '⁴': '4', '⁵': '5', '⁶': '6', '⁷': '7', '⁸': '8', '⁹': '9'}[r]
					emit(tOp, "^")
					emit(tNum, string(d))
				case r >= 'Α' && r <= 'ω' && r != 'π':
					// α is \alpha
					if name, ok := greekRunes[r]; ok {
						emit(tIdent, name)
					} else {
						emit(tIdent, string(r))
					}
				default:
					emit(tBad, string(r))
				}
			}
		}
	}
	emit(tEOF, "")
	return toks, nil
}

func emitLetter(toks *[]token, l string) {
	switch l {
	case "e", "i":
		*toks = append(*toks, token{tConst, l})
	default:
		*toks = append(*toks, token{tIdent, l})
	}
}

// readGroup returns the content of a {...} group starting at s[i] == '{'
// and the index after it; if s[i] is not '{' it returns one character.
func readGroup(s string, i int) (string, int) {
	for i < len(s) && s[i] == ' ' {
		i++
	}
	if i >= len(s) {
		return "", i
	}
	if s[i] != '{' {
		if s[i] == '\\' {
			j := i + 1
			for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
				j++
			}
			if j == i+1 && j < len(s) {
				j++
			}
			return s[i:j], j
		}
		_, size := utf8.DecodeRuneInString(s[i:])
		return s[i : i+size], i + size
	}
	depth := 0
	for j := i; j < len(s); j++ {
		switch s[j] {
		case '\\':
			j++
		case '{':
			depth++
		case '}':
			depth--
			if depth == 0 {
				return s[i+1 : j], j + 1
			}
		}
	}
	return s[i+1:], len(s)
}

func lexCommand(s string, i int, toks *[]token) int {
	emit := func(k tokKind, t string) { *toks = append(*toks, token{k, t}) }
	j := i + 1
	for j < len(s) && (s[j] >= 'a' && s[j] <= 'z' || s[j] >= 'A' && s[j] <= 'Z') {
		j++
	}
	if j == i+1 { // \ followed by a non-letter
		if j >= len(s) {
			return j
		}
		switch s[j] {
		case '{':
			emit(tSetOpen, "")
		case '}':
			emit(tSetClose, "")
		case '\\':
			emit(tRowSep, "")
		case '%':
			emit(tOp, "%")
		case '|':
			emit(tOp, "|")
		case ',', '!', ';', ':', ' ', '$', '>':
		default:
		}
		return j + 1
	}
	name := s[i+1 : j]
	if f, ok := knownFuncs[name]; ok && name != "sqrt" {
		emit(tFunc, f)
		return j
	}
	if greek[name] {
		emit(tIdent, name)
		return j
	}
	switch name {
	case "frac", "sqrt", "binom", "boxed", "fbox":
		emit(tCmd, name)
	case "pi":
		emit(tConst, "pi")
	case "infty", "infin":
		emit(tInf, "")
	case "cdot", "times", "ast", "cdotp":
		emit(tOp, "*")
	case "div":
		emit(tOp, "/")
	case "pm":
		emit(tOp, "pm")
	case "mp":
		emit(tOp, "mp")
	case "le", "leq", "leqslant", "leqq":
		emit(tOp, "<=")
	case "ge", "geq", "geqslant", "geqq":
		emit(tOp, ">=")
	case "ne", "neq":
		emit(tOp, "!=")
	case "lt":
		emit(tOp, "<")
	case "gt":
		emit(tOp, ">")
	case "approx", "simeq", "thickapprox":
		emit(tOp, "approx")
	case "equiv", "coloneqq":
		emit(tOp, "=")
	case "cup":
		emit(tOp, "U")
	case "setminus", "backslash":
		emit(tOp, "setminus")
	case "in":
		emit(tOp, "in")
	case "circ", "degree":
		emit(tOp, "deg")
	case "prime":
		emit(tOp, "'")
	case "lfloor":
		emit(tFloorL, "")
	case "rfloor":
		emit(tFloorR, "")
	case "lceil":
		emit(tCeilL, "")
	case "rceil":
		emit(tCeilR, "")
	case "lvert", "rvert", "vert", "mid":
		emit(tOp, "|")
	case "langle":
		emit(tOp, "(")
	case "rangle":
		emit(tOp, ")")
	case "emptyset", "varnothing":
		emit(tEmpty, "")
	case "colon", "ratio":
		emit(tOp, ":")
	case "quad", "qquad":
		// wide spaces separate answers: x = 1 \quad y = 2
		emit(tOp, ",")
	case "left", "right", "big", "Big", "bigg", "Bigg", "bigl", "bigr", "Bigl", "Bigr",
		"displaystyle", "textstyle", "limits", "nolimits", "hline", "cline", "middle", "dollar",
		"bf", "it", "rm", "sf", "tt", "large", "Large", "LARGE", "huge", "Huge", "small", "normalsize", "scriptsize", "footnotesize":
		// font and size switches: \bf 12, \large 12
	case "color":
		// \color{red} 12: the colour is not part of the answer
		_, k := readGroup(s, j)
		return k
	case "textcolor":
		// \textcolor{red}{12}: the colour is dropped, the group read next
		_, k := readGroup(s, j)
		return k
	case "over":
		emit(tCmd, "over")
	case "text", "textbf", "textit", "textrm", "textnormal", "mbox", "texttt", "textsf", "hbox", "textup", "emph":
		content, k := readGroup(s, j)
		c := strings.TrimSpace(content)
		if numberLike(c) || mathInText(c) || nestedText(c) {
			// \text{13}, \text{(0,1)}, \text{\textbf{5}}: a number, a
			// tuple or another text command set in text
			*toks = append(*toks, lexInner(c, 1<<10)...)
			return k
		}
		if num, rest, ok := numberAndUnit(c); ok {
			// \text{5 apples}, \text{5 cm}, \text{5 km/h}, \text{5\%}
			*toks = append(*toks, lexInner(num, 1<<10)...)
			if rest == "%" || rest == `\%` {
				emit(tOp, "%")
			} else {
				emit(tText, rest)
			}
			return k
		}
		if f, ok := knownFuncs[c]; ok && len(c) > 2 {
			// \text{sqrt}(3), \text{sin} x: a function name set in text
			emit(tFunc, f)
			return k
		}
		if content == "i" {
			// 1+2\text{i}: the imaginary unit set upright
			emitLetter(toks, c)
			return k
		}
		if n := len(c) - 2; n > 0 && allDigitsStr(c[:n]) && ordinalSuffix[c[n:]] {
			// \text{2nd}: an ordinal
			emit(tNum, c[:n])
			emit(tText, c[n:])
			return k
		}
		emit(tText, c)
		return k
	case "mathrm", "mathbf", "mathit", "boldsymbol", "mathsf", "mathtt", "bm", "operatorname", "mathbb", "mathcal", "mathfrak", "pmb":
		content, k := readGroup(s, j)
		c := strings.TrimSpace(strings.ReplaceAll(content, "~", " "))
		if (name == "mathrm" || name == "textrm") && len(c) > 0 && c != strings.TrimSpace(content) && isLetters(c) {
			// \mathrm{~m}: a unit set after a space
			emit(tText, c)
			return k
		}
		if f, ok := knownFuncs[c]; ok {
			emit(tFunc, f)
			return k
		}
		if n := len(*toks); n > 0 && (*toks)[n-1].k == tNum && name == "mathrm" && strings.ContainsAny(c, "abcdefghijklmnopqrstuvwxyz") && isUnitText(c) {
			// 5\,\mathrm{m}, 5\ \mathrm{m/s}: a unit after a number
			emit(tText, c)
			return k
		}
		if name == "mathbb" && c == "R" {
			emit(tIdent, "mathbb R")
			return k
		}
		if name == "mathbb" && (c == "Z" || c == "Q" || c == "N") {
			// the integers, rationals, natural numbers: not a letter
			emit(tIdent, "mathbb "+c)
			return k
		}
		if len(c) == 1 && (c[0] >= 'a' && c[0] <= 'z' || c[0] >= 'A' && c[0] <= 'Z') {
			// a one-letter unit after another unit: \mathrm{km}/\mathrm{h}
			n := len(*toks)
			if name == "mathrm" && n >= 2 && (*toks)[n-1].k == tOp && (*toks)[n-1].text == "/" && (*toks)[n-2].k == tText {
				emit(tText, c)
				return k
			}
			emitLetter(toks, c)
			return k
		}
		if isLetters(c) && len(c) > 1 {
			if name == "mathbb" || name == "mathcal" {
				emit(tIdent, c)
			} else {
				emit(tText, c)
			}
			return k
		}
		// mixed content: re-lex it inline
		*toks = append(*toks, token{tOp, "{"})
		*toks = append(*toks, lexInner(c, 1<<20)...)
		*toks = append(*toks, token{tOp, "}"})
		return k
	case "overline", "vec", "hat", "bar", "widehat", "overrightarrow", "overleftrightarrow", "tilde", "widetilde", "underline", "dot", "ddot", "mathring":
		// geometric names: \overline{AB} is the segment AB
		content, k := readGroup(s, j)
		c := strings.TrimSpace(content)
		if (name == "overline" || name == "underline") && len(c) >= 2 && isUpper(c) {
			// \overline{AB}: the segment AB, written AB as often
			for _, r := range c {
				emitLetter(toks, string(r))
			}
			return k
		}
		if isLetters(c) {
			emit(tIdent, name[:1]+c)
			return k
		}
		sub := lexInner(c, 1<<20)
		if name == "overline" || name == "bar" {
			for _, t := range sub {
				if t.k == tConst && t.text == "i" {
					// \overline{1+i}: the complex conjugate
					emit(tFunc, "conj")
					break
				}
			}
		}
		*toks = append(*toks, token{tOp, "{"})
		*toks = append(*toks, sub...)
		*toks = append(*toks, token{tOp, "}"})
		return k
	case "forall":
		emit(tText, "for all")
	case "angle", "measuredangle":
		// \angle APD, \angle{APD}: the name of an angle
		k := j
		for k < len(s) && s[k] == ' ' {
			k++
		}
		var content string
		if k < len(s) && s[k] == '{' {
			content, k = readGroup(s, k)
		} else {
			e := k
			for e < len(s) && isLetter(s[e]) {
				e++
			}
			content, k = s[k:e], e
		}
		if strings.TrimSpace(content) == "" && k < len(s) && (isDigit(s[k]) || s[k] == '-') {
			// \angle 45^\circ: the sign of an angle before its size
			return k
		}
		emit(tIdent, "angle "+strings.TrimSpace(content))
		return k
	case "begin", "end":
		env, k := readGroup(s, j)
		env = strings.TrimSuffix(strings.TrimSpace(env), "*")
		if matrixEnvs[env] {
			if name == "begin" {
				emit(tBeginMat, env)
				if env == "array" { // skip the column spec
					_, k = readGroup(s, k)
				}
			} else {
				emit(tEndMat, env)
			}
			return k
		}
		if env == "cases" {
			emit(tBad, env)
			return k
		}
		// align, aligned, gathered: their rows are a list (\\ and & separate)
		return k
	case "sum", "prod":
		emit(tCmd, name)
	case "int", "iint", "oint", "lim", "to", "rightarrow", "Rightarrow", "implies",
		"cap", "subset", "subseteq", "exists", "partial", "nabla",
		"dots", "ldots", "cdots", "vdots", "ddots", "mod", "bmod", "pmod", "perp", "parallel",
		"triangle", "sim", "cong", "mapsto", "choose", "iff", "land", "lor", "neg",
		"wedge", "vee", "notin", "supset", "leftarrow", "Leftrightarrow", "overset", "underset", "stackrel":
		emit(tBad, name)
	case "dfrac", "tfrac", "cfrac":
		emit(tCmd, "frac")
	case "dbinom", "tbinom":
		emit(tCmd, "binom")
	case "exp":
		emit(tFunc, "exp")
	default:
		emit(tIdent, `\`+name)
	}
	return j
}

// repeating reads a repeating decimal whose fixed part is s[i:j] and whose
// period follows as \overline{ddd} or \dot{d}; it returns "p/q".
func repeating(s string, i, j int) (string, int, bool) {
	k := j
	// "0." followed by the period: the dot was not taken by the number
	fixed := s[i:j]
	if k < len(s) && s[k] == '.' && !strings.Contains(fixed, ".") {
		fixed += "."
		k++
	}
	if !strings.Contains(fixed, ".") {
		return "", 0, false
	}
	var period string
	var end int
	switch {
	case strings.HasPrefix(s[k:], `\overline`) && !letterAt(s, k+len(`\overline`)):
		period, end = readGroup(s, k+len(`\overline`))
	case strings.HasPrefix(s[k:], `\bar`) && !letterAt(s, k+len(`\bar`)):
		// 0.1\bar{6}, 0.\bar3
		period, end = readGroup(s, k+len(`\bar`))
	case k < len(s) && s[k] == '(' && (strings.HasSuffix(fixed, ".") || strings.HasPrefix(fixed, "0.") || strings.HasPrefix(fixed, ".")):
		// 0.(3), 0.1(6): the period in parentheses
		e := strings.IndexByte(s[k:], ')')
		if e < 0 {
			return "", 0, false
		}
		period, end = s[k+1:k+e], k+e+1
	case strings.HasPrefix(s[k:], `\dot{`):
		period, end = readGroup(s, k+len(`\dot`))
		// 0.\dot{1}\dot{2}, 0.\dot{1}2\dot{3}: dots over the first and
		// last digits of the period
		m := end
		for m < len(s) && s[m] >= '0' && s[m] <= '9' {
			m++
		}
		if strings.HasPrefix(s[m:], `\dot{`) {
			last, end2 := readGroup(s, m+len(`\dot`))
			period, end = period+s[end:m]+last, end2
		}
	default:
		// 0.333..., 0.4545\ldots: a period written out at least twice
		e, ok := ellipsisAt(s, k)
		if !ok {
			return "", 0, false
		}
		dot := strings.IndexByte(fixed, '.')
		f, p := writtenPeriod(fixed[dot+1:])
		if p == "" {
			return "", 0, false
		}
		fixed, period, end = fixed[:dot+1]+f, p, e
	}
	period = strings.TrimSpace(period)
	if period == "" || len(period) > 30 || len(fixed) > 30 || !allDigitsStr(period) {
		return "", 0, false
	}
	dot := strings.IndexByte(fixed, '.')
	intPart, frac := fixed[:dot], fixed[dot+1:]
	if intPart == "" {
		intPart = "0"
	}
	if !allDigitsStr(intPart) || frac != "" && !allDigitsStr(frac) {
		return "", 0, false
	}
	// x = intPart.frac(period) = (intPart frac period - intPart frac) / (10^len(frac) (10^len(period) - 1))
	a, _ := new(big.Int).SetString(intPart+frac+period, 10)
	b, _ := new(big.Int).SetString(intPart+frac, 10)
	num := new(big.Int).Sub(a, b)
	den := new(big.Int).Sub(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(period))), nil), big.NewInt(1))
	den.Mul(den, new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(len(frac))), nil))
	return new(big.Rat).SetFrac(num, den).String(), end, true
}

// lexInner lexes the content of a command for the tokens around it: no
// end token, and one bad token for content over max tokens.
func lexInner(s string, max int) []token {
	sub, err := lex(s, max)
	if err != nil {
		return []token{{tBad, "too long"}}
	}
	return sub[:len(sub)-1]
}

// letterAt reports an ASCII letter at s[i].
func letterAt(s string, i int) bool { return i < len(s) && isLetter(s[i]) }

// ellipsisAt reads an ellipsis (..., \ldots, \dots, \cdots, …) at s[k],
// after optional spaces, and returns the index after it.
func ellipsisAt(s string, k int) (int, bool) {
	for k < len(s) && s[k] == ' ' {
		k++
	}
	for _, e := range []string{"...", `\ldots`, `\dots`, `\cdots`, "…"} {
		if strings.HasPrefix(s[k:], e) && (e[0] != '\\' || !letterAt(s, k+len(e))) {
			return k + len(e), true
		}
	}
	return 0, false
}

// writtenPeriod splits the decimals of 0.1666... or 0.4545... into the
// digits before the period and the period: the shortest block (up to 6
// digits) that the decimals end with at least twice, and in at least three
// digits (0.66... is not read as 2/3). It returns "" for no period
// (3.14159...).
func writtenPeriod(frac string) (string, string) {
	for n := 1; n <= 6; n++ {
		reps := 2
		if n == 1 {
			reps = 3
		}
		if len(frac) < reps*n {
			return "", ""
		}
		blk := frac[len(frac)-n:]
		ok := true
		for r := 2; r <= reps; r++ {
			if frac[len(frac)-r*n:len(frac)-(r-1)*n] != blk {
				ok = false
			}
		}
		if !ok {
			continue
		}
		// move the start of the period left as far as the digits repeat
		start := len(frac) - reps*n
		for start > 0 && frac[start-1] == frac[start-1+n] {
			start--
		}
		return frac[:start], frac[start : start+n]
	}
	return "", ""
}

func allDigitsStr(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// numberLike reports a non-empty string of digits with '.', ',' or a sign.
func numberLike(s string) bool { return digitsAmong(s, ".,- ") }

// mathInText reports text that is only numbers and signs, such as a
// tuple or an interval set in \text{(0,1)}.
func mathInText(s string) bool { return digitsAmong(s, " .,+-*/^()[]") }

// digitsAmong reports a string of digits and the bytes in other, with at
// least one digit.
func digitsAmong(s, other string) bool {
	digits := 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c >= '0' && c <= '9':
			digits++
		case strings.IndexByte(other, c) >= 0:
		default:
			return false
		}
	}
	return digits > 0
}

// nestedText reports text that is one text or bold command and its
// group, as in \text{\textbf{5}}.
func nestedText(s string) bool {
	for _, c := range []string{`\textbf{`, `\text{`, `\mathbf{`, `\mathrm{`, `\emph{`, `\textit{`, `\boxed{`} {
		if strings.HasPrefix(s, c) {
			_, end := readGroup(s, len(c)-1)
			return end == len(s)
		}
	}
	return false
}

// numberAndUnit splits text that is a number and a unit, a counted noun
// or a percent sign, as in \text{5 apples}, \text{5cm}, \text{5 km/h}.
func numberAndUnit(s string) (string, string, bool) {
	i := 0
	for i < len(s) && (isDigit(s[i]) || s[i] == '.' || s[i] == '-' && i == 0) {
		i++
	}
	num, rest := s[:i], strings.TrimSpace(s[i:])
	if !allDigitsStr(strings.Trim(strings.TrimPrefix(num, "-"), ".")) && !numberLike(num) || rest == "" || strings.ContainsAny(rest, "0123456789") {
		return "", "", false
	}
	if rest == "%" || rest == `\%` || isLetters(rest) && len(rest) >= 3 || isUnitText(rest) {
		return num, rest, true
	}
	return "", "", false
}

// isUpper reports a non-empty string of capital ASCII letters.
func isUpper(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 'A' || s[i] > 'Z' {
			return false
		}
	}
	return s != ""
}

// isLetters reports a non-empty string of ASCII letters.
func isLetters(s string) bool { return allBytes(s, isLetter) }
