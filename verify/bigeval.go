package verify

import (
	"math"
	"math/big"
)

// bigPrec is the precision, in bits, of the second evaluation that decides
// near-equal irrational values (about 75 decimal digits).
const bigPrec = 256

// bigRelEqual is the relative tolerance of that evaluation: values this
// close are equal; farther apart they are different.
var bigRelEqual = new(big.Float).SetPrec(bigPrec).SetFloat64(1e-60)

const (
	piDigits = "3.14159265358979323846264338327950288419716939937510582097494459230781640628620899862803482534211706798"
	eDigits  = "2.71828182845904523536028747135266249775724709369995957496696762772407663035354759457138217852516642742"
)

func bigFloat() *big.Float { return new(big.Float).SetPrec(bigPrec) }

// bigEval evaluates n in 256-bit floating point when n uses only
// operations that math/big supports exactly or by Newton iteration:
// + - * /, integer powers, rational powers of positive bases (roots), π, e,
// |x|, and parts that the exact evaluator reduces to rationals. ok is false
// otherwise (trigonometric and other functions): the caller then keeps the
// complex128 result.
func (e *evaluator) bigEval(n *node) (*big.Float, bool) {
	e.steps++
	if e.steps > e.limit {
		return nil, false
	}
	if e.total != nil {
		*e.total--
		if *e.total < 0 {
			return nil, false
		}
	}
	switch n.k {
	case kNum:
		return bigFloat().SetRat(n.num), true
	case kConst:
		switch n.name {
		case "pi":
			f, _, err := big.ParseFloat(piDigits, 10, bigPrec, big.ToNearestEven)
			return f, err == nil
		case "e":
			f, _, err := big.ParseFloat(eDigits, 10, bigPrec, big.ToNearestEven)
			return f, err == nil
		}
		return nil, false
	case kVar:
		if r, ok := e.bound[n.name]; ok {
			return bigFloat().SetRat(r), true
		}
		if r, ok := e.env[n.name]; ok {
			return bigFloat().SetRat(r), true
		}
		return nil, false
	case kAdd, kMul:
		var acc *big.Float
		for _, a := range n.args {
			v, ok := e.bigEval(a)
			if !ok {
				return nil, false
			}
			if acc == nil {
				acc = v
				continue
			}
			if n.k == kAdd {
				sum := bigFloat().Add(acc, v)
				// x + 1 with x near 10^5000: the 1 is lost, so equality at
				// 256 bits would prove nothing
				ea, ev := acc.MantExp(nil), v.MantExp(nil)
				if acc.Sign() != 0 && v.Sign() != 0 && absInt(ea-ev) > bigPrec-40 {
					e.bigLossy = true
				}
				// the size of the terms bounds the rounding error of a
				// cancellation: sqrt(8) - 2 sqrt(2) is 0 within it
				for _, t := range []*big.Float{acc, v} {
					if e.bigScale == nil || bigFloat().Abs(t).Cmp(e.bigScale) > 0 {
						e.bigScale = bigFloat().Abs(t)
					}
				}
				acc = sum
			} else {
				acc = bigFloat().Mul(acc, v)
			}
		}
		if acc == nil {
			return nil, false
		}
		return acc, true
	case kNeg:
		v, ok := e.bigEval(n.args[0])
		if !ok {
			return nil, false
		}
		return bigFloat().Neg(v), true
	case kDiv:
		a, ok1 := e.bigEval(n.args[0])
		b, ok2 := e.bigEval(n.args[1])
		if !ok1 || !ok2 || b.Sign() == 0 {
			return nil, false
		}
		return bigFloat().Quo(a, b), true
	case kPow:
		a, ok := e.bigEval(n.args[0])
		if !ok {
			return nil, false
		}
		// an exact rational exponent by bigPow; another one of a positive
		// base as e^{b ln a} (e^{\sqrt{2}}, 2^{\pi})
		ev := &evaluator{ctx: e.ctx, env: e.env, bound: e.bound, limit: e.limit - e.steps, total: e.total}
		x, err := ev.eval(n.args[1])
		var b *big.Float
		if err == nil && x.r != nil {
			if v, ok := bigPow(a, x.r); ok {
				return v, true
			}
			b = bigFloat().SetRat(x.r) // 2^{10^{12}+1 over 10^{12}}
		}
		if a.Sign() <= 0 {
			return nil, false
		}
		if b == nil {
			var ok bool
			if b, ok = e.bigEval(n.args[1]); !ok {
				return nil, false
			}
		}
		la, ok := bigLn(a)
		if !ok {
			return nil, false
		}
		return bigExp(bigFloat().Mul(b, la))
	case kFunc:
		switch n.name {
		case "sqrt":
			if len(n.args) != 1 {
				return nil, false
			}
			a, ok := e.bigEval(n.args[0])
			if !ok || a.Sign() < 0 {
				return nil, false
			}
			return bigFloat().Sqrt(a), true
		case "abs":
			if len(n.args) != 1 {
				return nil, false
			}
			a, ok := e.bigEval(n.args[0])
			if !ok {
				return nil, false
			}
			return bigFloat().Abs(a), true
		case "sin", "cos", "tan", "exp", "ln", "log", "lg":
			if len(n.args) != 1 || n.args[0].pct {
				return nil, false
			}
			a, ok := e.bigEval(n.args[0])
			if !ok {
				return nil, false
			}
			// a 256-bit series costs about as much as 32 node evaluations
			e.steps += 32
			if e.total != nil {
				*e.total -= 32
			}
			if e.steps > e.limit || e.total != nil && *e.total < 0 {
				return nil, false
			}
			if n.args[0].deg {
				if n.name != "sin" && n.name != "cos" && n.name != "tan" {
					return nil, false
				}
				// \sin 30^\circ: degrees inside a trigonometric function
				a = bigFloat().Quo(bigFloat().Mul(a, bigPi()), bigFloat().SetInt64(180))
			}
			if v, ok := bigElementary(n.name, a); ok {
				return v, true
			}
			// (a zero or a rational value the exact evaluator finds below)
		}
	}
	// anything else counts only when the exact evaluator makes it a rational
	ev := &evaluator{ctx: e.ctx, env: e.env, bound: e.bound, limit: e.limit - e.steps, total: e.total}
	v, err := ev.eval(n)
	if err != nil || v.r == nil {
		return nil, false
	}
	return bigFloat().SetRat(v.r), true
}

