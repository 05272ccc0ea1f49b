package verify

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"
)

type pairCase struct {
	gold, pred string
	want       Verdict
}

// shapes holds table tests by answer shape.
var shapes = map[string][]pairCase{
	"integers": {
		{"42", "42", Equal},
		{"42", "\\boxed{42}", Equal},
		{"42", "43", Different},
		{"-5", "-5", Equal},
		{"0", "-0", Equal},
		{"1000", "1,000", Equal},
		{"1000", "1\\,000", Equal},
		{"1000000", "1\\,000\\,000", Equal},
		{"32349", "32,\\!349", Equal},
		{"10000", "10{,}000", Equal},
		{"7425000", "7,425,000", Equal},
		{"1000", "1000.0", Equal},
		{"3", "3.5", Different},
		{"12", "012", Equal},
	},
	"fractions and decimals": {
		{"\\frac{1}{2}", "0.5", Equal},
		{"\\frac12", "1/2", Equal},
		{"\\dfrac{3}{4}", "\\tfrac{3}{4}", Equal},
		{"\\frac{3}{4}", "\\frac{6}{8}", Equal},
		{"\\frac{1}{3}", "0.33333333", Equal},
		{"\\frac{1}{3}", "0.333333", Different},
		{"\\frac{1}{3}", "0.33", Different},
		{"\\frac{1}{3}", "0.34", Different},
		{"7.78", "\\frac{70}{9}", Unsure},
		{"7.7777777778", "\\frac{70}{9}", Equal},
		{"0.125", "0.13", Different},
		{"1.5", "\\frac{3}{2}", Equal},
		{"2.5", "2.50", Equal},
		{"1\\frac{1}{2}", "1.5", Equal}, // a mixed number
		{"\\frac{1}{12}", "0.0833333333333333", Equal},
		{"3^{-40}", "3^{-41}", Different},
		{"2^{10}", "1024", Equal},
		{"10^{-3}", "0.001", Equal},
		{"1.5e3", "1500", Equal},
	},
	"percent and degrees": {
		{"28\\%", "28", Equal},
		{"28\\%", "28 percent", Equal},
		{"28\\%", "0.28", Equal},
		{"28\\%", "29\\%", Different},
		{"90^\\circ", "90", Equal},
		{"90^\\circ", "\\frac{\\pi}{2}", Equal},
		{"45^{\\circ}", "45°", Equal},
		{"30^\\circ", "60^\\circ", Different},
	},
	"radicals and constants": {
		{"2\\sqrt{2}", "\\sqrt{8}", Equal},
		{"\\sqrt{2}+\\sqrt{5}", "\\sqrt 2+\\sqrt 5", Equal},
		{"3\\sqrt{13}", "\\sqrt{117}", Equal},
		{"\\sqrt[3]{8}", "2", Equal},
		{"\\sqrt{2}", "1.41421356", Equal},
		{"\\sqrt{2}", "1.41", Different},
		{"\\sqrt{2}", "1.42", Different},
		{"\\pi", "3.14", Different},
		{"\\pi", "\\frac{355}{113}", Different},
		{"2\\pi", "\\pi \\cdot 2", Equal},
		{"e^2", "\\exp(2)", Equal},
		{"1-\\frac{1}{e}", "1+\\frac{1}{e}", Different},
		{"\\frac{\\sqrt{3}}{3}", "\\frac{1}{\\sqrt{3}}", Equal},
		{"i", "\\sqrt{-1}", Equal},
		{"6+9i", "9i+6", Equal},
		{"\\ln 8", "3\\ln 2", Equal},
		{"\\log_2 8", "3", Equal},
		{"5!", "120", Equal},
		{"\\binom{5}{2}", "10", Equal},
		{"\\lfloor 2.5 \\rfloor", "2", Equal},
		{"|-3|", "3", Equal},
	},
	"expressions": {
		{"x^2+2x+1", "(x+1)^2", Equal},
		{"\\frac{x+2}{7}", "\\frac{x}{7}+\\frac{2}{7}", Equal},
		{"\\tan^2(y)+1", "\\sec^2(y)", Equal},
		{"2 \\sin b \\cos a", "\\sin(a+b) - \\sin(a-b)", Equal},
		{"x+1", "x+2", Different},
		{"x^2", "x^3", Different},
		{"\\frac{\\pi r}{h+r}", "\\frac{r\\pi}{r+h}", Equal},
		{"2x", "2y", Different},
		{"ab", "ba", Equal},
		{"(a+5)(b+2)", "(+5)(b+2)", Different},
	},
	"equations": {
		{"x=3", "3", Equal},
		{"3", "x=3", Equal},
		{"k=1", "1", Equal},
		{"x = 11", "x = 5+5+1 = 11", Equal},
		{"2x+4y-3=0", "y=-\\frac{1}{2}x+\\frac{3}{4}", Equal},
		{"x^2/4 + y^2/3 = 1", "x^2/16 + y^2/12 = 1/4", Equal},
		{"34x+45y-20z+100=0", "-34x-45y+20z-100=0", Equal},
		{"y = 2x+1", "y = 2x+2", Different},
		{"7 = 11a+c", "11a+c", Different},
		{"a + 3z = 0", "0", Different},
		{"\\frac{NO}{BO}=\\frac{1}{\\sqrt{6}}", "\\frac{\\sqrt{6}}{6}", Equal},
	},
	"inequalities": {
		{"x \\geq 5", "5 \\leq x", Equal},
		{"x < 1", "-x > -1", Equal},
		{"x < 1", "x > -1", Different},
		{"x > 5", "x < 5", Different},
		{"x \\ge 2", "[2, \\infty)", Equal},
		{"-2 \\le x \\le 7", "x \\in [-2,7]", Equal},
		{"0<x<1", "(0,1)", Equal},
		{"1\\leq|z|\\leq \\frac{3}{2}", "z \\in \\left[-\\frac{3}{2}, -1\\right] \\cup \\left[1, \\frac{3}{2}\\right]", Equal},
	},
	"intervals": {
		{"[0,1)", "[0,1)", Equal},
		{"[0,1)", "(0,1)", Different},
		{"(0,9)", "[0,9)", Different},
		{"(1, \\infty)", "(1, +\\infty)", Equal},
		{"(-\\infty, 3]", "(-\\infty, 3)", Different},
		{"[-1, -\\frac{1}{2}) \\cup (0, 1)", "(0,1) \\cup [-1, -\\tfrac12)", Equal},
		{"(2, 12) \\cup (12, 102)", "x \\in (2,12) \\cup (12,102)", Equal},
		{"(\\frac{3}{5},\\frac{8}{3}]", "(0.6, 2.66666667]", Equal},
	},
	"tuples and sets": {
		{"(1,2)", "(1,2)", Equal},
		{"(1,2)", "(2,1)", Different},
		{"(3, \\frac{\\pi}{2})", "\\left( 3, \\frac{\\pi}{2} \\right)", Equal},
		{"\\{1,2,3\\}", "\\{3,2,1\\}", Equal},
		{"1,2,3", "3, 2, 1", Equal},
		{"-2,1", "1 \\text{ and } -2", Equal},
		{"\\pm 2021", "2021", Different},
		{"\\pm 2021", "\\{-2021, 2021\\}", Equal},
		{"1 \\pm \\sqrt{19}", "1+\\sqrt{19}, 1-\\sqrt{19}", Equal},
		{"(1,2),(3,4)", "(3,4),(1,2)", Equal},
		{"(1,2),(3,4)", "(1,2),(4,3)", Different},
		{"(p,q)=(3,2)", "(3,2)", Equal},
		{"(x, y) = (5, 8)", "(5,8)", Equal},
		{"p=5,q=2;p=7,q=2", "(5,2),(7,2)", Equal},
		{"a_3 = 2, a_{37} = 19", "a_{37} = 19, a_3 = 2", Equal},
		{"\\emptyset", "\\{\\}", Equal},
		{"\\{1,2\\}", "\\{1,2,3\\}", Different},
	},
	"matrices": {
		{"\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}", "\\begin{bmatrix}1 & 2 \\\\ 3 & 4\\end{bmatrix}", Equal},
		{"\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix}", "\\begin{pmatrix}1 & 2 \\\\ 3 & 5\\end{pmatrix}", Different},
		{"\\begin{pmatrix}6 & 8 \\\\ 10 & 12\\end{pmatrix}", "\\begin{pmatrix}1 & 2 \\\\ 3 & 4\\end{pmatrix} + \\begin{pmatrix}5 & 6 \\\\ 7 & 8\\end{pmatrix}", Equal},
		{"\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "(1, 2)", Equal},
		{"\\begin{pmatrix} 1 \\\\ 2 \\end{pmatrix}", "\\begin{pmatrix} 1 & 2 \\end{pmatrix}", Different},
	},
	"ratios": {
		{"7:32", "S_{MBCN}:S=7:32", Equal},
		{"1:2", "2:4", Equal},
		{"12:00", "1:00", Different},
		{"3:1", "3", Equal},
	},
	"choices and text": {
		{"\\text{(C)}", "C", Equal},
		{"C", "\\textbf{(C)}", Equal},
		{"\\text{C}", "D", Different},
		{"\\text{odd}", "odd", Equal},
		{"\\text{Even}", "Even", Equal},
		{"\\text{Evelyn}", "\\text{Evelyn}", Equal},
		{"\\text{Yes}", "Yes, such a set exists.", Equal},
		{"\\text{No}", "Yes", Different},
		{"\\text{east}", "\\text{west}", Different},
	},
	"units": {
		{"125", "125\\textnormal{ miles}", Equal},
		{"15\\mbox{ cm}^2", "15\\text{ cm}^2", Equal},
		{"15", "15 \\mathrm{~cm}^{2}", Equal},
		{"9 \\mathrm{~km} / \\mathrm{h}", "9", Equal},
		{"0.06 \\text{ yuan}", "0.06", Equal},
		{"n \\text{ is even}", "n \\text{ is odd}", Unsure},
	},
	"extraction": {
		{"2-2p", "Thus $x-p=\\boxed{2-2p}$.", Equal},
		{"14", "<think>maybe \\boxed{12}</think> The answer is \\boxed{14}.", Equal},
		{"1,2", "\\boxed{1} and \\boxed{2}", Equal},
		{"2", "\\boxed{1} no no no no no \\boxed{2}", Equal},
		{"10455", "so it is $\\boxed{255}$ ... Final Answer: The final answer is $10,455$. I hope it is correct.", Equal},
		{"34", "Final Answer: The largest $n$ is 34.", Equal},
		{"\\frac{14}{3}", "so $\\frac{14}{3}$", Equal},
		{"\\boxed{\\frac{1}{3}}", "$\\frac{1}{3}$", Equal},
		{"$9$", "Answer \\[ 9 \\]", Equal},
	},
}

func TestCheckShapes(t *testing.T) {
	ctx := context.Background()
	for shape, cases := range shapes {
		t.Run(shape, func(t *testing.T) {
			for _, c := range cases {
				got := Check(ctx, c.gold, c.pred)
				if got.Verdict != c.want {
					t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
				}
			}
		})
	}
}

func TestExtractAnswer(t *testing.T) {
	tests := []struct {
		text, want string
		ok         bool
	}{
		{`so \boxed{\frac{1}{2}}.`, `\frac{1}{2}`, true},
		{`\boxed{a} then \boxed{b}`, `b`, true},
		{`\boxed{\{1, 2\}}`, `\{1, 2\}`, true},
		{`\fbox{7}`, `7`, true},
		{`<think>\boxed{1}</think>so \boxed{2}`, `2`, true},
		{`<think>\boxed{1}</think>`, `1`, true},
		{`The final answer is $x = 5$. I hope it is correct.`, `x = 5`, true},
		{`\boxed{(1,2)}, \boxed{(2,1)}`, `(1,2), (2,1)`, true},
		{`\boxed{}`, ``, false},
		{`no answer here`, ``, false},
		{`\boxed{unclosed`, `unclosed`, true},
	}
	for _, tt := range tests {
		got, ok := ExtractAnswer(tt.text)
		if got != tt.want || ok != tt.ok {
			t.Errorf("ExtractAnswer(%q) = %q, %v; want %q, %v", tt.text, got, ok, tt.want, tt.ok)
		}
	}
}

// TestBounded feeds inputs that hang or exhaust naive checkers.
func TestBounded(t *testing.T) {
	deep := strings.Repeat("(", 5000) + "1" + strings.Repeat(")", 5000)
	braces := strings.Repeat("{", 20000) + "1" + strings.Repeat("}", 20000)
	long := strings.Repeat("1+", 100000) + "1"
	inputs := []string{
		"5^{5^{5^{5^5}}}",
		"9^{9^{9^{9}}}",
		"10^{10^{10}}!",
		"1000000!",
		"\\binom{100000000}{50000000}",
		deep, braces, long,
		strings.Repeat("\\sqrt{", 3000) + "2" + strings.Repeat("}", 3000),
		strings.Repeat("\\boxed{", 3000),
		strings.Repeat("x", 100000),
		"2^{2^{2^{2^{2^{2^{2}}}}}}",
		"(-8)^{1/3}", "0^{-1}", "\\frac{1}{0}", "\\log(0)",
		strings.Repeat("(1,", 2000),
		strings.Repeat("\\begin{pmatrix}", 1000),
		strings.Repeat("$", 1<<20),
		strings.Repeat(`\[`, 300000),
		strings.Repeat(`\boxed{1} and `, 50000),
		strings.Repeat("final answer is ", 50000),
		strings.Repeat("1,", 200000),
	}
	ctx := context.Background()
	for _, in := range inputs {
		start := time.Now()
		for _, pair := range [][2]string{{in, in + "+1"}, {"5", in}, {in, "\\boxed{" + in + "}"}} {
			r := Check(ctx, pair[0], pair[1])
			if r.Verdict == Equal && pair[0] == "5" {
				t.Errorf("Check(5, %.40q) = equal", in)
			}
		}
		if d := time.Since(start); d > 2*time.Second {
			t.Errorf("input %.40q took %v", in, d)
		}
	}
	// an ended context gives unsure
	cctx, cancel := context.WithCancel(ctx)
	cancel()
	if r := Check(cctx, "1", "1"); r.Verdict != Unsure {
		t.Errorf("canceled context: got %s", r.Verdict)
	}
}

func TestConcurrent(t *testing.T) {
	ctx := context.Background()
	var wg sync.WaitGroup
	for g := 0; g < 8; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 50; i++ {
				for shape, cases := range shapes {
					c := cases[i%len(cases)]
					if got := Check(ctx, c.gold, c.pred); got.Verdict != c.want {
						t.Errorf("%s: Check(%q, %q) = %s, want %s", shape, c.gold, c.pred, got.Verdict, c.want)
						return
					}
				}
			}
		}()
	}
	wg.Wait()
}

