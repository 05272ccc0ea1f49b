package verify

import (
	"strings"
)

// box is one \boxed{...} found in a text: content and span.
type box struct {
	content    string
	start, end int
}

// findBoxes returns every \boxed{} and \fbox{} in text, in order. Boxes
// nested in other boxes are not returned separately.
func findBoxes(text string) []box {
	var out []box
	i := 0
	// next occurrences, searched again only once passed (linear overall)
	nb, nf := -2, -2
	for i < len(text) {
		if nb != -1 && nb < i {
			nb = strings.Index(text[i:], `\boxed`)
			if nb >= 0 {
				nb += i
			}
		}
		if nf != -1 && nf < i {
			nf = strings.Index(text[i:], `\fbox`)
			if nf >= 0 {
				nf += i
			}
		}
		j, k := nb, nf
		if j >= 0 {
			j -= i
		}
		if k >= 0 {
			k -= i
		}
		if j < 0 && k < 0 {
			break
		}
		n := len(`\boxed`)
		if j < 0 || (k >= 0 && k < j) {
			j, n = k, len(`\fbox`)
		}
		start := i + j
		p := start + n
		for p < len(text) && (text[p] == ' ') {
			p++
		}
		if p >= len(text) {
			break
		}
		if text[p] != '{' {
			// \boxed 5: a single token up to whitespace or $
			if text[p-1] == ' ' {
				q := p
				for q < len(text) && text[q] != '$' && text[q] != ' ' && text[q] != '\n' {
					q++
				}
				out = append(out, box{strings.TrimRight(text[p:q], ".,"), start, q})
				i = q
				continue
			}
			i = p
			continue
		}
		depth := 0
		q := p
		for ; q < len(text); q++ {
			if text[q] == '\\' {
				q++
				continue
			}
			if text[q] == '{' {
				depth++
			} else if text[q] == '}' {
				depth--
				if depth == 0 {
					break
				}
			}
		}
		if q >= len(text) { // unclosed: take the rest
			out = append(out, box{text[p+1:], start, len(text)})
			break
		}
		out = append(out, box{text[p+1 : q], start, q + 1})
		i = q + 1
	}
	return out
}

// joinable reports whether the text between two boxes only separates
// answers ("\boxed{1} and \boxed{2}", "\boxed{1}, \boxed{2}").
func joinable(between string) bool {
	s := between
	if len(s) > 60 || strings.Contains(s, "\n\n\n") {
		return false
	}
	for _, r := range []string{`\quad`, `\qquad`, `\text`, `\textbf`, `\mathrm`, `\(`, `\)`, `\[`, `\]`, `\,`, `\;`, `\ `, `$`, "{", "}", "\\\\", "&"} {
		s = strings.ReplaceAll(s, r, " ")
	}
	words := strings.FieldsFunc(s, func(r rune) bool { return r == ' ' || r == '\n' || r == '\t' })
	if len(words) == 0 {
		return true
	}
	connective := false
	others := 0
	for _, w := range words {
		lw := strings.ToLower(w)
		if (strings.HasSuffix(lw, ".") || strings.HasSuffix(lw, ":")) && !partLabel(strings.TrimRight(lw, ".:")) || strings.Contains(lw, "**") {
			return false // a sentence ends between the boxes
		}
		core := strings.Trim(lw, ",;")
		switch {
		case partLabel(core):
			connective = true // (a) \boxed{3} (b) \boxed{5}
		case core == "and" || core == "or" || core == "&":
			connective = true
		case core == "":
			connective = true // bare punctuation
		case !strings.ContainsFunc(core, func(r rune) bool { return r >= 'a' && r <= 'z' }):
			// symbols only: "++++"
		default:
			others++
		}
		if strings.ContainsAny(lw, ",;") {
			connective = true
		}
	}
	if others == 0 {
		return true
	}
	return connective && others <= 4
}

// partLabel reports a label of a part of a question: (a), b), (ii).
func partLabel(w string) bool {
	if !strings.HasSuffix(w, ")") {
		return false
	}
	w = strings.TrimPrefix(strings.TrimSuffix(w, ")"), "(")
	switch w {
	case "a", "b", "c", "d", "e", "f", "i", "ii", "iii", "iv", "v", "vi", "1", "2", "3", "4":
		return true
	}
	return false
}

// afterThink returns the text after the last </think>, or text.
func afterThink(text string) string {
	if i := strings.LastIndex(text, "</think>"); i >= 0 {
		rest := text[i+len("</think>"):]
		if strings.TrimSpace(rest) != "" {
			return rest
		}
	}
	return text
}

