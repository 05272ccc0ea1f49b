package verify

import (
	"context"
	"strings"
	"testing"
	"time"
)

// redteamCases are adversarial pairs: mostly wrong answers that must not be
// accepted. want lists the acceptable verdicts.
var redteamCases = []hardCase{
	// assignments against a bare list: the names fix the order
	{`x=1,y=2`, `2,1`, notEqual},
	{`a=1, b=2, c=3`, `3,2,1`, notEqual},
	{`1,2`, `x=2,y=1`, notEqual},
	{`x=1,y=2`, `1,2`, []Verdict{Equal}},
	{`a=1,b=2`, `b=2,a=1`, []Verdict{Equal}},
	// several choice letters are not one choice
	{`(A)`, `(A),(B)`, notEqual},
	{`\text{(A)}`, `\text{(A) or (B)}`, notEqual},
	{`(C)`, `(C) 12`, []Verdict{Equal}},
	// yes and no together are not yes
	{`\text{Yes}`, `\text{Yes and no}`, notEqual},
	{`\text{Yes}`, `\boxed{\text{Yes}}, \boxed{\text{No}}`, notEqual},
	{`Yes`, `\text{Yes, there is no counterexample}`, []Verdict{Equal}},
	// a bound is not the value
	{`4`, `4 \text{ or more}`, notEqual},
	{`4`, `4 \text{ or fewer}`, notEqual},
	{`4`, `4\text{ or greater}`, notEqual},
	{`4, 5`, `4 \text{ or } 5`, []Verdict{Equal}},
	// currencies are units too
	{`3\text{ dollars}`, `3 \text{ cents}`, notEqual},
	{`\$3`, `3 \text{ dollars}`, []Verdict{Equal}},
	// close only on the scale of a term added on the way
	{`\sqrt{10^{40}+1}`, `10^{20}`, notEqual},
	{`\frac{1}{\sqrt{2}-1}`, `\sqrt{2}+1`, []Verdict{Equal}},
	{`(\sqrt{3}+1)^{10}`, `(4+2\sqrt3)^5`, []Verdict{Equal}},
	// complex128 values that cannot tell their argument from a nearby one
	{`\sin(10^{100})`, `\sin(10^{100}+1)`, notEqual},
	{`\cos(10^{-8})`, `1`, notEqual},
	{`\arctan(10^{20})`, `\frac{\pi}{2}`, notEqual},
	{`\sin\frac{\pi}{6}`, `\frac12`, []Verdict{Equal}},
	{`e^{i\pi}`, `-1`, []Verdict{Equal}},
	{`\arctan 1`, `\frac{\pi}{4}`, []Verdict{Equal}},
	{`\sin^2 x+\cos^2 x`, `1`, []Verdict{Equal}},
	// ill-conditioned complex128 values
	{`\ln(1+10^{-30})`, `0`, notEqual},
	{`\ln(1+10^{-30})`, `10^{-30}`, notEqual},
	{`\sin\frac{\pi}{12}`, `\frac{\sqrt6-\sqrt2}{4}`, []Verdict{Equal}},
	{`\tan 89^\circ`, `\cot 1^\circ`, []Verdict{Equal}},
	{`\ln\frac{98}{97}`, `\ln 98-\ln 97`, []Verdict{Equal}},
	{`\ln 1`, `0`, []Verdict{Equal}},
	// set-builder notation is not the empty set
	{`\{x \mid x > 2\}`, `\emptyset`, notEqual},
	{`\{x | x > 2\}`, `\{\}`, notEqual},
	{`\{ x \mid x^2=1\}`, `\varnothing`, notEqual},
	{`\{\}`, `\emptyset`, []Verdict{Equal}},
	// the last number of an answer that does not parse is not its value
	{`2`, `\{x \mid x > 2\}`, notEqual},
	{`5`, `\lim_{x\to 5} f(x)`, notEqual},
	{`5`, `\int_0^5 x dx`, notEqual},
	{`3`, `\{1,2, \ldots, 3\}`, notEqual},
	{`3`, `n \bmod 3`, notEqual},
	{`5`, `not 5 %$#`, notEqual},
	// dots over the first and last digits of a period
	{`\frac{2}{9}`, `0.\dot{1}\dot{2}`, notEqual},
	{`\frac{4}{33}`, `0.\dot{1}\dot{2}`, []Verdict{Equal}},
	{`\frac{123}{999}`, `0.\dot{1}2\dot{3}`, []Verdict{Equal}},
	{`\frac13`, `0.\dot{3}`, []Verdict{Equal}},
	// \text{i} is the imaginary unit
	{`1+2i`, `1+2\text{i}`, []Verdict{Equal}},
	{`2`, `2\text{i}`, notEqual},
	// conditions written alike with other numbers or relations
	{`f(x) = x^c \text{ for some } c>0`, `f(x) = x^c \text{ for some } c>1`, notEqual},
	{`f(x) = x^c \text{ for some } c>0`, `f(x) = x^c \text{ for some } c \ge 0`, notEqual},
	{`n \text{ such that } n+1 \text{ is prime.}`, `n \text{ such that } n+2 \text{ is prime.}`, notEqual},
	{`f(x, y) = C \text{ for some constant } C \in [0, 1]`, `f(x, y) = C \text{ for some constant } C \in [1, 1]`, notEqual},
	{`f(x) = x^c \text{ for some } c>0`, `f(x) = x^c`, []Verdict{Equal}},
	{`\tan(\sin x) > \sin(\tan x) \text{ for } x \in \left(0, \frac{\pi}{2}\right)`, `\tan(\sin x) > \sin(\tan x) \text{ for } x \in \left(0, \frac{2}{\pi}\right)`, notEqual},
	{`f(x)=cx`, `f(x) = cx \text{ for all } x \in \mathbb{R}`, []Verdict{Equal}},
	// step functions that agree at small values only
	{`M^{\lfloor \frac{n}{2} \rfloor}`, `M^{\lfloor \frac{n}{3} \rfloor}`, notEqual},
	{`\lfloor \frac{n}{2} \rfloor + 1`, `\lfloor \frac{n+2}{2} \rfloor`, []Verdict{Equal}},
	// "and" against "or" between inequalities
	{`x<-1 \text{ or } x>3`, `x<-1 \text{ and } x>3`, notEqual},
	{`(-\infty,-1)\cup(3,\infty)`, `x<-1 \text{ and } x>3`, notEqual},
	{`(-\infty,-1)\cup(3,\infty)`, `x<-1 \text{ or } x>3`, []Verdict{Equal}},
	{`x<-1 \text{ or } x>3`, `x<-1, x>3`, []Verdict{Equal}},
	// times of day are not ratios
	{`3:30`, `1:10`, notEqual},
	{`3:30 \text{ PM}`, `1:10 \text{ PM}`, notEqual},
	{`3:30 PM`, `1:10 PM`, notEqual},
	{`1:2`, `2:4`, []Verdict{Equal}},
	{`2:3:4`, `4:6:8`, []Verdict{Equal}},
	// the same value for different coordinates: different lines
	{`y = 3`, `x = 3`, notEqual},
	{`x=3`, `a=3`, []Verdict{Equal}},
	// complex powers with huge exponents: no float noise as a verdict
	{`i^{10^{20}}`, `1`, []Verdict{Equal}},
	{`i^{10^{20}+3}`, `-i`, []Verdict{Equal}},
	{`i^{10^{20}+3}`, `i`, []Verdict{Different}},
	{`e^{10^{20}\pi i}`, `1`, []Verdict{Equal, Unsure}},
	{`(\frac{-1+i\sqrt3}{2})^{3\cdot 10^{15}}`, `1`, []Verdict{Equal, Unsure}},
	{`i^{2023}`, `-i`, []Verdict{Equal}},
	{`(1+i)^{20}`, `-1024`, []Verdict{Equal}},
}

