package merge

import "strings"

// JudgeVerdict is the LLM judge's ruling on one generation.
type JudgeVerdict string

const (
	JudgeEquivalent JudgeVerdict = "EQUIVALENT"
	JudgeDifferent  JudgeVerdict = "DIFFERENT"
	// JudgeAmbiguous is also what a reply without a verdict counts as. It
	// is not correct.
	JudgeAmbiguous JudgeVerdict = "AMBIGUOUS"
)

// judgePromptTemplate is modelled on the prompt OpenR1 gave
// Llama-3.3-70B-Instruct to build OpenR1-Math-220k: the problem, the
// reference answer and the model's solution, compare final answers only,
// a short explanation, then one verdict line. The section headings and the
// "Focus ONLY on" line that ends the model's solution are OpenR1's, so
// tools that parse OpenR1's judge prompt (our simulator) parse this one. The three placeholders are
// filled in one pass (strings.Replacer), so text inside a problem that
// looks like a placeholder stays as it is.
const judgePromptTemplate = `You are a mathematical answer validator. You will be given a mathematical problem, the answer from its reference solution, and a model's solution. Decide whether the final answer in the model's solution is equivalent to the reference answer, even if it is written differently.

PROBLEM:

{problem}

REFERENCE SOLUTION:

{answer}

MODEL'S SOLUTION:

{generation}

Focus ONLY on comparing the final mathematical answer given by the model, and ignore differences in:

- Formatting (e.g., \boxed{} vs plain text)
- Multiple choice formatting (e.g., "A" vs the full value of the option)
- Order of coordinate pairs or of solutions
- Equivalent mathematical expressions or notation variations
- If the model's answer is nonsense, return "Verdict: AMBIGUOUS"

Start with a brief explanation of your comparison (2-3 sentences). Then give your final answer in exactly one of these formats:

- "Verdict: EQUIVALENT"
- "Verdict: DIFFERENT"
- "Verdict: AMBIGUOUS"
`

// JudgePrompt renders the judge's user message for one generation.
// solution is what the judge sees of the generation (see JudgeSolution).
func JudgePrompt(problem, answer, solution string) string {
	return strings.NewReplacer(
		"{problem}", problem,
		"{answer}", answer,
		"{generation}", solution,
	).Replace(judgePromptTemplate)
}

// JudgeSolution returns the part of a generation the judge is shown: the
// text after the last </think> when the generation has a non-empty one (the
// written-up solution, where the final answer is), else the whole text; cut
// to its last maxChars bytes (at a rune boundary) when maxChars > 0, since
// the final answer is at the end and the judge's context is finite.
func JudgeSolution(text string, maxChars int) string {
	if i := strings.LastIndex(text, "</think>"); i >= 0 {
		if rest := strings.TrimSpace(text[i+len("</think>"):]); rest != "" {
			text = rest
		}
	}
	if maxChars > 0 && len(text) > maxChars {
		cut := len(text) - maxChars
		for cut < len(text) && !utf8RuneStart(text[cut]) {
			cut++
		}
		text = "…" + text[cut:]
	}
	return text
}

func utf8RuneStart(b byte) bool { return b&0xC0 != 0x80 }
