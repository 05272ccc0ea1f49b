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
}

func TestRedteam3(t *testing.T) { checkHardCases(t, redteam3Cases) }
