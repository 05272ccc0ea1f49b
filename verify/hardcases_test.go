package verify

// Hard pairs: (gold, pred) pairs the checker once got wrong, one table per
// kind, each pair with the verdicts acceptable for it. The labelled TSV
// sets several of them came from run in labelledpairs_test.go.

import (
	"context"
	"strings"
	"testing"
	"time"
)

// wrongAnswerCases are adversarial pairs: mostly wrong answers that must
// not be accepted. want lists the acceptable verdicts.
var wrongAnswerCases = []hardCase{
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

func TestWrongAnswers(t *testing.T) { checkHardCases(t, wrongAnswerCases) }

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

// TestOnceSlowPairs: pairs that once took seconds.
func TestOnceSlowPairs(t *testing.T) {
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

// blindSpotCases are pairs built on Math-Verify's documented blind spots
// (degrees, i, \overline, repeating decimals,
// thousands separators, units). Each failed before its fix. want lists the
// acceptable verdicts.
var blindSpotCases = []hardCase{
	// temperatures: the C or F after a degree sign is a unit
	{`25^{\circ}\mathrm{C}`, `25`, []Verdict{Equal}},
	{`25^\circ \text{C}`, `25`, []Verdict{Equal}},
	{`37^\circ \text{C}`, `37`, []Verdict{Equal}},
	{`100^\circ \mathrm{F}`, `100`, []Verdict{Equal}},
	{`25^\circ\mathrm{C}`, `25^\circ\mathrm{F}`, notEqual},
	{`25°C`, `25`, []Verdict{Equal}},
	// 30^o: the letter o for a degree sign after a number
	{`90^\circ`, `90^o`, []Verdict{Equal}},
	{`90^\circ`, `90^{o}`, []Verdict{Equal}},
	{`\frac{\pi}{2}`, `90^o`, []Verdict{Equal}},
	// the sign of an angle before its size
	{`45^\circ`, `\angle 45^\circ`, []Verdict{Equal}},
	// repeating decimals written with \bar, parentheses or an ellipsis
	{`0.\bar{3}`, `\frac13`, []Verdict{Equal}},
	{`\frac{1}{6}`, `0.1\bar{6}`, []Verdict{Equal}},
	{`0.(3)`, `\frac13`, []Verdict{Equal}},
	{`\frac16`, `0.1(6)`, []Verdict{Equal}},
	{`0.333\ldots`, `\frac{1}{3}`, []Verdict{Equal}},
	{`\frac{5}{11}`, `0.454545\ldots`, []Verdict{Equal}},
	{`\frac{2}{3}`, `0.666\ldots`, []Verdict{Equal}},
	{`\frac{2}{3}`, `0.6666...`, []Verdict{Equal}},
	{`\frac{1}{7}`, `0.142857142857\ldots`, []Verdict{Equal}},
	{`\frac{1}{6}`, `0.1666\dots`, []Verdict{Equal}},
	{`\frac{2}{3}`, `0.66\ldots`, notEqual}, // two digits do not make a period
	{`\pi`, `3.14159\ldots`, notEqual},
	{`\frac{1}{3}`, `0.3...`, notEqual},
	{`1, 2, 3, \ldots`, `1, 2, 3`, notEqual},
	{`1,2,3,...`, `1,2,3`, notEqual},
	// \overline: a segment over capitals, the conjugate over a complex value
	{`\overline{AB}`, `AB`, []Verdict{Equal}},
	{`1-i`, `\overline{1+i}`, []Verdict{Equal}},
	{`1+i`, `\overline{1+i}`, notEqual},
	{`2-3i`, `\bar{2+3i}`, []Verdict{Equal}},
	{`\overline{z}`, `z`, notEqual},
	// math set in \text{}
	{`(0,1)`, `\text{(0,1)}`, []Verdict{Equal}},
	{`[1,2)`, `\text{[1,2)}`, []Verdict{Equal}},
	{`5`, `\boxed{\text{5 apples}}`, []Verdict{Equal}},
	{`4`, `\text{4 or more}`, notEqual},
	{`5`, `\text{5 more}`, notEqual},
	// a plural noun after a number names what was counted
	{`12`, `\boxed{12\text{ students}}`, []Verdict{Equal}},
	{`5`, `5 \text{ apples}`, []Verdict{Equal}},
	{`5\text{ apples}`, `5\text{ oranges}`, notEqual},
	{`5`, `5 \text{ thousands}`, notEqual},
	{`5`, `5 \text{ less}`, notEqual},
	// thousands separators before a unit
	{`2000`, `2,000 \text{ dollars}`, []Verdict{Equal}},
	{`1500000`, `1,500,000 \text{ yuan}`, []Verdict{Equal}},
	{`70110`, `70,110 \text{ (need both, but order doesn't matter)}`, notEqual},
	// a percent sign after a mixed number belongs to the whole number
	{`33\frac{1}{3}\%`, `\frac13`, []Verdict{Equal}},
	{`33\frac{1}{3}\%`, `33\frac13`, []Verdict{Equal}},
	{`33\frac{1}{3}\%`, `\frac{100}{3}`, []Verdict{Equal}},
	// mixed numbers in plain text (Math-Verify's test_mixed_number_extraction)
	{`\frac{40}{9}`, `4 4/9`, []Verdict{Equal}},
	{`-\frac{40}{9}`, `-4 4/9`, []Verdict{Equal}},
	{`\frac{71}{6}`, `+11 5/6`, []Verdict{Equal}},
	{`\frac{14}{3}`, `The answer is 4 2/3.`, []Verdict{Equal}},
	{`\frac{4}{9}`, `0 4/9`, []Verdict{Equal}},
	{`4`, `4 0/9`, []Verdict{Equal}},
	{`\frac{40}{900}`, `4 4/9 percent`, []Verdict{Equal}},
	{`4`, `The answer is 4 4/9.`, notEqual},
	{`\frac{4}{9}`, `4 4/9`, notEqual},
	{`4`, `4 4/0`, notEqual},
	{`12`, `11 6/6`, notEqual},
	{`\frac{73}{6}`, `11 7/6`, notEqual},
	{`\frac{139}{90}`, `11/10 4/9`, notEqual},
	{`\frac{103}{9}`, `11.0 4/9`, notEqual},
	{`2`, `4 4/9 2`, notEqual},
	// the word percent
	{`\frac{1}{4}`, `25 percent`, []Verdict{Equal}},
	{`0.25`, `25 pct`, []Verdict{Equal}},
	// set-builder notation for an interval
	{`[1, 2]`, `\{x \mid 1 \le x \le 2\}`, []Verdict{Equal}},
	{`(0,1)`, `\{x: 0<x<1\}`, []Verdict{Equal}},
	{`(2,\infty)`, `\{x \in \mathbb{R} \mid x > 2\}`, []Verdict{Equal}},
	{`(0,1)`, `\{x: 0<x \le 1\}`, notEqual},
	{`\{x \mid x > 0\}`, `\{x \mid x < 0\}`, notEqual},
	{`\{ x \mid x^2=1\}`, `\{1\}`, notEqual},
	{`2`, `\{x \mid 1 \le x \le 2\}`, notEqual},
	// the integer parameter of a family of angles may be renamed
	{`\frac{\pi}{6}+k\pi`, `\frac{\pi}{6}+n\pi`, []Verdict{Equal}},
	{`x = \frac{\pi}{4} + k\pi`, `\frac{\pi}{4}+m\pi`, []Verdict{Equal}},
	{`k\pi`, `n\pi`, []Verdict{Equal}},
	{`\frac{\pi}{6}+2k\pi`, `\frac{\pi}{6}+n\pi`, notEqual},
	{`2^k`, `2^n`, notEqual},
	{`x+\pi`, `y+\pi`, notEqual},
	// an exact value followed by its approximation is the exact value
	{`\sqrt{3}`, `\boxed{\sqrt{3} \approx 1.732}`, []Verdict{Equal}},
	{`\frac{\pi}{4}`, `\frac{\pi}{4} \approx 0.785`, []Verdict{Equal}},
	{`\frac{\pi}{4}`, `\frac{\pi}{3} \approx 0.785`, notEqual},
	{`0.785`, `\frac{\pi}{3} \approx 0.785`, notEqual},
	// scale words multiply the number before them
	{`1500000`, `1.5 million`, []Verdict{Equal}},
	{`\$1.5 \text{ million}`, `1500000`, []Verdict{Equal}},
	{`5000`, `5 \text{ thousand}`, []Verdict{Equal}},
	{`1.5`, `1.5 million`, notEqual},
	{`5`, `5 \text{ thousand}`, notEqual},
	// a shorter last group of spaced decimals
	{`3.14159`, `3.141\,59`, []Verdict{Equal}},
	{`59`, `3.141\,59`, notEqual},
	{`1.5`, `1\,5`, notEqual},
	// a condition after a separator is skipped like one after a value
	{`f(x) = x \quad \text{for all} \; x \in \mathbb{R}`, `x`, []Verdict{Equal}},
	{`f(x) = x \quad \text{for all} \; x > 0`, `f(x) = x \quad \text{for all} \; x > 1`, notEqual},
	// the gold's words in parentheses annotate its values
	{`4122 \text{ (minimum)}, 6049 \text{ (maximum)}`, `6049, 4122`, []Verdict{Equal}},
	{`(4,4,4),(-4,-4,-4) \text{ (need both, but order doesn't matter)}`, `(4, 4, 4), (-4, -4, -4)`, []Verdict{Equal}},
	{`4122 \text{ (minimum)}`, `4123`, notEqual},
	{`n \text{ is even}`, `n`, notEqual},
	// stated radians against degrees: the degrees are converted
	{`1 \text{ rad}`, `1^\circ`, notEqual},
	{`2\pi \text{ rad}`, `2^\circ`, notEqual},
	{`\frac{\pi}{3} \text{ rad}`, `60^\circ`, []Verdict{Equal}},
	{`1 \text{ rad}`, `1`, []Verdict{Equal}},
	{`30^\circ`, `30 radians`, notEqual}, // was equal
	{`3^\circ`, `3\%`, notEqual},
	// minutes and seconds of arc
	{`30^\circ 15'`, `30.25^\circ`, []Verdict{Equal}},
	{`30.26^\circ`, `30^\circ 15' 36''`, []Verdict{Equal}},
	{`30^\circ 15'`, `30.15^\circ`, notEqual},
	// "and" between rays whose union is the whole line is an intersection
	{`-1 < x < 3`, `x > -1 \text{ and } x < 3`, []Verdict{Equal}},
	{`(-1,3)`, `x>-1 \text{ and } x<3`, []Verdict{Equal}},
	{`(-1,3)`, `x>-1 \text{ or } x<3`, notEqual},
	{`(-1,3)`, `x<-1 \text{ and } x>3`, notEqual},
	// x \ne a and \mathbb{R} \setminus \{a\}
	{`x \neq 0`, `(-\infty,0)\cup(0,\infty)`, []Verdict{Equal}},
	{`x \ne 1`, `x \in \mathbb{R} \setminus \{1\}`, []Verdict{Equal}},
	{`\mathbb{R}\setminus\{1\}`, `(-\infty,1)\cup(1,\infty)`, []Verdict{Equal}},
	{`\mathbb{R}\setminus\{1\}`, `(-\infty,1]\cup(1,\infty)`, notEqual},
	{`x \ne 1`, `\mathbb{R}\setminus\{2\}`, notEqual},
	// \mathrm{} units after a number, per, o'clock, ordinals
	{`5`, `5\ \mathrm{m/s}`, []Verdict{Equal}},
	{`5`, `5\,\mathrm{m}/\mathrm{s}`, []Verdict{Equal}},
	{`5\,\mathrm{m}`, `5\,\mathrm{s}`, notEqual},
	{`2e`, `2\mathrm{e}`, []Verdict{Equal}},
	{`25`, `25 \text{ meters per second}`, []Verdict{Equal}},
	{`8`, `8 \text{ o'clock}`, []Verdict{Equal}},
	{`3`, `3^{rd}`, []Verdict{Equal}},
	{`2`, `\text{2nd}`, []Verdict{Equal}},
	{`5`, `\text{4th}`, notEqual},
	// multiple-select letters compare as sets
	{`ACD`, `A, C, D`, []Verdict{Equal}},
	{`BD`, `\text{B and D}`, []Verdict{Equal}},
	{`CD`, `C, D`, []Verdict{Equal}},
	{`ACD`, `\boxed{AC}`, notEqual},
	{`(A)`, `\text{(A) and (B)}`, notEqual},
	{`A`, `\boxed{A, B}`, notEqual},
	// exact trigonometric values at multiples of π/6 and π/4, and e^{iqπ}
	// at multiples of π/2: a zero is a zero, not float noise
	{`0`, `\sin\pi`, []Verdict{Equal}},
	{`0`, `\cos 90^\circ`, []Verdict{Equal}},
	{`0`, `\tan\pi`, []Verdict{Equal}},
	{`0`, `\cot\frac{\pi}{2}`, []Verdict{Equal}},
	{`0`, `\cos(\pi/3) - 0.5`, []Verdict{Equal}},
	{`0`, `e^{i\pi}+1`, []Verdict{Equal}},
	{`0`, `e^{i\frac{\pi}{2}}-i`, []Verdict{Equal}},
	{`0`, `\sin(\pi + 10^{-20})`, notEqual},
	{`0`, `e^{i\pi}-1`, notEqual},
	{`0`, `\tan\frac{\pi}{2}`, notEqual},
	{`\frac{1}{2}`, `\sin 150^\circ`, []Verdict{Equal}},
	{`-1`, `\sec\pi`, []Verdict{Equal}},
	// a number and its unit set together in \text{}
	{`5`, `\text{5 cm}`, []Verdict{Equal}},
	{`5`, `\text{5cm}`, []Verdict{Equal}},
	{`5`, `\text{5 km/h}`, []Verdict{Equal}},
	{`5`, `\text{5 square units}`, []Verdict{Equal}},
	{`0.05`, `\text{5\%}`, []Verdict{Equal}},
	{`5`, `\text{5 thousand}`, notEqual},
	{`5`, `\text{5 or more}`, notEqual},
	{`5\text{ cm}`, `\text{5 m}`, notEqual},
	// a text command inside \text{}
	{`5`, `\boxed{\text{\textbf{5}}}`, []Verdict{Equal}},
	{`6`, `\text{\textbf{5}}`, notEqual},
	// intervals written with reversed brackets (French style)
	{`(2,5)`, `]2,5[`, []Verdict{Equal}},
	{`[2,+\infty)`, `[2,+\infty[`, []Verdict{Equal}},
	{`(2,5]`, `]2,5]`, []Verdict{Equal}},
	{`(-\infty,1)\cup(2,\infty)`, `]-\infty,1[\cup]2,+\infty[`, []Verdict{Equal}},
	{`[2,5]`, `]2,5[`, notEqual},
	// {n \choose k}
	{`\binom{10}{3}`, `{10 \choose 3}`, []Verdict{Equal}},
	{`120`, `{10\choose 3}`, []Verdict{Equal}},
	{`10`, `{10 \choose 2}`, notEqual},
	// a choice letter with a period, colon or parenthesis before the value
	{`12`, `\boxed{B. 12}`, []Verdict{Equal}},
	{`12`, `\boxed{C: 12}`, []Verdict{Equal}},
	{`13`, `\boxed{B. 12}`, notEqual},
	// a percent sign after the number taken from the prose
	{`\frac{3}{4}`, `Hence the probability is $\frac{3}{4}$, i.e. 75%.`, []Verdict{Equal}},
	{`75`, `Hence the probability is $\frac{3}{4}$, i.e. 75%.`, []Verdict{Equal}},
	// words that only name the extremum asked for; \min and \max as names
	{`\text{minimum } 3`, `3`, []Verdict{Equal}},
	{`\text{maximum value } 10`, `10`, []Verdict{Equal}},
	{`\text{minimum } 3`, `\text{maximum } 3`, notEqual},
	{`\min f(x) = -1`, `-1`, []Verdict{Equal}},
	{`\min f(x) = -1`, `\max f(x) = -1`, notEqual},
	{`\min f(x) = -1`, `1`, notEqual},
	// "does not exist", "infinitely many"
	{`\text{DNE}`, `\text{does not exist}`, []Verdict{Equal}},
	{`\text{does not exist}`, `DNE`, []Verdict{Equal}},
	{`\text{undefined}`, `\text{DNE}`, []Verdict{Unsure}},
	{`\infty`, `\text{infinitely many}`, []Verdict{Equal}},
	{`\infty`, `\text{infinitely many solutions}`, []Verdict{Equal}},
	{`5`, `\text{infinitely many}`, notEqual},
	{`-\infty`, `\text{infinitely many}`, notEqual},
	// Greek letters typed as Unicode; a function name set in \text{}
	{`\alpha+\beta`, `α+β`, []Verdict{Equal}},
	{`\theta=30^\circ`, `θ = 30°`, []Verdict{Equal}},
	{`\sqrt{3}`, `\text{sqrt}(3)`, []Verdict{Equal}},
	{`3`, `\text{sqrt}(3)`, notEqual},
	// \mathbb{Z} is the integers, not the letter Z
	{`\mathbb{Z}`, `\text{all integers}`, []Verdict{Equal}},
	{`\mathbb{Z}`, `ℤ`, []Verdict{Equal}},
	{`\mathbb{Z}`, `\mathbb{R}`, notEqual},
	{`\mathbb{N}`, `\text{all integers}`, notEqual},
	{`n \in \mathbb{Z}`, `\mathbb{Z}`, []Verdict{Equal}},
}

func TestMathVerifyBlindSpots(t *testing.T) { checkHardCases(t, blindSpotCases) }

// TestAdversarialSizes: adversarial sizes of the blind-spot forms stay
// fast, never panic and never take a long formula's last number as
// its value.
func TestAdversarialSizes(t *testing.T) {
	r := strings.Repeat
	for _, c := range []struct{ name, gold, pred string }{
		{"nested overline", "1", r(`\overline{`, 1300) + "1+i" + r("}", 1300)},
		{"nested bar", "1", r(`\bar{`, 1300) + "1" + r("}", 1300)},
		{"nested sqrt", "5", r(`\sqrt{`, 1000) + "5" + r("}", 1000)},
		{"long written period", "1", "0." + r("3", 3990) + "..."},
		{"long written block", "1", "0." + r("12", 1990) + `\ldots`},
		{"long parenthesised period", "1", "0.(" + r("3", 3990) + ")"},
		{"tuple text over the token limit", "1", `\text{` + r("(1,", 1000) + "}"},
		{"number text over the token limit", "1", `\text{` + r("1,", 1100) + "}"},
		{"long set-builder chain", "1", `\{x \mid ` + r("1<", 1000) + `x\}`},
		{"many mixed numbers", "1", r("1 1/2 ", 600)},
		{"many angle signs", "1", r(`\angle `, 800) + "5"},
		{"long thousands before a unit", "1", "1," + r("000,", 900) + "000 dollars"},
		{"many temperatures", "1", "25" + r(`^\circ C`, 400)},
		{"renamed index in a long sum", `\frac{\pi}{6}+k\pi`, r(`\frac{\pi}{6}+n\pi`, 200)},
	} {
		start := time.Now()
		got := Check(context.Background(), c.gold, c.pred)
		if d := time.Since(start); d > time.Second {
			t.Errorf("%s took %v", c.name, d)
		}
		if got.Verdict == Equal || strings.HasPrefix(got.Reason, "internal error") {
			t.Errorf("%s: %s (%s)", c.name, got.Verdict, got.Reason)
		}
	}
}

// competitionCases are pairs written from competition answers without
// reading the other tables (testdata/blindpairs.tsv, TestBlindPairs). Each failed before its fix.
var competitionCases = []hardCase{
	// mixed-sign sample point: equal where all signs agree only
	{`|x|+|y|`, `|x+y|`, notEqual},
	{`|xy|`, `xy`, notEqual},
	{`|x|+|y|`, `|y|+|x|`, []Verdict{Equal}},
	{`|xy|`, `|x||y|`, []Verdict{Equal}},
	// min and max agree with one argument on the small sample points
	{`\min(x,3)`, `x`, notEqual},
	{`\max(x,3)`, `3`, notEqual},
	{`\max(x,y)`, `\max(y,x)`, []Verdict{Equal}},
	// step functions that differ only at integers
	{`\lceil x\rceil`, `\lfloor x\rfloor+1`, notEqual},
	{`\lceil n\rceil`, `\lfloor n\rfloor+1`, notEqual},
	{`\lfloor x\rfloor`, `-\lceil -x\rceil`, []Verdict{Equal}},
	// inequalities and equations that agree for positive values only
	{`|x|>2`, `x>2`, notEqual},
	{`|x|=2`, `x=2`, notEqual},
	{`|x|<2`, `-2<x<2`, []Verdict{Equal}},
	{`2x-y+1=0`, `4x-2y+2=0`, []Verdict{Equal}},
	// a long exact value against a float-only one
	{`e^{\pi\sqrt{163}}`, `262537412640768744`, notEqual},
	{`\cos 0`, `1`, []Verdict{Equal}},
	// names in a tuple equation say which value is which
	{`(a,b)=(2,3)`, `(b,a)=(2,3)`, []Verdict{Different}},
	{`(a,b)=(2,3)`, `(b,a)=(3,2)`, []Verdict{Equal}},
	{`(x,y)=(1,2)`, `(x,y)=(2,1)`, []Verdict{Different}},
	// set-builder notation with "or", \ne, and any bound variable's name
	{`\{x|x<-1 \text{ or } x>3\}`, `(-\infty,-1)\cup(3,+\infty)`, []Verdict{Equal}},
	{`(-\infty,1)\cup(2,+\infty)`, `\{x|x<1 \text{ or } x>2\}`, []Verdict{Equal}},
	{`\{x|x<-1 \text{ or } x>3\}`, `\{x|x>3 \text{ or } x<-1\}`, []Verdict{Equal}},
	{`\{x|x\leq -2 \text{ or } x\geq 2\}`, `(-\infty,-2)\cup(2,+\infty)`, []Verdict{Different}},
	{`\{x|x<-1 \text{ or } x>3\}`, `\{x|x<-1 \text{ or } x>2\}`, []Verdict{Different}},
	{`\{x|x\ne 1\}`, `(-\infty,1)\cup(1,+\infty)`, []Verdict{Equal}},
	{`\{x|x>1\}`, `\{y|y>1\}`, []Verdict{Equal}},
	{`\{x|x<1, x>3\}`, `(-\infty,1)\cup(3,+\infty)`, notEqual}, // the comma may mean "and"
	// a family of angles written from another member
	{`\frac{\pi}{6}+k\pi`, `\frac{7\pi}{6}+k\pi`, []Verdict{Equal}},
	{`x=\frac{\pi}{6}+2k\pi`, `x=\frac{13\pi}{6}+2k\pi`, []Verdict{Equal}},
	{`\frac{\pi}{6}+2k\pi`, `\frac{7\pi}{6}+2k\pi`, []Verdict{Different}},
	{`\frac{\pi}{6}+2k\pi`, `\frac{\pi}{6}+k\pi`, []Verdict{Different}},
	{`n\pi`, `(n+1)\pi`, []Verdict{Different}}, // n is often a sequence's index
	// values within the tolerance of their tiny argument or of 1
	{`\tan(10^{-10})`, `10^{-10}`, notEqual},
	{`e^{10^{-15}}`, `1`, notEqual},
	{`\sinh(10^{-8})`, `10^{-8}`, notEqual},
	{`\tan\frac{\pi}{4}`, `1`, []Verdict{Equal}},
	{`e^{\ln 2}`, `2`, []Verdict{Equal}},
	// text answers that negate or exclude each other
	{`\text{possible}`, `\text{not possible}`, []Verdict{Different}},
	{`\text{exists}`, `\text{does not exist}`, []Verdict{Different}},
	{`\text{exists}`, `\text{doesn't exist}`, []Verdict{Different}},
	{`\text{increasing}`, `\text{non-increasing}`, []Verdict{Different}},
	{`\text{It is possible}`, `\text{It is not possible}`, []Verdict{Different}},
	{`\text{the third quadrant}`, `\text{the second quadrant}`, []Verdict{Different}},
	{`\text{odd function}`, `\text{even function}`, []Verdict{Different}},
	{`\text{first player}`, `\text{second player}`, []Verdict{Different}},
	{`\text{not possible}`, `\text{Not possible}`, []Verdict{Equal}},
	{`\text{right triangle}`, `\text{isosceles triangle}`, notEqual},
	// an identity between constants against a false one: its difference is
	// float noise, so a ratio test called them proportional
	{`(\sqrt{2}-1)(\sqrt{3}+\sqrt{2})=2-\sqrt{2}-\sqrt{3}+\sqrt{6}`, `(\sqrt{2}-1)(\sqrt{3}+\sqrt{2})=3-\sqrt{2}-\sqrt{3}+\sqrt{6}`, notEqual},
	{`1+1=2`, `1+1=3`, notEqual},
	{`\sqrt{2}\cdot\sqrt{3}=\sqrt{6}`, `\sqrt{6}`, []Verdict{Equal}},
	// the same number in another unit of the same kind
	{`12 \text{ hours}`, `12 \text{ minutes}`, []Verdict{Different}},
	{`100 \text{ cm}^2`, `100 \text{ m}^2`, []Verdict{Different}},
	{`5\,\mathrm{kg}`, `5\,\mathrm{g}`, []Verdict{Different}},
	{`0 \text{ cm}`, `0 \text{ m}`, notEqual},
	{`5 \text{ cm}`, `5 \text{ cm}^2`, notEqual},
	{`5\text{ apples}`, `5\text{ pears}`, notEqual},
	{`5 \text{ m}`, `5 \text{ meters}`, []Verdict{Equal}},
	// C_n^k and A_n^k (Chinese textbooks)
	{`C_5^2`, `10`, []Verdict{Equal}},
	{`C_{10}^{3}`, `210`, []Verdict{Different}},
	{`A_5^2`, `20`, []Verdict{Equal}},
	{`C_{4}^{2}A_{3}^{3}`, `36`, []Verdict{Equal}},
	{`x_1^2`, `x_1^2`, []Verdict{Equal}},
	// {a \over b}; a condition on the index in parentheses
	{`\frac{2}{3}`, `{2\over3}`, []Verdict{Equal}},
	{`23`, `{2 \over 3}`, notEqual},
	{`1-i`, `{\overline{1+i}}`, []Verdict{Equal}},
	{`x=\frac{\pi}{4}+k\pi, k\in\mathbb{Z}`, `x=k\pi+\frac{\pi}{4}(k\in\mathbb{Z})`, []Verdict{Equal}},
	{`\left[k\pi-\frac{\pi}{3}, k\pi+\frac{\pi}{6}\right]`, `\left[-\frac{\pi}{3}+k\pi, \frac{\pi}{6}+k\pi\right] \left(k\in \mathbb{Z}\right)`, []Verdict{Equal}},
	{`x=\frac{\pi}{4}+k\pi`, `x=k\pi+\frac{\pi}{2}\ (k\in\mathbf{Z})`, []Verdict{Different}},
	// one sequence at two different indices
	{`S_n=n^2`, `S_{n+1}=n^2`, []Verdict{Different}},
	{`S_n=n^2`, `S_{n+1}=(n+1)^2`, []Verdict{Equal}},
	{`a_n=2n-1`, `a_{n+1}=2n+1`, []Verdict{Equal}},
	{`a_{n+1}=2n+1`, `a_n=2n-1`, []Verdict{Equal}},
	{`a_n=2n`, `a_k=2k`, []Verdict{Equal}},
	{`a_{n+1}=2n+1`, `a_{n-1}=2n-3`, notEqual},
	// answers modulo m
	{`9`, `\boxed{9 \pmod{11}}`, []Verdict{Equal}},
	{`20`, `\boxed{4 \bmod 5}`, []Verdict{Different}},
	{`24`, `\boxed{24 \bmod 5}`, notEqual}, // maybe the operation, 4
	{`p\equiv 1 \pmod 4`, `p\equiv 3 \pmod 4`, []Verdict{Different}},
	{`p \equiv 1 \pmod{4}`, `p\equiv 5 \ (\text{mod } 4)`, []Verdict{Equal}},
	{`x \equiv 3 \pmod{7}`, `x\equiv 3\ (\bmod\ 7)`, []Verdict{Equal}},
	{`p \equiv 1 \pmod{4}`, `p\equiv 1 \pmod{8}`, notEqual},
	{`p \equiv 1 \pmod{4}`, `1`, notEqual},
	{`n \equiv 1, 3 \pmod 8`, `n \equiv 3, 1 \pmod 8`, []Verdict{Equal}},
	// sin, cos, tan, exp, ln and irrational powers at 256 bits: differences
	// below the float tolerance are decided
	{`\sin 1 + 10^{-20}`, `\sin 1`, []Verdict{Different}},
	{`\cos 5`, `\cos 5 + 10^{-30}`, []Verdict{Different}},
	{`e^{2}`, `e^{2+10^{-14}}`, []Verdict{Different}},
	{`\ln 2`, `\ln(2+10^{-15})`, []Verdict{Different}},
	{`e^{2}`, `e^{\frac{200000000000001}{100000000000000}}`, []Verdict{Different}},
	{`\frac{\sqrt{6}+\sqrt{2}}{4}`, `\cos 15^\circ`, []Verdict{Equal}},
	{`\frac{\sqrt5-1}{4}`, `\sin 18^\circ`, []Verdict{Equal}},
	{`\sqrt{2}-1`, `\tan\frac{\pi}{8}`, []Verdict{Equal}},
	{`2^{\sqrt{2}}`, `e^{\sqrt{2}\ln 2}`, []Verdict{Equal}},
	{`\sin 3x`, `3\sin x-4\sin^3 x`, []Verdict{Equal}},
	{`2`, `10^{\lg 2}`, []Verdict{Equal}},
	{`e^{1000}`, `e^{1000}+1`, notEqual},
}

func TestCompetitionAnswers(t *testing.T) { checkHardCases(t, competitionCases) }

// unusualNotationCases are answers that are equal in unusual notation
// (testdata/equalpairs.tsv, TestEqualPairs), with the
// wrong-but-close pairs next to each fix. Each equal case failed before
// its fix.
var unusualNotationCases = []hardCase{
	// font, size and colour switches around a value
	{`12`, `\bf{12}`, []Verdict{Equal}},
	{`12`, `\bf 12`, []Verdict{Equal}},
	{`12`, `\large 12`, []Verdict{Equal}},
	{`12`, `\color{red}{12}`, []Verdict{Equal}},
	{`12`, `\color{red} 12`, []Verdict{Equal}},
	{`12`, `\textcolor{red}{12}`, []Verdict{Equal}},
	{`12`, `\bf{13}`, []Verdict{Different}},
	{`12`, `\textcolor{red}{21}`, []Verdict{Different}},
	{`\frac{1}{2}`, `\textcolor{blue}{\frac{1}{2}}`, []Verdict{Equal}},
	// \lbrace \rbrace are set braces
	{`\{1,2,3\}`, `\lbrace 1,2,3 \rbrace`, []Verdict{Equal}},
	{`\{1,2,3\}`, `\left\lbrace 3,2,1 \right\rbrace`, []Verdict{Equal}},
	{`\{1,2,3\}`, `\lbrace 1,2 \rbrace`, []Verdict{Different}},
	// unicode vulgar fractions
	{`\frac{1}{2}`, `½`, []Verdict{Equal}},
	{`\frac{3}{4}`, `¾`, []Verdict{Equal}},
	{`\frac{5}{2}`, `2½`, []Verdict{Equal}},
	{`\frac{1}{2}`, `¼`, []Verdict{Different}},
	// a solved system in cases or array is its list of assignments
	{`(1,2)`, `\begin{cases}x=1\\y=2\end{cases}`, []Verdict{Equal}},
	{`(1,2)`, `\left\{\begin{array}{l}x=1\\y=2\end{array}\right.`, []Verdict{Equal}},
	{`x=1, y=2`, `\begin{cases} y = 2, \\ x = 1. \end{cases}`, []Verdict{Equal}},
	{`(1,2)`, `\begin{cases}x=2\\y=1\end{cases}`, []Verdict{Different}},
	{`(2,1)`, `\begin{cases}x=1\\y=2\end{cases}`, notEqual},
	{`(1,2)`, `\begin{cases}x+y=3\\x-y=-1\end{cases}`, notEqual},
	{`x`, `\begin{cases}x, & x\ge 0\\-x, & x<0\end{cases}`, notEqual},
	{`(1,2)`, `\begin{cases}x=1\\y\ge 2\end{cases}`, notEqual},
	// a point's name before its coordinates
	{`(1,2)`, `A(1,2)`, []Verdict{Equal}},
	{`(2,-1)`, `M\left(2,-1\right)`, []Verdict{Equal}},
	{`(2,-1)`, `P_1(2,-1)`, []Verdict{Equal}},
	{`(1,2)`, `A(2,1)`, []Verdict{Different}},
	{`(1,2)`, `A(1,2), B(3,4)`, notEqual},
	{`10`, `C(5,2)`, []Verdict{Equal, Unsure}},
	{`(5,2)`, `C(5,2)`, notEqual},
	// \sin A = value: the function of an angle's name is a name
	{`\frac{3}{5}`, `\sin A = \frac{3}{5}`, []Verdict{Equal}},
	{`\frac{3}{5}`, `\cos\theta = \frac{3}{5}`, []Verdict{Equal}},
	{`2`, `\tan\alpha = 2`, []Verdict{Equal}},
	{`\frac{3}{5}`, `\sin A = \frac{4}{5}`, []Verdict{Different}},
	{`\frac{3}{5}`, `\sin x = \frac{3}{5}`, notEqual},
	{`\frac{3}{5}`, `\sin A > \frac{3}{5}`, notEqual},
	// a number picked out of an answer that does not parse is no
	// evidence of a different answer either
	{`\frac{\pi}{4}+k\pi, k\in\mathbb{Z}`, `\left\{x \mid x=\frac{\pi}{4}+k\pi, k\in\mathbb{Z}\right\}`, []Verdict{Unsure, Equal}},
	{`4`, `\left\{x \mid x=\frac{\pi}{4}+k\pi, k\in\mathbb{Z}\right\}`, notEqual},
	{`5`, `\lim_{x\to 3} f(x)`, notEqual},
	{`5`, `the answer is 3`, []Verdict{Different}},
	// words that introduce a choice letter
	{`A`, `\text{Option A}`, []Verdict{Equal}},
	{`C`, `the correct option is (C).`, []Verdict{Equal}},
	{`C`, `the correct option is (D).`, []Verdict{Different}},
	{`A`, `Option (A) or (B)`, notEqual},
	{`A`, `Option A and B`, notEqual},
	{`12`, `Option A`, notEqual},
	// y = F(x) against an equation linear in y whose constant term is a
	// non-zero constant: the same curve (xy = 1 has no points x = 0)
	{`y=\frac{1}{x}`, `xy=1`, []Verdict{Equal}},
	{`xy=1`, `y=\frac{1}{x}`, []Verdict{Equal}},
	{`y=\frac{3}{x}`, `xy-3=0`, []Verdict{Equal}},
	{`y=\frac{1}{x^2+1}`, `(x^2+1)y=1`, []Verdict{Equal}},
	{`y=\frac{2}{x}`, `xy=1`, []Verdict{Different}},
	{`y=\frac{2}{x}`, `xy-3=0`, []Verdict{Different}},
	{`y=x^2`, `y^2=x^4`, notEqual},
	{`y=\frac{1}{x}`, `x^2y^2=1`, notEqual},
	{`y=x`, `xy=x^2`, notEqual},
	{`y=\sqrt{x}`, `y^2=x`, notEqual},
	// a product of coordinates is not one coordinate (was equal)
	{`y=0`, `xy=0`, notEqual},
	{`y=2`, `xy=2`, notEqual},
	{`6`, `xy=6`, []Verdict{Equal}},
	{`xy=2`, `yx=2`, []Verdict{Equal}},
	// a negative angle in degrees against radians (was different)
	{`-\frac{\pi}{6}`, `-30^\circ`, []Verdict{Equal}},
	{`-30^\circ`, `-\frac{\pi}{6}`, []Verdict{Equal}},
	{`-\frac{\pi}{6}`, `-60^\circ`, []Verdict{Different}},
	{`-\frac{\pi}{6}`, `30^\circ`, []Verdict{Different}},
	{`-30^\circ`, `-30`, []Verdict{Equal}},
	{`-3\%`, `-3^\circ`, notEqual},
	{`-3\%`, `-0.03`, []Verdict{Equal}},
	{`-3\%`, `-3`, []Verdict{Equal}},
	{`-3\%`, `-0.3`, []Verdict{Different}},
	// a remark in parentheses after the answer (a condition, a rejected root)
	{`2`, `a=2 (a>0)`, []Verdict{Equal}},
	{`\frac{1}{2}`, `k=\frac{1}{2}\,(k>0)`, []Verdict{Equal}},
	{`4`, `x=4 \; (x=-1 \text{ rejected})`, []Verdict{Equal}},
	{`3`, `3 \text{ (when } x=1)`, []Verdict{Equal}},
	{`\frac{\sqrt{3}}{2}`, `\frac{\sqrt{3}}{2} \text{ (since } A \text{ is acute)}`, []Verdict{Equal}},
	{`2`, `2 \quad (x > 0)`, []Verdict{Equal}},
	{`5`, `a=2 (a>0)`, []Verdict{Different}},
	{`x>2`, `x>2 (x\ne 3)`, notEqual},
	{`3`, `3 (x=1)`, notEqual},
	{`\frac{1}{2}`, `\frac{1}{2} \text{ (or } 0.3)`, notEqual},
	{`2x+2`, `2 (x+1)`, []Verdict{Equal}},
	// words before a negative value (was "words minus 4")
	{`-4`, `\text{minimum value } -4`, []Verdict{Equal}},
	{`4`, `\text{minimum value } -4`, []Verdict{Different}},
	{`-\frac12`, `\text{minimum } -\frac{1}{2}`, []Verdict{Equal}},
	// "answer is" inside \text{}: the value after the closing brace
	{`-\frac{1}{2}`, `\text{The answer is } -\frac{1}{2}`, []Verdict{Equal}},
	{`\frac{1}{2}`, `\text{The answer is } -\frac{1}{2}`, []Verdict{Different}},
	// names of probabilities and curves on the left
	{`\frac{3}{4}`, `P(B|A)=\frac{3}{4}`, []Verdict{Equal}},
	{`0.3`, `P(\xi=2)=0.3`, []Verdict{Equal}},
	{`0.4`, `P(\xi=2)=0.3`, []Verdict{Different}},
	{`y=2x-1`, `l:2x-y-1=0`, []Verdict{Equal}},
	{`y=2x-1`, `l: y=2x+1`, []Verdict{Different}},
	{`2:3`, `E:F=3:2`, notEqual},
	// a set of one pair is the pair; one value written two ways with "or"
	{`(1,2)`, `\{(1,2)\}`, []Verdict{Equal}},
	{`\{(1,1)\}`, `(x,y)=(1,1)`, []Verdict{Equal}},
	{`(1,2)`, `\{(2,1)\}`, []Verdict{Different}},
	{`\{(1,2),(3,4)\}`, `(1,2)`, notEqual},
	{`\frac{1}{2}`, `\frac{1}{2}\ \text{or}\ 50\%`, []Verdict{Equal}},
	{`\frac{1}{2}`, `\frac{1}{2}\ \text{or}\ 0.6`, notEqual},
	{`2`, `2 \text{ or } -2`, notEqual},
}

func TestUnusualNotation(t *testing.T) { checkHardCases(t, unusualNotationCases) }

// bareWordCases: words written outside \text{} are words, not products of
// letters ("No solution" was parsed as N*o*s*o*l*u*t*i*o*n
// and "minimum 3" as m*i*n*i*m*u*m*3, both `different`, so never judged).
var bareWordCases = []hardCase{
	{`No solution`, `Hence \boxed{\varnothing}`, []Verdict{Equal}},
	{`\emptyset`, `so the final answer is \boxed{no solution}`, []Verdict{Equal}},
	{`3`, `\boxed{minimum 3}`, []Verdict{Equal}},
	{`minimum 3`, `\boxed{maximum 3}`, []Verdict{Unsure}},
	{`minimum 3`, `\boxed{\text{minimum } 3}`, []Verdict{Equal}},
	{`No solution`, `\boxed{2}`, notEqual},
	// letters that are math stay math
	{`ab`, `\boxed{ba}`, []Verdict{Equal}},
	{`x y`, `\boxed{xy}`, []Verdict{Equal}},
	{`abc`, `\boxed{abd}`, notEqual},
	{`\sin x`, `\boxed{sin x}`, []Verdict{Equal}},
	{`5 cm`, `\boxed{5}`, []Verdict{Equal}},
}

func TestBareWords(t *testing.T) { checkHardCases(t, bareWordCases) }

func TestBareWordsAsText(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"No solution", `\text{No solution}`},
		{"minimum 3", `\text{minimum } 3`},
		{"x y", "x y"},
		{"ab", "ab"},
		{"sin x", "sin x"},
		{"5 cm", "5 cm"},
		{"A and B", "A and B"},
		{`\text{No solution}`, `\text{No solution}`},
	} {
		if got := bareWordsAsText(tc.in); got != tc.want {
			t.Errorf("bareWordsAsText(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

// cutThinkingCases: a generation cut off inside its think block has no
// final answer unless it boxed or stated one; the last number of its
// musing is not an answer.
var cutThinkingCases = []hardCase{
	{`5`, "<think>\nlet me try n = 4, that gives 12, maybe 5", []Verdict{Different}},
	{`5`, `<think>I think it is \boxed{5}`, []Verdict{Equal}},
	{`5`, `<think>so the answer is 5`, []Verdict{Equal}},
	{`5`, `<think>hmm</think>The answer is \boxed{5}.`, []Verdict{Equal}},
}

func TestCutWhileThinking(t *testing.T) { checkHardCases(t, cutThinkingCases) }

// rejectedCases: an unboxed answer whose last formula or number is what the
// prose after it rejects has no answer (it was a false equal).
var rejectedCases = []hardCase{
	{`3`, `$x = 3$ is not a solution since it makes the denominator zero. Hence there is no solution.`, notEqual},
	{`3`, `x = 3 is not a solution, so there is no solution.`, notEqual},
	{`3`, `So we get $x = 3$.`, []Verdict{Equal}},
	{`3`, `So we get x = 3, which is the only solution.`, []Verdict{Equal}},
}

func TestRejectedAnswers(t *testing.T) { checkHardCases(t, rejectedCases) }