func absInt(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

// bigPow raises a to the rational power r: integer powers by squaring,
// roots of positive bases by Newton iteration.
func bigPow(a *big.Float, r *big.Rat) (*big.Float, bool) {
	if !r.Num().IsInt64() || !r.Denom().IsInt64() {
		return nil, false
	}
	p, q := r.Num().Int64(), r.Denom().Int64()
	if q > 64 || abs64(p) > 10000 {
		return nil, false
	}
	base := a
	if q > 1 {
		if a.Sign() <= 0 {
			return nil, false
		}
		root, ok := bigRoot(a, q)
		if !ok {
			return nil, false
		}
		base = root
	}
	if p < 0 && base.Sign() == 0 {
		return nil, false
	}
	res := bigFloat().SetInt64(1)
	b := bigFloat().Set(base)
	for k := abs64(p); k > 0; k >>= 1 {
		if k&1 == 1 {
			res.Mul(res, b)
		}
		b.Mul(b, b)
	}
	if p < 0 {
		res = bigFloat().Quo(bigFloat().SetInt64(1), res)
	}
	if res.IsInf() {
		return nil, false
	}
	return res, true
}

// bigRoot returns the q-th root of a > 0 by Newton's method from the
// float64 estimate (the digits double at each step).
func bigRoot(a *big.Float, q int64) (*big.Float, bool) {
	if q == 2 {
		return bigFloat().Sqrt(a), true
	}
	f, _ := a.Float64()
	if f == 0 || math.IsInf(f, 0) {
		return nil, false
	}
	x := bigFloat().SetFloat64(math.Pow(f, 1/float64(q)))
	qf := bigFloat().SetInt64(q)
	q1 := bigFloat().SetInt64(q - 1)
	for i := 0; i < 8; i++ {
		// x = ((q-1) x + a / x^(q-1)) / q
		xp := bigFloat().SetInt64(1)
		for j := int64(0); j < q-1; j++ {
			xp.Mul(xp, x)
		}
		if xp.Sign() == 0 {
			return nil, false
		}
		t := bigFloat().Quo(a, xp)
		x = bigFloat().Quo(bigFloat().Add(bigFloat().Mul(q1, x), t), qf)
	}
	return x, true
}

// bigCompare decides two values with the 256-bit evaluation when both
// sides support it; ok is false when one does not.
func (c *comparer) bigCompare(g, p *node, env map[string]*big.Rat) (cmp, bool) {
	eg := &evaluator{ctx: c.ctx, env: env, limit: c.lim.MaxEvalSteps, total: c.total}
	ep := &evaluator{ctx: c.ctx, env: env, limit: c.lim.MaxEvalSteps, total: c.total}
	a, ok1 := eg.bigEval(g)
	b, ok2 := ep.bigEval(p)
	if !ok1 || !ok2 || eg.bigLossy || ep.bigLossy {
		return 0, false
	}
	d := bigFloat().Sub(a, b)
	d.Abs(d)
	if d.Sign() == 0 {
		return cEqual, true
	}
	m := bigFloat().Abs(a)
	if x := bigFloat().Abs(b); x.Cmp(m) > 0 {
		m = x
	}
	if d.Cmp(bigFloat().Mul(m, bigRelEqual)) <= 0 {
		return cEqual, true
	}
	for _, x := range []*big.Float{eg.bigScale, ep.bigScale} {
		if x != nil && x.Cmp(m) > 0 {
			m = x
		}
	}
	if d.Cmp(bigFloat().Mul(m, bigRelEqual)) <= 0 {
		// close only on the scale of a term added on the way
		// (\sqrt{10^{40}+1} against 10^{20}): the rounding of that
		// term may hide the difference
		return cUnsure, true
	}
	return cDiff, true
}

// bigWork is the working precision of the 256-bit elementary functions:
// guard bits for argument reduction and repeated squaring.
const bigWork = bigPrec + 96

func workFloat() *big.Float { return new(big.Float).SetPrec(bigWork) }

// bigPi returns π at the working precision (from piDigits, about 330 bits).
func bigPi() *big.Float {
	f, _, _ := big.ParseFloat(piDigits, 10, bigWork, big.ToNearestEven)
	return f
}

// bigExp returns e^x for |x| <= 1000: Taylor series of x/2^s, squared s
// times.
func bigExp(x *big.Float) (*big.Float, bool) {
	if x.Sign() == 0 {
		return bigFloat().SetInt64(1), true
	}
	if f, _ := x.Float64(); math.Abs(f) > 1000 {
		return nil, false
	}
	s := x.MantExp(nil) + 12 // x / 2^s below 2^-12
	if s < 0 {
		s = 0
	}
	r := workFloat().SetMantExp(workFloat().Set(x), -s)
	sum := workFloat().SetInt64(1)
	term := workFloat().SetInt64(1)
	eps := workFloat().SetMantExp(workFloat().SetInt64(1), -bigWork-8)
	for k := int64(1); k < 200; k++ {
		term.Mul(term, r)
		term.Quo(term, workFloat().SetInt64(k))
		sum.Add(sum, term)
		if workFloat().Abs(term).Cmp(eps) < 0 {
			break
		}
	}
	for i := 0; i < s; i++ {
		sum.Mul(sum, sum)
	}
	return bigFloat().Set(sum), true
}

// bigLn returns ln x for x > 0 by Halley's iteration on e^y = x from the
// float64 estimate (the correct bits triple at each step).
func bigLn(x *big.Float) (*big.Float, bool) {
	if x.Sign() <= 0 {
		return nil, false
	}
	m := workFloat()
	e := x.MantExp(m)
	mf, _ := m.Float64()
	y0 := math.Log(mf) + float64(e)*math.Ln2
	if math.IsNaN(y0) || math.Abs(y0) > 1000 {
		return nil, false
	}
	xw := workFloat().Set(x)
	y := workFloat().SetFloat64(y0)
	for i := 0; i < 5; i++ {
		ey, ok := bigExp(y)
		if !ok {
			return nil, false
		}
		eyw := workFloat().Set(ey)
		// y += 2 (x - e^y) / (x + e^y)
		d := workFloat().Quo(workFloat().Sub(xw, eyw), workFloat().Add(xw, eyw))
		y.Add(y, d.Mul(d, workFloat().SetInt64(2)))
	}
	return bigFloat().Set(y), true
}

// bigSinCos returns sin x and cos x for |x| <= 10^6: x reduced modulo 2π,
// then Taylor series.
func bigSinCos(x *big.Float) (*big.Float, *big.Float, bool) {
	if f, _ := x.Float64(); math.Abs(f) > 1e6 {
		return nil, nil, false
	}
	twoPi := workFloat().Mul(bigPi(), workFloat().SetInt64(2))
	q := workFloat().Quo(x, twoPi)
	qf, _ := q.Float64()
	k := workFloat().SetInt64(int64(math.Round(qf)))
	r := workFloat().Sub(workFloat().Set(x), k.Mul(k, twoPi))
	r2 := workFloat().Mul(r, r)
	eps := workFloat().SetMantExp(workFloat().SetInt64(1), -bigWork-8)
	series := func(first *big.Float, start int64) *big.Float {
		sum := workFloat().Set(first)
		term := workFloat().Set(first)
		for n := start; n < start+400; n += 2 {
			// next term: -term * r^2 / ((n+1)(n+2))
			term.Mul(term, r2)
			term.Quo(term, workFloat().SetInt64((n+1)*(n+2)))
			term.Neg(term)
			sum.Add(sum, term)
			if workFloat().Abs(term).Cmp(eps) < 0 {
				break
			}
		}
		return sum
	}
	sin := series(r, 1)
	cos := series(workFloat().SetInt64(1), 0)
	return bigFloat().Set(sin), bigFloat().Set(cos), true
}

// bigElementary evaluates sin, cos, tan, exp, ln/log and lg at 256 bits.
func bigElementary(name string, x *big.Float) (*big.Float, bool) {
	switch name {
	case "sin", "cos", "tan":
		s, c, ok := bigSinCos(x)
		if !ok {
			return nil, false
		}
		switch name {
		case "sin":
			return s, true
		case "cos":
			return c, true
		}
		if c.Sign() == 0 {
			return nil, false
		}
		return bigFloat().Quo(s, c), true
	case "exp":
		return bigExp(x)
	case "ln", "log":
		return bigLn(x)
	case "lg":
		a, ok1 := bigLn(x)
		b, ok2 := bigLn(bigFloat().SetInt64(10))
		if !ok1 || !ok2 {
			return nil, false
		}
		return bigFloat().Quo(a, b), true
	}
	return nil, false
}
