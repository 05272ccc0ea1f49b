package verify

import (
	"regexp"
	"strings"
)

// cleanReplacer rewrites spellings with one meaning into one form.
var cleanReplacer = strings.NewReplacer(
	`\\`, `\\`, // a row separator stays whole (so "\\ " is not read as "\ ")
	`\left.`, "", `\right.`, "",
	`\leftarrow`, `\leftarrow`, `\rightarrow`, `\rightarrow`, `\Leftrightarrow`, `\Leftrightarrow`, `\leftrightarrow`, `\leftrightarrow`,
	`\left\{`, `\{`, `\right\}`, `\}`, `\lbrace`, `\{`, `\rbrace`, `\}`,
	`\left`, "", `\right`, "",
	`{,}`, ",",
	`,\!`, ",", `\!`, "",
	`\$`, "", `$`, " ", `\ `, " ",
	`\%`, "%",
	`^{\circ}`, "°", `^\circ`, "°", `^{\circ }`, "°", `^ \circ`, "°", `\circ`, "°", `\degree`, "°",
	`^{\prime}`, "'", `^\prime`, "'",
	`\displaystyle`, "", `\textstyle`, "",
	`\dfrac`, `\frac`, `\tfrac`, `\frac`, `\cfrac`, `\frac`,
	`\dbinom`, `\binom`, `\tbinom`, `\binom`,
	`\lt`, "<", `\gt`, ">", `\not=`, `\neq `, `\not =`, `\neq `, `\not\in`, `\notin `,
	`a.m.`, ` am `, `p.m.`, ` pm `, `A.M.`, ` am `, `P.M.`, ` pm `,
	"\u00a0", " ",
	"½", `\frac{1}{2}`, "⅓", `\frac{1}{3}`, "⅔", `\frac{2}{3}`, "¼", `\frac{1}{4}`, "¾", `\frac{3}{4}`,
	`\hspace`, " ",
	`\operatorname{`, `\mathrm{`,
)

var commaBraces = strings.NewReplacer(" {, }", "{,}", "{, }", "{,}", " {,}", "{,}", ", \\!", ",\\!")

// escapeArtifacts restores commands whose backslash became a control
// character when JSON or Python read "\text" as TAB + "ext", "\frac" as
// form feed + "rac", "\boxed" as backspace + "oxed".
var escapeArtifacts = strings.NewReplacer(
	"\text", `\text`, "\times", `\times`, "\theta", `\theta`, "\tau", `\tau`, "\tan", `\tan`, "\tfrac", `\tfrac`,
	"\frac", `\frac`, "\boxed", `\boxed`, "\beta", `\beta`, "\binom", `\binom`,
	"\right", `\right`, "\rho", `\rho`,
	"\alpha", `\alpha`, "\vec", `\vec`,
)

// fixEscapes undoes escapeArtifacts damage.
func fixEscapes(s string) string {
	if strings.ContainsAny(s, "\t\f\b\r\a\v") {
		return escapeArtifacts.Replace(s)
	}
	return s
}

// clean normalises an extracted answer before lexing: delimiters, spacing
// commands, typographic thousands separators, fraction variants, trailing
// punctuation.
func clean(s string) string {
	s = fixEscapes(s)
	s = strings.TrimSpace(s)
	s = undoubleBackslashes(s)
	s = stripDelims(s)
	// typographic thousands separators between digit groups: 1\,000 1\;000 1~000
	s = commaBraces.Replace(s)
	s = joinThousands(s)
	s = cleanReplacer.Replace(s)
	if strings.Contains(s, `\choose`) {
		// {10 \choose 3} is \binom{10}{3}
		s = chooseRE.ReplaceAllString(s, `\binom{$1}{$2}`)
	}
	if strings.Contains(s, `\over`) {
		// {2 \over 3} is \frac{2}{3}
		s = overRE.ReplaceAllString(s, `\frac{$1}{$2}`)
	}
	if strings.Contains(s, `\in`) {
		// x = k\pi + \frac{\pi}{4} (k \in \mathbb{Z}): the condition in
		// parentheses is the one after a comma
		s = indexCondRE.ReplaceAllString(s, `, $2 \in \mathbb{$3}`)
	}
	if strings.Contains(s, `\begin`) {
		// \begin{cases} x = 1 \\ y = 2 \end{cases}: a solved system
		s = systemAnswer(s)
	}
	s = pointName(s)
	s = dropTrailingCondition(s)
	if m := curveLabelRE.FindStringSubmatch(s); m != nil {
		// l: 2x - y - 1 = 0, C: \frac{x^2}{4} + y^2 = 1: a curve's name
		s = m[1]
	}
	s = probabilityName(s)
	// a single number with comma or space thousands separators: 7,425,000
	s = strings.TrimSpace(s)
	ellipsis := decimalEllipsis(s)
	if t := strings.TrimRight(strings.TrimSuffix(strings.TrimSuffix(s, "..."), "…"), " "); t != s && strings.HasSuffix(t, ",") {
		// 1, 2, 3, ...: a list that goes on is not its first elements
		s = t + ` \ldots`
	}
	s = strings.TrimRight(s, ".;, ")
	if ellipsis {
		// 0.666...: the dots say the digits go on
		s += "..."
	}
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), `\\`))
	// "= 10/9" left over from a chain, ": 5" after a label
	s = strings.TrimSpace(strings.TrimLeft(s, "=:"))
	s = strings.TrimSpace(strings.TrimPrefix(s, `\approx`))
	if t, ok := plainThousands(s); ok {
		s = t
	} else if t, ok := thousandsBeforeUnit(s); ok {
		s = t
	}
	return s
}

