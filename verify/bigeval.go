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
		// the exponent must be an exact rational
		ev := &evaluator{ctx: e.ctx, env: e.env, bound: e.bound, limit: e.limit - e.steps, total: e.total}
		x, err := ev.eval(n.args[1])
		if err != nil || x.r == nil {
			return nil, false
		}
		return bigPow(a, x.r)
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