var notEqual = []Verdict{Different, Unsure}

// hardCase is a pair and the verdicts acceptable for it.
type hardCase struct {
	gold, pred string
	want       []Verdict
}

func TestRedteam(t *testing.T) { checkHardCases(t, redteamCases) }

// checkHardCases checks each pair within a second and against its verdicts.
func checkHardCases(t *testing.T, cases []hardCase) {
	t.Helper()
	for _, c := range cases {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		start := time.Now()
		got := Check(ctx, c.gold, c.pred)
		cancel()
		ok := false
		for _, w := range c.want {
			ok = ok || got.Verdict == w
		}
		if !ok {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want one of %v", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("Check(%q, %q) took %v", c.gold, c.pred, d)
		}
	}
}

// TestRedteamFast: pairs that once took seconds.
func TestRedteamFast(t *testing.T) {
	for _, c := range []struct{ name, gold, pred string }{
		{"product of 3999 letters", "5", strings.Repeat("x", 3999)},
		{"product of 2000 letter pairs", "5", strings.Repeat("xy", 1000)},
		// 5.2 s before exact values were charged by size
		{"sum of 1421 large fractions", `e^{\frac{e^{e^{{(x)}^{3!}}}}{e^{\sum_{k=1}^{1421} {(y)}^{746}}}}`, `e^{\frac{e^{e^{{(x)}^{3!}}}}{e^{\sum_{k=1}^{1421} {(y)}^{746}}}}+0`},
		{"sum of 1023 factorials", `{(\sqrt{\frac{8!}{x}})}^{\sum_{k=1}^{1023} (350)!}`, `{(\sqrt{\frac{8!}{x}})}^{\sum_{k=1}^{1023} (350)!}+0`},
	} {
		start := time.Now()
		Check(context.Background(), c.gold, c.pred)
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s took %v", c.name, d)
		}
	}
}
