package verify

import "testing"

// redteam4Cases are the fourth red-team round: answers that are equal in
// unusual notation (testdata/equalpairs.tsv, TestEqualPairs), with the
// wrong-but-close pairs next to each fix. Each equal case failed before
// its fix.
var redteam4Cases = []hardCase{
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

func TestRedteam4(t *testing.T) { checkHardCases(t, redteam4Cases) }
