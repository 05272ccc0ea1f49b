package verify

import (
	"context"
	"testing"
	"time"
)

// FuzzExtract: extraction never panics or hangs, and what it returns is
// part of the input.
func FuzzExtract(f *testing.F) {
	for _, s := range []string{
		`so \boxed{\frac{1}{2}}.`, `\boxed{1} and \boxed{2}`, `<think>x</think>\boxed{3}`,
		`The final answer is $5$. I hope it is correct.`, `\boxed{\boxed{`, `$$ $ \( \[`,
		`\fbox{a}\boxed b`, `Final Answer: The largest $n$ is 34.`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		start := time.Now()
		ExtractAnswer(s)
		if d := time.Since(start); d > time.Second {
			t.Fatalf("ExtractAnswer took %v", d)
		}
	})
}

// FuzzParse: parsing and comparing any pair never panics or hangs.
func FuzzParse(f *testing.F) {
	for _, cs := range shapes {
		for _, c := range cs {
			f.Add(c.gold, c.pred)
		}
	}
	f.Add("5^{5^{5^{5^5}}}", "1")
	f.Add(`\frac{\frac{\frac{1}{2}}{3}}{`, `\sqrt[`)
	lim := DefaultLimits()
	ch := NewChecker(lim)
	f.Fuzz(func(t *testing.T, gold, pred string) {
		start := time.Now()
		if n, err := parseAnswer(clean(gold), lim); err == nil {
			_ = norm(n).String()
		}
		r := ch.Check(context.Background(), gold, pred)
		switch r.Verdict {
		case Equal, Different, Unsure:
		default:
			t.Fatalf("bad verdict %q", r.Verdict)
		}
		if len(r.Reason) > 6 && r.Reason[:6] == "intern" {
			t.Fatalf("Check(%q, %q) panicked: %s", gold, pred, r.Reason)
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Fatalf("Check(%q, %q) took %v", gold, pred, d)
		}
	})
}