// ExtractAnswer returns the final answer of a generation: the last
// \boxed{} (with boxes just before it joined by ", " when only separators
// stand between them), the text after "final answer is" when it comes
// later or nothing is boxed, or else the last math span. Only the part after
// </think> is searched when a think block is present and followed by text.
func ExtractAnswer(text string) (string, bool) {
	text = afterThink(text)
	if a, ok := markedAnswer(text); ok {
		return a, true
	}
	m, end, ok := lastMathSpan(text)
	if ok && negatedAfter(text[end:]) {
		// "$x = 3$ is not a solution ... so there is no solution": the
		// last formula is what the prose after it rejects
		return "", false
	}
	if ok {
		// a number in the prose after the last formula is the answer:
		// "... so $d = 90/n$. Therefore there are 12 sequences."
		if n, ok := lastNumber(text[end:]); ok && len(text)-end < 400 && !strings.Contains(text[end:], "\\") {
			return n, true
		}
		return m, true
	}
	return "", false
}

// markedAnswer returns the answer text marks as one: the last non-empty
// \boxed{} (joined with the boxes just before it when only separators
// stand between them), or the text after "final answer is" when it comes
// later or nothing is boxed.
func markedAnswer(text string) (string, bool) {
	boxes := findBoxes(text)
	// empty boxes (\boxed{} written as a template) are not answers
	kept := boxes[:0:0]
	for _, b := range boxes {
		if strings.TrimSpace(b.content) != "" {
			kept = append(kept, b)
		}
	}
	boxes = kept
	phrase, phrasePos, hasPhrase := finalPhrase(text)
	if len(boxes) > 0 && !(hasPhrase && phrasePos > boxes[len(boxes)-1].end) {
		last := len(boxes) - 1
		first := last
		for first > 0 && joinable(text[boxes[first-1].end:boxes[first].start]) {
			first--
		}
		if first == last {
			return strings.TrimSpace(boxes[last].content), true
		}
		parts := make([]string, 0, last-first+1)
		seen := map[string]bool{}
		for _, b := range boxes[first : last+1] {
			c := strings.TrimSpace(b.content)
			if !seen[c] {
				parts = append(parts, c)
			}
			seen[c] = true
		}
		return strings.Join(parts, ", "), true
	}
	if hasPhrase {
		return phrase, true
	}
	return "", false
}

var answerMarkers = []string{"final answer is", "final answer:", "answer is", "answer:", "final answer"}

// finalPhrase finds "final answer is X" forms and returns X and its position.
func finalPhrase(text string) (string, int, bool) {
	lower := asciiLower(text)
	best, bestLen := -1, 0
	for _, m := range answerMarkers {
		if i := strings.LastIndex(lower, m); i >= 0 && i+len(m) > best+bestLen {
			best, bestLen = i, len(m)
		}
	}
	if best < 0 {
		return "", 0, false
	}
	rest := strings.TrimLeft(text[best+bestLen:], " *:\n\t")
	if r, ok := strings.CutPrefix(rest, "}"); ok && strings.Contains(asciiLower(text[:best]), `\text{`) {
		// \text{The answer is } -\frac{1}{2}: the marker closed its text group
		rest = strings.TrimLeft(r, " *:\n\t")
	}
	// stop at the end of the sentence or a few markers
	for _, stop := range []string{"I hope", "\n\n", "<|im", "<|endoftext|>"} {
		if i := strings.Index(rest, stop); i >= 0 {
			rest = rest[:i]
		}
	}
	rest = strings.TrimSpace(rest)
	if len(rest) > 300 {
		return "", 0, false
	}
	// "Final Answer: The largest $n$ is 34."
	lr := asciiLower(rest)
	if i := strings.LastIndex(lr, " is "); i >= 0 {
		if inMath(rest, i) == false {
			rest = strings.TrimSpace(rest[i+4:])
		}
	}
	if b := findBoxes(rest); len(b) > 0 {
		rest = b[len(b)-1].content
	} else if !strings.ContainsAny(rest, "$\\") && wordy(rest) {
		// "Jane started growing Sphere 3 hours ago"
		if n, ok := lastNumber(rest); ok {
			rest = n
		}
	}
	rest = strings.TrimSpace(strings.Trim(strings.TrimSpace(rest), ".*"))
	rest = stripDelims(rest)
	rest = strings.TrimSpace(strings.TrimRight(rest, ". "))
	if rest == "" {
		return "", 0, false
	}
	return rest, best, true
}

// wordy reports whether s reads as prose: two or more words of three or
// more letters that are not function names or units.
func wordy(s string) bool {
	n := 0
	i := 0
	for i < len(s) {
		if !isLetter(s[i]) {
			i++
			continue
		}
		j := i
		for j < len(s) && isLetter(s[j]) {
			j++
		}
		w := s[i:j]
		escaped := i > 0 && s[i-1] == '\\' || i > 0 && s[i-1] == '{' && (strings.HasSuffix(s[:i-1], `\begin`) || strings.HasSuffix(s[:i-1], `\end`))
		if !escaped && len(w) >= 3 {
			if _, f := knownFuncs[w]; !f && !plainWords[strings.ToLower(w)] || w == "is" {
				n++
			}
		}
		i = j
	}
	return n >= 2
}

