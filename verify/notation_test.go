package verify

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// redteam2Cases are the second red-team round: pairs built on Math-Verify's
// documented blind spots (degrees, i, \overline, repeating decimals,
// thousands separators, units). Each failed before its fix. want lists the
// acceptable verdicts.
var redteam2Cases = []hardCase{
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
	{`30^\circ`, `30 radians`, notEqual}, // was equal (known in round one)
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

func TestRedteam2(t *testing.T) { checkHardCases(t, redteam2Cases) }

// TestRedteam2Bounded: adversarial sizes of the forms added in this round
// stay fast, never panic and never take a long formula's last number as
// its value.
func TestRedteam2Bounded(t *testing.T) {
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

// TestRedteam2Pairs runs the round's whole probe set (testdata/hardpairs.tsv):
// no pair labelled not-equal may be equal, and at least 95% of the labelled
// pairs must get the expected verdict (1251 of 1285 when written; 1173
// and one false equal before this round).
func TestRedteam2Pairs(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("testdata", "hardpairs.tsv"))
	if err != nil {
		t.Fatalf("reading the probe set: %v", err)
	}
	total, ok := 0, 0
	for i, line := range strings.Split(string(data), "\n") {
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 3 {
			t.Fatalf("testdata/hardpairs.tsv:%d: want 3 tab-separated fields, got %d", i+1, len(f))
		}
		lab, gold, pred := f[0], strings.ReplaceAll(f[1], "<NL>", "\n"), strings.ReplaceAll(f[2], "<NL>", "\n")
		if lab == "A" {
			continue
		}
		got := Check(context.Background(), gold, pred)
		total++
		switch {
		case lab != "E" && got.Verdict == Equal:
			t.Errorf("hardpairs.tsv:%d: %q vs %q is equal (%s), labelled %s", i+1, gold, pred, got.Reason, lab)
		case lab == "E" && got.Verdict == Equal, lab == "D" && got.Verdict == Different, lab == "X":
			ok++
		default:
			t.Logf("hardpairs.tsv:%d: %q vs %q: %s (%s), labelled %s", i+1, gold, pred, got.Verdict, got.Reason, lab)
		}
	}
	t.Logf("%d of %d probe pairs as labelled", ok, total)
	if total == 0 || float64(ok) < 0.95*float64(total) {
		t.Errorf("%d of %d probe pairs as labelled, want at least 95%%", ok, total)
	}
}
