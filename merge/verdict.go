package merge

import (
	"regexp"
	"strings"
)

// How a judge reply is read. OpenR1 asked Llama-3.3-70B-Instruct for one of
// "Verdict: EQUIVALENT", "Verdict: DIFFERENT", "Verdict: AMBIGUOUS" after a
// short explanation (judgePromptTemplate) and counted a reply as correct
// when it contained "Verdict: EQUIVALENT". A substring test is fooled by a
// judge that quotes the instructions or changes its mind, so replies are
// read here as a person would read them:
//
//   - a verdict is the label "verdict" (any case, maybe bold or a heading),
//     a separator (":", "：", "=", a dash, "is", or a line break after a
//     heading), then the word, maybe quoted, bold, bracketed or boxed, and
//     maybe after a few filler words ("Verdict: the answers are
//     EQUIVALENT"); "not equivalent", "non-equivalent" and "inequivalent"
//     are DIFFERENT, "not different" is AMBIGUOUS (no clear ruling);
//   - a last line that is only a verdict word ("**EQUIVALENT**") is one too;
//   - the last verdict wins (a judge may reason past a first ruling);
//   - a verdict that offers another ("EQUIVALENT or DIFFERENT") rules
//     nothing, and the three options quoted together, in the prompt's order,
//     are the instructions echoed, not a ruling;
//   - anything else is no verdict: AMBIGUOUS, which is not correct.

// verdictLabelRE finds the label of a verdict.
var verdictLabelRE = regexp.MustCompile(`(?i)\bverdict\b`)

// verdictSepRE reads what separates the label from the verdict: a colon,
// an equals sign, a dash or "is" (maybe with markdown around it and a line
// break after it), or a line break after a heading ("## Verdict\n\n...").
var verdictSepRE = regexp.MustCompile(`^[ \t*_]*(?:(?:[:：=]|-+|–|—|(?i:is)\b)[ \t*_:：]*(?:\r?\n[ \t>*_]*)?|\r?\n[\s#>*_]*)`)

// verdictHedgeRE reads, after a verdict word, an alternative offered to it
// ("EQUIVALENT or DIFFERENT", "EQUIVALENT / Verdict: DIFFERENT").
var verdictHedgeRE = regexp.MustCompile("(?i)^[ \\t*_\"'`\\]\\)\\}$.,]*(?:or|/|\\||and|vs\\.?|versus)[ \\t*_\"'`\\[\\(\\{$]*(?:verdict[ \\t*_]*[:：]?[ \\t*_\"'`\\[\\(\\{$]*)?(?:not[ \\t]+|non-?|in)?(?:equivalent|different|ambiguous)\\b")

// verdictFiller are the words a judge may put between the label and the
// verdict word ("Verdict: the model's answer is EQUIVALENT").
var verdictFiller = map[string]bool{
	"the": true, "model": true, "model's": true, "models": true, "answer": true, "answers": true, "final": true,
	"solution": true, "solutions": true, "response": true, "is": true, "are": true, "both": true, "they": true,
	"it": true, "its": true, "mathematically": true, "and": true, "reference": true, "to": true, "be": true,
	"would": true, "of": true, "my": true, "this": true, "these": true, "that": true, "two": true, "given": true,
}

// verdictNegation are the words that turn the verdict word after them
// ("not equivalent").
var verdictNegation = map[string]bool{"not": true, "non": true, "isn't": true, "aren't": true, "never": true}

// verdictCandidate is one verdict read in a reply.
type verdictCandidate struct {
	pos      int
	v        JudgeVerdict
	hedge    bool // offers another verdict beside this one, or is offered beside one
	hedgeEnd int  // where the verdict it offers beside itself ends
}

// ParseVerdict returns the verdict of a judge reply (see the rules above):
// the last verdict in the text; a reply without one, or whose last verdict
// offers another beside it, is AMBIGUOUS and found is false.
func ParseVerdict(reply string) (v JudgeVerdict, found bool) {
	var cands []verdictCandidate
	for _, loc := range verdictLabelRE.FindAllStringIndex(reply, -1) {
		if c, ok := verdictAfterLabel(reply, loc[1]); ok {
			c.pos = loc[0]
			cands = append(cands, c)
		}
	}
	if c, ok := bareLastLine(reply); ok && (len(cands) == 0 || c.pos > cands[len(cands)-1].pos) {
		cands = append(cands, c)
	}
	for i, c := range cands {
		// "EQUIVALENT or Verdict: DIFFERENT": the offered one rules nothing either
		for j := i + 1; c.hedge && j < len(cands) && cands[j].pos < c.hedgeEnd; j++ {
			cands[j].hedge = true
		}
	}
	cands = dropEchoedOptions(cands)
	if len(cands) == 0 {
		return JudgeAmbiguous, false
	}
	last := cands[len(cands)-1]
	if last.hedge {
		return JudgeAmbiguous, false
	}
	return last.v, true
}