// chooseRE matches {n \choose k} with plain n and k.
var chooseRE = regexp.MustCompile(`\{([^{}]*)\\choose([^{}]*)\}`)

// overRE finds {a \over b} (a and b without braces; not \overline).
var overRE = regexp.MustCompile(`\{([^{}]*)\\over([^a-zA-Z{}][^{}]*)\}`)

// indexCondRE finds a trailing "(k \in \mathbb{Z})" (also \left( \right),
// \mathbf, N, k an index letter).
var indexCondRE = regexp.MustCompile(`\s*(\\left)?\(\s*([kmn])\s*\\in\s*\\math(?:bb|bf)\s*\{?\s*([ZN])\s*\}?\s*(\\right)?\)\s*$`)

// unitWrappers strips the commands around a unit (\text{ dollars}).
var unitWrappers = strings.NewReplacer(`\text{`, " ", `\mathrm{`, " ", `\textrm{`, " ", `\mbox{`, " ", "}", " ", `\,`, " ", "~", " ")

// decimalEllipsis reports a decimal number ending in "..." (0.666...).
func decimalEllipsis(s string) bool {
	t, ok := strings.CutSuffix(s, "...")
	if !ok || t == "" || !isDigit(t[len(t)-1]) {
		return false
	}
	i := len(t)
	for i > 0 && isDigit(t[i-1]) {
		i--
	}
	return i > 0 && t[i-1] == '.' && i >= 2 && isDigit(t[i-2])
}

// thousandsBeforeUnit rewrites "2,000 \text{ dollars}" or "1 000 km" as
// "2000 \text{ dollars}": a number with thousands separators followed by
// words without digits.
func thousandsBeforeUnit(s string) (string, bool) {
	i := 0
	for i < len(s) && (isDigit(s[i]) || s[i] == ',' || s[i] == '.' || s[i] == ' ' || i == 0 && s[i] == '-') {
		i++
	}
	num, rest := strings.TrimSpace(s[:i]), s[i:]
	words := unitWrappers.Replace(rest)
	if strings.TrimSpace(words) == "" || strings.ContainsAny(words, "0123456789()") || !isUnitText(words) {
		return s, false
	}
	t, ok := plainThousands(num)
	if !ok {
		return s, false
	}
	return t + " " + rest, true
}

// doubledCommands are commands seen written with a doubled backslash when
// an answer went through one escaping too many (\\frac for \frac).
var doubledCommands = []string{"frac", "left", "right", "le", "ge", "leq", "geq", "text", "sqrt", "pi",
	"cdot", "times", "boxed", "infty", "in", "cup", "pm", "dfrac", "tfrac", "mathrm", "circ", "neq", "lt", "gt", "quad"}

