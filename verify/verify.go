package verify

import (
	"context"
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

// Check compares gold (a dataset's answer field: bare LaTeX, with or without
// $...$ or \boxed{}) with pred (a whole generation or a bare answer). It is
// safe for concurrent use and returns Unsure when ctx ends first.
//
// PLACEHOLDER for the spine: exact match after whitespace removal only.
func Check(ctx context.Context, gold, pred string) Result {
	p, ok := ExtractAnswer(pred)
	if !ok {
		p = pred
	}
	g := strings.Join(strings.Fields(gold), "")
	q := strings.Join(strings.Fields(p), "")
	if g == q {
		return Result{Verdict: Equal, Reason: "same text", GoldParsed: g, PredParsed: q}
	}
	return Result{Verdict: Unsure, Reason: "not decided", GoldParsed: g, PredParsed: q}
}

// ExtractAnswer returns the final answer of a generation: the content of
// its last \boxed{}.
func ExtractAnswer(text string) (string, bool) {
	i := strings.LastIndex(text, `\boxed{`)
	if i < 0 {
		return "", false
	}
	depth := 0
	start := i + len(`\boxed{`)
	for j := start; j < len(text); j++ {
		switch text[j] {
		case '{':
			depth++
		case '}':
			if depth == 0 {
				return text[start:j], true
			}
			depth--
		}
	}
	return "", false
}