func BenchmarkCheck(b *testing.B) {
	ctx := context.Background()
	var all []pairCase
	for _, cs := range shapes {
		all = append(all, cs...)
	}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		c := all[i%len(all)]
		Check(ctx, c.gold, c.pred)
	}
}

var hardCases = []pairCase{
	{"\\frac{1}{3}", "0.\\overline{3}", Equal},
	{"\\frac{1}{6}", "0.1\\overline{6}", Equal},
	{"\\frac{14}{11}", "1.\\overline{27}", Equal},
	{"\\frac{1}{3}", "0.\\overline{4}", Different},
	{"2\\frac{1}{2}", "\\frac{5}{2}", Equal},
	{"-2\\frac{1}{2}", "-2.5", Equal},
	{"3\\frac{\\pi}{2}", "\\frac{3\\pi}{2}", Equal},
	{"\\frac{\\pi}{6}", "30 degrees", Equal},
	{"\\frac{1}{2}", "\\sin 30^\\circ", Equal},
	{"\\frac{\\sqrt{3}}{2}", "\\cos(30^{\\circ})", Equal},
	{"C", "\\text{(C) } 12", Equal},
	{"\\text{(B)}", "(C) 12", Different},
	{"\\frac{1}{2}+\\frac{\\sqrt{3}}{2}i", "e^{i\\pi/3}", Equal},
	{"2^{100}", "1267650600228229401496703205376", Equal},
	{"2^{100}", "1267650600228229401496703205377", Different},
	{"\\$5", "5", Equal},
	{"1.5 \\times 10^{3}", "1500", Equal},
	{"x \\neq 3", "x != 3", Equal},
	{"\\{(1,2),(3,4)\\}", "(3,4),(1,2)", Equal},
	{"a=2, b=3", "(2,3)", Equal},
	{"10\\%", "0.1", Equal},
	{"\\infty", "+\\infty", Equal},
	{"\\infty", "-\\infty", Different},
	{"5\\sqrt{2}", "\\sqrt{50}", Equal},
	{"e^{-40}", "e^{-41}", Different},
	{"1", "1.0000001", Different},
	{"x^2-1", "(x-1)(x+1)", Equal},
	{"\\frac{1}{x}", "x^{-1}", Equal},
	{"\\sqrt{x^2}", "|x|", Equal},
	{"\\frac{-1 \\pm \\sqrt{5}}{2}", "\\frac{-1+\\sqrt5}{2}, \\frac{-1-\\sqrt5}{2}", Equal},
	{"\\frac{-1 \\pm \\sqrt{5}}{2}", "\\frac{-1+\\sqrt5}{2}", Different},
	{"y = x^2", "x^2 = y", Equal},
	{"x^2 = 4", "4", Different},
	{"(-\\infty, 1) \\cup (2, \\infty)", "x < 1 \\text{ or } x > 2", Equal},
	{"\\mathbb{R}", "(-\\infty, \\infty)", Equal},
	{"10^{100}", "1e100", Equal},
	{"k = 1", "n = 1", Equal},
	{"(x-1)^2 + (y-2)^2 = 4", "x^2 - 2x + y^2 - 4y + 1 = 0", Equal},
	{"\\langle 1, 2 \\rangle", "(1,2)", Equal},
	{"\\$1,000", "1000", Equal},
	{"12.5\\%", "\\frac{1}{8}", Equal},
	{"\\frac{22}{7}", "\\pi", Different},
}