// inMath reports whether position i of s lies inside $...$.
func inMath(s string, i int) bool {
	return strings.Count(s[:i], "$")%2 == 1
}

// stripDelims removes surrounding math delimiters and quotes.
func stripDelims(s string) string {
	s = strings.TrimSpace(s)
	for {
		t := s
		for _, p := range [][2]string{{"$$", "$$"}, {"$", "$"}, {`\[`, `\]`}, {`\(`, `\)`}, {`"`, `"`}, {"**", "**"}, {`\"`, `\"`}} {
			if len(s) >= len(p[0])+len(p[1]) && strings.HasPrefix(s, p[0]) && strings.HasSuffix(s, p[1]) {
				s = strings.TrimSpace(s[len(p[0]) : len(s)-len(p[1])])
			}
		}
		if s == t {
			break
		}
	}
	return s
}

// lastMath returns the content of the last $...$, $$...$$, \[...\] or \(...\) span.
func lastMath(text string) (string, bool) {
	s, _, ok := lastMathSpan(text)
	return s, ok
}

// lastMathSpan also returns where the span ends. It pairs delimiters in
// one pass from the start ($...$, $$...$$, \[...\], \(...\)); escaped
// dollars are not delimiters.
func lastMathSpan(text string) (string, int, bool) {
	mode := "" // the closing delimiter we are inside, or ""
	open := 0  // where the current span's content starts
	best, bestEnd := "", -1
	for i := 0; i < len(text); i++ {
		c := text[i]
		if c != '$' && c != '\\' {
			continue
		}
		if c == '\\' {
			if i+1 >= len(text) {
				break
			}
			n := text[i+1]
			switch {
			case n == '$':
				i++
				continue
			case mode == "" && (n == '[' || n == '('):
				mode = `\]`
				if n == '(' {
					mode = `\)`
				}
				open = i + 2
				i++
				continue
			case mode == `\]` && n == ']' || mode == `\)` && n == ')':
				if c := strings.TrimSpace(text[open:i]); c != "" {
					best, bestEnd = c, i
				}
				mode = ""
				i++
				continue
			}
			i++ // skip the escaped character
			continue
		}
		// a dollar
		double := i+1 < len(text) && text[i+1] == '$'
		switch {
		case mode == "" && double:
			mode, open = "$$", i+2
			i++
		case mode == "":
			mode, open = "$", i+1
		case mode == "$$" && double:
			if c := strings.TrimSpace(text[open:i]); c != "" {
				best, bestEnd = c, i
			}
			mode = ""
			i++
		case mode == "$":
			if c := strings.TrimSpace(text[open:i]); c != "" {
				best, bestEnd = c, i
			}
			mode = ""
		}
	}
	if bestEnd < 0 {
		return "", 0, false
	}
	return best, bestEnd, true
}

// lastNumber returns the last number-like token of a text ("2/3", "1,000.5", "-4").
func lastNumber(text string) (string, bool) {
	end := -1
	for i := len(text) - 1; i >= 0; i-- {
		if text[i] >= '0' && text[i] <= '9' {
			end = i + 1
			break
		}
	}
	if end < 0 {
		return "", false
	}
	start := end
	for start > 0 {
		c := text[start-1]
		if c >= '0' && c <= '9' || c == '.' || c == '/' || c == ',' && start >= 2 && text[start-2] >= '0' && text[start-2] <= '9' && end-start >= 3 {
			start--
			continue
		}
		break
	}
	if start > 0 && text[start-1] == '-' {
		start--
	}
	s := strings.Trim(text[start:end], ".,/")
	if s != "" && (strings.HasPrefix(text[end:], "%") || strings.HasPrefix(text[end:], `\%`)) && strings.HasSuffix(text[start:end], s) {
		s += "%" // "i.e. 75%."
	}
	return s, s != ""
}

// asciiLower lower-cases ASCII letters only, keeping byte offsets valid.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 32
		}
	}
	return string(b)
}

// negatedAfter reports prose after the last formula that rejects or
// negates something ("is not a solution", "no solution", "cannot").
func negatedAfter(prose string) bool {
	for _, w := range strings.FieldsFunc(asciiLower(prose), func(r rune) bool { return !(r >= 'a' && r <= 'z' || r == '\'') }) {
		switch w {
		case "not", "no", "never", "cannot", "can't", "isn't", "aren't", "impossible", "neither", "nor", "rejected", "discard", "discarded", "extraneous", "invalid":
			return true
		}
	}
	return false
}