// verdictAfterLabel reads the verdict after a label ending at i.
func verdictAfterLabel(s string, i int) (verdictCandidate, bool) {
	sep := verdictSepRE.FindStringIndex(s[i:])
	if sep == nil || sep[1] == 0 {
		return verdictCandidate{}, false
	}
	i += sep[1]
	v, end, ok := verdictWords(s, i, 8, true)
	if !ok {
		return verdictCandidate{}, false
	}
	c := verdictCandidate{v: v}
	if h := verdictHedgeRE.FindStringIndex(s[end:]); h != nil {
		c.hedge, c.hedgeEnd = true, end+h[1]
	}
	return c, true
}

// verdictWords reads, from i on one line, at most maxWords negation words
// (and filler words when filler is true) and then a verdict word, skipping
// the decorations models put around it (markdown, quotes, brackets,
// $\boxed{\text{...}}$). end is where the verdict word ends.
func verdictWords(s string, i, maxWords int, filler bool) (v JudgeVerdict, end int, ok bool) {
	negated := false
	for n := 0; n <= maxWords; n++ {
		i = skipVerdictDecoration(s, i)
		j := i
		for j < len(s) && (isASCIILetter(s[j]) || s[j] == '\'' && j+1 < len(s) && isASCIILetter(s[j+1])) {
			j++
		}
		if j == i {
			return "", 0, false
		}
		w := strings.ToLower(s[i:j])
		switch {
		case w == "equivalent":
			if negated {
				return JudgeDifferent, j, true
			}
			return JudgeEquivalent, j, true
		case w == "inequivalent" || w == "nonequivalent":
			return JudgeDifferent, j, true
		case w == "different":
			if negated {
				return JudgeAmbiguous, j, true
			}
			return JudgeDifferent, j, true
		case w == "ambiguous":
			return JudgeAmbiguous, j, true
		case verdictNegation[w]:
			negated = true
		case !filler || !verdictFiller[w]:
			return "", 0, false
		}
		i = j
	}
	return "", 0, false
}

// skipVerdictDecoration skips spaces (not line breaks), markdown, quotes,
// brackets, hyphens and LaTeX wrappers from i.
func skipVerdictDecoration(s string, i int) int {
	for i < len(s) {
		switch c := s[i]; c {
		case ' ', '\t', '*', '_', '"', '\'', '`', '[', '(', '{', '$', '-', '<', '>':
			i++
			continue
		case '\\':
			rest := s[i+1:]
			skipped := false
			for _, cmd := range []string{"boxed", "textbf", "text", "mathrm", "mathbf", "mathtt", "quad", "("} {
				if strings.HasPrefix(rest, cmd) {
					i += 1 + len(cmd)
					skipped = true
					break
				}
			}
			if skipped {
				continue
			}
		default:
			if strings.HasPrefix(s[i:], "“") || strings.HasPrefix(s[i:], "‘") || strings.HasPrefix(s[i:], "「") {
				i += len("“")
				continue
			}
		}
		return i
	}
	return i
}

// bareLastLine reads a last non-empty line that is only a verdict
// ("**EQUIVALENT**", "NOT EQUIVALENT.").
func bareLastLine(s string) (verdictCandidate, bool) {
	t := strings.TrimRight(s, " \t\r\n")
	start := strings.LastIndexByte(t, '\n') + 1
	line := t[start:]
	v, end, ok := verdictWords(line, 0, 1, false)
	if !ok {
		return verdictCandidate{}, false
	}
	if strings.TrimLeft(line[end:], " \t*_\"'`])}$.!") != "" {
		return verdictCandidate{}, false
	}
	return verdictCandidate{pos: start, v: v}, true
}

// dropEchoedOptions removes the three options quoted together in the
// prompt's order (EQUIVALENT, DIFFERENT, AMBIGUOUS within a few lines): a
// judge that repeats its instructions has not ruled.
func dropEchoedOptions(cands []verdictCandidate) []verdictCandidate {
	const span = 200 // bytes: the prompt's three option lines take about 70
	out := cands[:0:0]
	for i := 0; i < len(cands); i++ {
		if i+2 < len(cands) && cands[i].v == JudgeEquivalent && cands[i+1].v == JudgeDifferent && cands[i+2].v == JudgeAmbiguous &&
			cands[i+2].pos-cands[i].pos < span {
			i += 2
			continue
		}
		out = append(out, cands[i])
	}
	return out
}

func isASCIILetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