func TestHardCases(t *testing.T) {
	for _, c := range hardCases {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

var sumCases = []pairCase{
	{"\\sum_{k=1}^{n} k", "\\frac{n(n+1)}{2}", Equal},
	{"\\sum_{k=1}^{n} k^2", "\\frac{n(n+1)}{2}", Different},
	{"\\sum_{i=1}^{10} i", "55", Equal},
	{"\\prod_{i=1}^{5} i", "5!", Equal},
	{"F_n = \\sum_{k=0}^{n-1} F_k F_{n-k-1}", "F_n = \\sum_{k=0}^{n-1} F_{n-k-1} F_k", Equal},
	{"F_n = \\sum_{k=0}^{n-1} F_k F_{n-k-1}", "F_n = \\sum_{k=0}^{n-2} F_k F_{n-k-2}", Different},
	{"a_n = 2^n", "2^n", Equal},
	{"\\sum_{k=1}^{10^{9}} k", "1", Unsure},
}

func TestSums(t *testing.T) {
	for _, c := range sumCases {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

var renameCases = []pairCase{
	{"f(x) = cx + d", "f(x) = ax + b", Equal},
	{"f(x) = x^2 + cx", "f(n) = n^2 + kn", Equal},
	{"f(x) = cx + d", "f(x) = ax^2 + b", Different},
	{"a + 2b", "b + 2a", Different},
	{"x + y", "x + z", Different},
	{"(0, \\pm 2)", "(0,2),(0,-2)", Equal},
	{"f(x) = 2x \\text{ for all } x > 0", "2x", Equal},
	{"f(x)=0 \\text{ for all } x \\text{ and } f(x)=x^{2} \\text{ for all } x", "f(x) = x^2, f(x) = 0", Equal},
	{"f(n) = n + 1 \\text{ for all n; or, for some } a \\ge 1, f(n) = n - a", "f(n) = n + 1", Different},
}

func TestRenameAndConditions(t *testing.T) {
	for _, c := range renameCases {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

var safetyCases = []pairCase{
	{"5 \\text{ cm}", "5 \\text{ m}", Different}, // the same number in another unit of length
	{"5 \\text{ cm}", "5 \\text{ centimeters}", Equal},
	{"5 \\text{ meters}", "5 \\mathrm{~m}", Equal},
	{"1, 1, 2", "1, 2, 2", Different},
	{"2, 2", "2", Different},
	{"0.33", "\\frac{1}{3}", Unsure},
	{"|x|", "x", Unsure},
	{"\\sqrt{x^2}", "|x|", Equal},
	{"\\ln(x^2)", "2\\ln x", Unsure},
}

func TestSafety(t *testing.T) {
	for _, c := range safetyCases {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

// issueCases come from reports against Math-Verify.
var issueCases = []pairCase{
	{"\\frac{1}{2004!}", "\\frac{1}{2006!}", Different},
	{"\\frac{1}{2^{99}}", "\\frac{1}{2^{98}}", Different},
	{"n=2, 3, 4", "n=1, 2, 3", Different},
	{"D = (0, 1)", "D = (0, 1.5)", Different},
	{"19, 46, \\text{ and } 82", "21, 36, and 82", Different},
	{"\\frac{2^{2005}+1}{3 \\cdot 2^{2006}}", "\\frac{1}{3 \\cdot 2^{2006}}", Different},
	{"\\frac{2^{2005}+1}{3 \\cdot 2^{2006}}", "\\frac{2^{2005}+1}{6 \\cdot 2^{2005}}", Equal},
	{"m \\geq \\sqrt{2}", "m \\in [\\sqrt{2}, +\\infty)", Equal},
	{"3x-y+13=0", "3x + 4y + 14=0", Different},
	{"73", "Thus ... ✅ Final Answer: **73**", Equal},
	{"4", "4\\sqrt(2)", Different},
	{"2/3", "\\frac{2}{3}", Equal},
	{"\\text{13}", "13", Equal},
}

func TestIssueCases(t *testing.T) {
	for _, c := range issueCases {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

func TestQuadSeparates(t *testing.T) {
	for _, c := range []pairCase{
		{"2", "x = 1 \\quad y = 2", Different},
		{"(1, 2)", "x = 1 \\quad y = 2", Equal},
		{"x_{1}=10^{\\frac{-5+\\sqrt{13}}{6}},\\quadx_{2}=10^{\\frac{-5-\\sqrt{13}}{6}}", "\\boxed{10^{\\frac{\\sqrt{13} - 5}{6}}} \\quad \\text{and} \\quad \\boxed{10^{-\\frac{5 + \\sqrt{13}}{6}}}", Equal},
	} {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

func TestTextAgainstValues(t *testing.T) {
	for _, c := range []pairCase{
		{"\\emptyset", "\\text{no solution}", Equal},
		{"\\text{No solution}", "\\varnothing", Equal},
		{"(1,8,19),(2,7,13)", "\\text{no solutions}", Different},
		{"0", "\\text{none}", Unsure},
		{"\\infty", "\\text{infinity}", Equal},
	} {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

var moreCases = []pairCase{
	{"(-\\infty, -2) \\cup (2, \\infty)", "|x| > 2", Equal},
	{"(-2, 2)", "|x| < 2", Equal},
	{"\\cos^{-1}(1/2)", "\\frac{\\pi}{3}", Equal},
	{"\\textbf{(D)}\\ 7", "D", Equal},
	{"\\textbf{(D)}\\ 7", "\\textbf{(C)}\\ 7", Different},
	{"7", "\\textbf{(D)}\\ 7", Equal},
	{"n(n+1)/2", "\\binom{n+1}{2}", Equal},
	{"(n+1)!", "(n+1) n!", Equal},
	{"\\{-1, 1\\}", "\\pm 1", Equal},
	{"x \\in [2, 5)", "2 \\le x < 5", Equal},
	{"f(x) = 3x + 2", "y = 3x+2", Equal},
	{"2-3i", "2+3i", Different},
	{"\\sqrt{-4}", "2i", Equal},
	{"\\begin{pmatrix} 1 \\\\ 2 \\\\ 3 \\end{pmatrix}", "(1,2,3)", Equal},
	{"1.5\\%", "0.015", Equal},
	{"12.50 \\text{ dollars}", "\\$12.5", Equal},
	{"x = 2 \\text{ or } x = -3", "\\{-3, 2\\}", Equal},
	{"\\text{Tuesday}", "Tuesday", Equal},
	{"a^2 - b^2", "(a-b)(a+b)", Equal},
	{"\\log_2 3", "\\frac{\\ln 3}{\\ln 2}", Equal},
	{"e^{i\\pi}", "-1", Equal},
	{"\\tan 45^\\circ", "1", Equal},
}

func TestMoreCases(t *testing.T) {
	for _, c := range moreCases {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

func TestRenameArguments(t *testing.T) {
	for _, c := range []pairCase{
		{"f(x) = c", "f(x) = x", Different},
		{"f(x) = c", "x", Different},
		{"f(z) = z", "f(x) = x", Equal},
		{"f(x) = x + c", "f(t) = t + k", Equal},
		{"f(x) = cx", "f(x) = x^2", Different},
	} {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

func TestConstantsAndConditions(t *testing.T) {
	for _, c := range []pairCase{
		{"f(m) = km \\text{ for any positive integer constant } k.", "f(k)\\;=\\;a\\,k\\text{ for some fixed positive integer }a", Equal},
		{"f(x)=x+c, c \\in \\mathbb{R}", "f(x) = x + b", Equal},
		{"(0, 0, 0)\\left(-\\frac{1}{2}, -\\frac{1}{2}, -\\frac{1}{2}\\right)", "(0,0,0), (-1/2,-1/2,-1/2)", Equal},
		{"(991,997,1009)", "(991,\\, 997,\\, 1009)", Equal},
		{"5 km", "5", Equal},
		{"km", "mk", Equal},
		{"x \\in \\mathbb{R}", "\\mathbb{R}", Equal},
	} {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

func TestPartLabels(t *testing.T) {
	got, _ := ExtractAnswer(`so (a) \boxed{3} (b) \boxed{5}`)
	if got != "3, 5" {
		t.Errorf("parts: got %q", got)
	}
	got, _ = ExtractAnswer(`We get \boxed{3}. Then, checking again, the answer is \boxed{5}`)
	if got != "5" {
		t.Errorf("sentences: got %q", got)
	}
}

func TestNumberWords(t *testing.T) {
	for _, c := range []pairCase{
		{"3", "\\text{three}", Equal},
		{"\\text{Twelve}", "12", Equal},
		{"3", "\\text{four}", Different},
	} {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

func TestAnswerWords(t *testing.T) {
	for _, c := range []pairCase{
		{"3", "three", Equal},
		{"odd", "even", Different},
		{"\\text{Odd}", "odd", Equal},
	} {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

func TestLongBareAnswers(t *testing.T) {
	long := strings.TrimSuffix(strings.Repeat("(2,2,3),(2,3,2),(3,2,2),", 12), ",")
	for _, c := range []pairCase{
		{long, long, Equal},
		{long, long + ",(1,1,1)", Different},
		{"1, 2, 3", "$1$ and $2$ and $3$", Equal},
		{"\\frac{14}{3}", "so $\\frac{14}{3}$", Equal},
	} {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%.40q, %.40q) = %s (%s), want %s", c.gold, c.pred, got.Verdict, got.Reason, c.want)
		}
	}
}

func TestAndOrIntervals(t *testing.T) {
	for _, c := range []pairCase{
		// rays whose union is the whole line: "and" is their intersection
		{"(1,3)", "x > 1 \\text{ and } x < 3", Equal},
		{"(1,3)", "x > 1 \\text{ or } x < 3", Unsure},
		{"(-\\infty,1) \\cup (3,\\infty)", "x < 1 \\text{ or } x > 3", Equal},
		{"\\{1, 2\\} \\cup \\{3\\}", "\\{1,2,3\\}", Equal},
	} {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

func TestListsAndEnvs(t *testing.T) {
	for _, c := range []pairCase{
		{"(3, 2, 1), (1, 2, 3)", "\\begin{aligned}\n&(1, 2, 3),\\\\\n&(3, 2, 1).\n\\end{aligned}", Equal},
		{"(2,2)(3,3)(1,2)", "\\{(1,2), (2,2), (3,3)\\}", Equal},
		{"(0,0)； (-588,784)", "(0,0), (-588, 784)", Equal},
		{"9:45 a.m.", "9:\\!45\\ \\text{a.m.}", Equal},
		{"{f(x)=2 \\; \\forall x \\in \\mathbb R}", "f(x) = 2", Equal},
	} {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

func TestMiscNotation(t *testing.T) {
	for _, c := range []pairCase{
		{"x \\neq 3", "x \\not= 3", Equal},
		{"2", "\\max\\{1, 2\\}", Equal},
		{"12", "\\operatorname{lcm}(4, 6)", Equal},
		{"6", "\\gcd(12, 18)", Equal},
		{"\\frac{\\sqrt{2}}{2}", "2^{-\\frac{1}{2}}", Equal},
	} {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

func TestSameTextDigits(t *testing.T) {
	if got := Check(context.Background(), "2 3", "23"); got.Verdict == Equal {
		t.Errorf("2 3 vs 23: %s (%s)", got.Verdict, got.Reason)
	}
	if got := Check(context.Background(), "x + 1", "x+1"); got.Verdict != Equal {
		t.Errorf("x + 1 vs x+1: %s", got.Verdict)
	}
}

func TestAdjacentNumbers(t *testing.T) {
	if got := Check(context.Background(), "6", "2 3"); got.Verdict == Equal {
		t.Errorf("6 vs '2 3': %s (%s)", got.Verdict, got.Reason)
	}
}

func TestNounsAfterNumbers(t *testing.T) {
	for _, c := range []pairCase{
		// a plural noun after the number names what was counted: a unit
		{"5", "Final answer: 5 apples", Equal},
		{"5", "5 apples", Equal},
		{"5 \\text{ apples}", "5 pears", Unsure},
		{"5", "5 less", Unsure},
		{"5", "5 thousands", Unsure},
		{"3abc", "3 a b c", Equal},
		{"7 \\text{ apples}", "7 apples", Equal},
	} {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

func TestReversedAssignment(t *testing.T) {
	for _, c := range []pairCase{
		{"3", "3 = x", Equal},
		{"x = 3", "3 = x", Equal},
		{"4", "3 = x", Different},
	} {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

func TestAllReals(t *testing.T) {
	for _, c := range []pairCase{
		{"(-\\infty, \\infty)", "\\text{all real numbers}", Equal},
		{"\\text{All real numbers}", "\\mathbb{R}", Equal},
		{"(0, \\infty)", "\\text{all real numbers}", Different},
	} {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

func TestOrdinals(t *testing.T) {
	for _, c := range []pairCase{
		{"12", "12^{\\text{th}}", Equal},
		{"12", "12^{th}", Equal},
	} {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

func TestUnitSpellings(t *testing.T) {
	for _, c := range []pairCase{
		{"9 \\mathrm{~km} / \\mathrm{h}", "9 \\text{ km/h}", Equal},
		{"9 \\mathrm{~km} / \\mathrm{h}", "9 \\text{ m/s}", Different},
	} {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

func TestUnitPowers(t *testing.T) {
	for _, c := range []pairCase{
		{"15\\mbox{ cm}^2", "15\\mbox{ cm}^3", Unsure},
		{"15\\mbox{ cm}^2", "15 \\text{ cm}^{2}", Equal},
		{"45 \\text{ units}^2", "45 \\text{ units}^3", Unsure},
		{"45 \\text{ units}^2", "45", Equal},
	} {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

// TestHugeAndTiny: values beyond float64 or 256-bit reach are never
// called equal on rounding alone.
func TestHugeAndTiny(t *testing.T) {
	for _, c := range []pairCase{
		{"2500! \\cdot 2500! \\cdot 2500!", "2500! \\cdot 2500! \\cdot 2500! + 1", Unsure},
		{"\\binom{5000}{2500}^{13}", "\\binom{5000}{2500}^{13}+1", Unsure},
		{"(\\sqrt{2}+\\sqrt{3})^{10000}", "(\\sqrt{2}+\\sqrt{3})^{10000}+1", Unsure},
		{"\\pi \\cdot 3^{-2000}", "\\pi \\cdot 3^{-2001}", Different},
		{"\\sqrt{8} - 2\\sqrt{2}", "0", Equal},
		{"\\sqrt{2}", "\\sqrt{2} + 10^{-20}", Different},
		{"3^{-50000}", "3^{-50001}", Unsure},
		{"\\sqrt[3]{2}\\sqrt[3]{4}", "2", Equal},
		{"(1+\\sqrt{2})^{20}", "(1+\\sqrt{2})^{20} - 10^{-30}", Different},
	} {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

func TestInverseAndInfinity(t *testing.T) {
	for _, c := range []pairCase{
		{"f^{-1}(x) = \\frac{x-3}{2}", "\\frac{x-3}{2}", Equal},
		{"f^{-1}(x) = \\frac{x-3}{2}", "f^{-1}(x) = \\frac{x+3}{2}", Different},
		{"\\infty", "\\text{infinity}", Equal},
		{"y = -2x + 5", "2x + y = 5", Equal},
	} {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}

func TestNamedValues(t *testing.T) {
	for _, c := range []pairCase{
		{"a = 2, b = 3", "a = 3, b = 2", Different},
		{"a = 2, b = 3", "b = 3, a = 2", Equal},
		{"a = 2, b = 3", "2, 3", Equal},
		{"a_3 = 2, a_{37} = 19", "a_{37} = 19, a_3 = 2", Equal},
	} {
		got := Check(context.Background(), c.gold, c.pred)
		if got.Verdict != c.want {
			t.Errorf("Check(%q, %q) = %s (%s; gold %q, pred %q), want %s", c.gold, c.pred, got.Verdict, got.Reason, got.GoldParsed, got.PredParsed, c.want)
		}
	}
}
