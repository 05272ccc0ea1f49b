package verify

import "testing"

// redteam3Cases are the third (blind) red-team round: pairs written from
// competition answers before reading the earlier rounds
// (testdata/blindpairs.tsv, TestBlindPairs). Each failed before its fix.
var redteam3Cases = []hardCase{
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

func TestRedteam3(t *testing.T) { checkHardCases(t, redteam3Cases) }