// undoubleBackslashes turns \\frac into \frac when the answer has no
// environment (where \\ separates rows).
func undoubleBackslashes(s string) string {
	if !strings.Contains(s, `\\`) || strings.Contains(s, `\begin`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) && s[i+1] == '\\' {
			rest := s[i+2:]
			for _, c := range doubledCommands {
				if strings.HasPrefix(rest, c) && (len(rest) == len(c) || !isLetter(rest[len(c)])) {
					i++ // drop one backslash
					break
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// joinThousands removes \, \; \: ~ and "\ " between a digit and a group of
// exactly three digits.
func joinThousands(s string) string {
	if !strings.ContainsAny(s, `\~{`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if i > 0 && isDigit(s[i-1]) {
			for _, sep := range []string{`\,`, `\;`, `\:`, `~`, `\ `, `\thinspace `, `,\!`, `{,}`} {
				if strings.HasPrefix(s[i:], sep) {
					j := i + len(sep)
					for j < len(s) && s[j] == ' ' {
						j++
					}
					if j+3 <= len(s) && isDigit(s[j]) && isDigit(s[j+1]) && isDigit(s[j+2]) && (j+3 == len(s) || !isDigit(s[j+3])) {
						i = j - 1
						goto next
					}
					// 3.141\,59: the last group of decimals may be shorter
					if j < len(s) && isDigit(s[j]) && inDecimals(s, i) {
						e := j
						for e < len(s) && isDigit(s[e]) {
							e++
						}
						if e-j <= 3 {
							i = j - 1
							goto next
						}
					}
				}
			}
		}
		b.WriteByte(s[i])
	next:
	}
	return b.String()
}

// inDecimals reports that the digits just before s[i] follow a decimal
// point.
func inDecimals(s string, i int) bool {
	k := i
	for k > 0 && isDigit(s[k-1]) {
		k--
	}
	return k > 1 && s[k-1] == '.' && isDigit(s[k-2])
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// plainThousands turns "7,425,000", "1 000" or "-1,000.5" into a plain
// number. Only a whole answer made of one such number is rewritten, so
// that lists and intervals such as (1,100) are left alone.
func plainThousands(s string) (string, bool) {
	t := strings.TrimPrefix(s, "-")
	for _, sep := range []byte{',', ' '} {
		groups := strings.Split(t, string(sep))
		if len(groups) < 2 {
			continue
		}
		frac := ""
		last := groups[len(groups)-1]
		if k := strings.IndexByte(last, '.'); k >= 0 {
			frac = last[k:]
			groups[len(groups)-1] = last[:k]
			if len(frac) < 2 || !allDigits(frac[1:]) {
				continue
			}
		}
		ok := len(groups[0]) >= 1 && len(groups[0]) <= 3 && allDigits(groups[0]) && groups[0][0] != '0'
		for _, g := range groups[1:] {
			ok = ok && len(g) == 3 && allDigits(g)
		}
		if ok {
			out := strings.Join(groups, "") + frac
			if strings.HasPrefix(s, "-") {
				out = "-" + out
			}
			return out, true
		}
	}
	return s, false
}

func allDigits(s string) bool { return allBytes(s, isDigit) }

func allBytes(s string, ok func(byte) bool) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// assignRowRE matches one row of a solved system: a name (x, x_1, y_{2})
// set equal to a value with no other relation in it.
var assignRowRE = regexp.MustCompile(`^[a-zA-Z](?:_\{?[0-9a-zA-Z]+\}?)?\s*=[^=<>&]+$`)

// systemAnswer rewrites a cases, array or aligned environment (also after
// a brace, \left\{ \begin{array}{l} ... \end{array}\right.) whose rows each
// set one name to a value as the list "x = 1, y = 2". Anything else
// (piecewise functions, systems still to solve) is left as it is.
func systemAnswer(s string) string {
	t := strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(s), `\{`))
	for _, env := range []string{"cases", "array", "aligned"} {
		body, ok := strings.CutPrefix(t, `\begin{`+env+`}`)
		if !ok {
			continue
		}
		body, ok = strings.CutSuffix(body, `\end{`+env+`}`)
		if !ok || strings.Contains(body, `\begin`) || strings.Contains(body, `\le`) || strings.Contains(body, `\ge`) || strings.Contains(body, `\ne`) {
			return s
		}
		if env == "array" {
			body = strings.TrimSpace(body)
			spec, rest, ok := strings.Cut(body, "}")
			if !ok || !strings.HasPrefix(spec, "{") || strings.Trim(spec[1:], "lcr| ") != "" {
				return s
			}
			body = rest
		}
		var rows []string
		for _, r := range strings.Split(body, `\\`) {
			r = strings.TrimSpace(strings.TrimRight(strings.TrimSpace(r), ",;."))
			if r == "" {
				continue
			}
			if !assignRowRE.MatchString(r) {
				return s
			}
			rows = append(rows, r)
		}
		if len(rows) < 2 {
			return s
		}
		return strings.Join(rows, ", ")
	}
	return s
}

// pointNameRE matches a point's name written before its coordinates:
// A(1,2), M_1(0,-1), P'(2,3). C(5,2) is left alone (a binomial).
var pointNameRE = regexp.MustCompile(`^[ABD-Z](?:_\{?[0-9]+\}?|')?\s*\(`)

// pointName drops the name of a point given with its coordinates,
// A(1,2) -> (1,2), when the parentheses hold the whole rest of the answer
// and a comma at their top level.
func pointName(s string) string {
	loc := pointNameRE.FindStringIndex(s)
	if loc == nil {
		return s
	}
	open := loc[1] - 1
	depth, comma := 0, false
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '(', '[', '{':
			depth++
		case ')', ']', '}':
			depth--
			if depth == 0 {
				if i != len(s)-1 || !comma {
					return s
				}
				return s[open:]
			}
		case ',':
			if depth == 1 {
				comma = true
			}
		}
	}
	return s
}

// condWords open a parenthesised remark after an answer that is not part
// of it: 3 \text{ (when } x = 1), x = 4 \; (x = -1 \text{ rejected}).
var condWords = []string{"since", "when", "where", "because", "as", "for", "if", "rejected", "discarded", "valid", "reject", "discard"}

// dropTrailingCondition drops a remark in parentheses after an answer:
// "a = 2 (a > 0)", "k = \frac{1}{2}\,(k > 0)", "x = 4 \; (x = -1 \text{
// rejected})", "\frac{\sqrt{3}}{2} \text{ (since } A \text{ is acute)}". The
// parentheses must close the answer, follow a space, and hold an
// inequality or a word of condWords; an answer that is itself an
// inequality keeps them (x > 2 (x \ne 3) is another set).
func dropTrailingCondition(s string) string {
	t := strings.TrimSpace(s)
	body := strings.TrimSuffix(t, "}")
	if !strings.HasSuffix(body, ")") {
		return s
	}
	// the ( matching the final )
	depth, open := 0, -1
	for i := len(body) - 1; i >= 0; i-- {
		switch body[i] {
		case ')':
			depth++
		case '(':
			depth--
			if depth == 0 {
				open = i
			}
		}
		if open >= 0 {
			break
		}
	}
	if open <= 0 {
		return s
	}
	head := body[:open]
	inText := false
	if h, ok := strings.CutSuffix(strings.TrimRight(head, " "), `\text{`); ok {
		head, inText = h, true // \text{ (since } ...)
	} else if len(body) != len(t) {
		return s // a brace after the ) that no \text{ opened
	}
	trimmed := strings.TrimRight(head, " ")
	spaced := len(trimmed) < len(head) || inText
	for _, sp := range []string{`\,`, `\;`, `\:`, `\quad`, `\qquad`} {
		if t2, ok := strings.CutSuffix(trimmed, sp); ok {
			trimmed, spaced = strings.TrimRight(t2, " "), true
		}
	}
	if !spaced || trimmed == "" || strings.ContainsAny(trimmed[len(trimmed)-1:], "+-*/^_=(,") ||
		strings.ContainsAny(trimmed, "<>") || strings.Contains(trimmed, `\le`) || strings.Contains(trimmed, `\ge`) ||
		strings.Contains(trimmed, `\ne`) || strings.Contains(trimmed, `\text{ (`) {
		return s
	}
	inner := body[open+1 : len(body)-1]
	cond := strings.ContainsAny(inner, "<>") || strings.Contains(inner, `\le`) || strings.Contains(inner, `\ge`) ||
		strings.Contains(inner, `\ne`)
	words := strings.Fields(strings.ToLower(textWrappersSpaced.Replace(inner)))
	if len(words) > 0 {
		for _, w := range condWords {
			if words[0] == w || w == "rejected" && strings.Contains(inner, w) || w == "discarded" && strings.Contains(inner, w) {
				cond = true
			}
		}
	}
	if !cond {
		return s
	}
	return trimmed
}

// curveLabelRE matches a line's or curve's name before its equation.
var curveLabelRE = regexp.MustCompile(`^(?:l|L|C|E|\\Gamma)(?:_\{?[0-9a-zA-Z]+\}?)?\s*:\s*([^:]+=[^:]+)$`)

// probabilityName drops a probability's or expectation's name on the
// left: P(B|A) = \frac{3}{4}, P(\xi = 2) = 0.3 become the value. The name
// must close before the only top-level "=".
func probabilityName(s string) string {
	t := strings.TrimSpace(s)
	if len(t) < 4 || t[0] != 'P' && t[0] != 'E' && t[0] != 'D' {
		return s
	}
	i := 1
	for i < len(t) && t[i] == ' ' {
		i++
	}
	if i >= len(t) || t[i] != '(' {
		return s
	}
	depth := 0
	for j := i; j < len(t); j++ {
		switch t[j] {
		case '(':
			depth++
		case ')':
			depth--
			if depth == 0 {
				rest := strings.TrimSpace(t[j+1:])
				v, ok := strings.CutPrefix(rest, "=")
				if !ok || strings.ContainsAny(v, "=<>") || strings.TrimSpace(v) == "" {
					return s
				}
				return strings.TrimSpace(v)
			}
		}
	}
	return s
}
