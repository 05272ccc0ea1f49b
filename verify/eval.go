package verify

import (
	"context"
	"errors"
	"math"
	"math/big"
	"math/cmplx"
)

// val is a number: exact when r != nil, else the complex approximation c.
type val struct {
	r *big.Rat
	c complex128
}

var errEval = errors.New("cannot evaluate")

// maxRatBits bounds exact arithmetic; larger results fall back to floats.
const maxRatBits = 1 << 15

func exact(r *big.Rat) val {
	f, _ := r.Float64()
	return val{r: r, c: complex(f, 0)}
}

func inexact(c complex128) val { return val{c: c} }

func ratSmall(r *big.Rat) bool {
	return r.Num().BitLen() <= maxRatBits && r.Denom().BitLen() <= maxRatBits
}

type evaluator struct {
	ctx   context.Context     // checked every 256 steps
	env   map[string]*big.Rat // values of the variables at a sample point
	bound map[string]*big.Rat // index variables of sums being evaluated
	total *int                // steps left for the whole pair, shared by all evaluations
	lossy bool                // a float in the evaluation does not represent its value
	// bigLossy: the 256-bit evaluation absorbed a term (x + 1, x = 10^5000)
	bigLossy bool
	bigScale *big.Float // largest term added in the 256-bit evaluation
	steps    int
	limit    int
}

// eval evaluates n and notes when a float stands for a value it cannot
// represent (an exact number beyond float64 range, an overflow): such
// results are not compared with the float tolerance.
func (e *evaluator) eval(n *node) (val, error) {
	v, err := e.evalNode(n)
	if err == nil && v.r != nil {
		// a large exact number costs work that grows with its size (GCDs
		// quadratic in the size for fractions): charge it to the step
		// budgets so that sums of such terms stop early
		if bits := v.r.Num().BitLen() + v.r.Denom().BitLen(); bits > 2048 {
			cost := bits / 256
			if !v.r.IsInt() {
				cost = (bits / 1024) * (bits / 1024)
			}
			e.steps += cost
			if e.total != nil {
				*e.total -= cost
			}
			if e.steps > e.limit || e.total != nil && *e.total < 0 {
				return val{}, errEval
			}
		}
	}
	if err == nil {
		if v.r != nil && v.r.Sign() != 0 && (v.c == 0 || cmplx.IsInf(v.c)) || v.r == nil && (cmplx.IsInf(v.c) || cmplx.IsNaN(v.c)) {
			e.lossy = true
		}
	}
	return v, err
}

func (e *evaluator) evalNode(n *node) (val, error) {
	e.steps++
	if e.steps > e.limit {
		return val{}, errEval
	}
	if e.total != nil {
		*e.total--
		if *e.total < 0 {
			return val{}, errEval
		}
	}
	if e.steps&255 == 0 && e.ctx != nil && e.ctx.Err() != nil {
		return val{}, errEval
	}
	switch n.k {
	case kNum:
		return exact(n.num), nil
	case kConst:
		switch n.name {
		case "pi":
			return inexact(complex(math.Pi, 0)), nil
		case "e":
			return inexact(complex(math.E, 0)), nil
		case "i":
			return inexact(complex(0, 1)), nil
		}
	case kVar:
		if r, ok := e.bound[n.name]; ok {
			return exact(r), nil
		}
		if v, ok := e.env[n.name]; ok {
			return exact(v), nil
		}
		return val{}, errEval
	case kApply:
		// an unknown function: a fixed smooth function of its arguments,
		// different for each name
		h := nameHash(n.name)
		var s complex128
		for i, a := range n.args {
			v, err := e.eval(a)
			if err != nil {
				return val{}, err
			}
			s += v.c * complex(1+float64((h>>uint(8*i))&0xff)/97, 0)
		}
		return inexact(cmplx.Exp(s*complex(0.37+float64(h&0xfff)/4096, 0)) + complex(float64(h%13), 0)), nil
	case kAdd:
		acc := exact(new(big.Rat))
		for _, a := range n.args {
			v, err := e.eval(a)
			if err != nil {
				return val{}, err
			}
			acc = add(acc, v)
		}
		return acc, nil
	case kMul:
		acc := exact(big.NewRat(1, 1))
		for _, a := range n.args {
			v, err := e.eval(a)
			if err != nil {
				return val{}, err
			}
			acc = mul(acc, v)
		}
		return acc, nil
	case kNeg:
		v, err := e.eval(n.args[0])
		if err != nil {
			return val{}, err
		}
		if v.r != nil {
			return exact(new(big.Rat).Neg(v.r)), nil
		}
		return inexact(-v.c), nil
	case kDiv:
		a, err := e.eval(n.args[0])
		if err != nil {
			return val{}, err
		}
		b, err := e.eval(n.args[1])
		if err != nil {
			return val{}, err
		}
		if b.r != nil {
			if b.r.Sign() == 0 {
				return val{}, errEval
			}
			if a.r != nil {
				return exact(new(big.Rat).Quo(a.r, b.r)), nil
			}
		}
		if b.c == 0 {
			return val{}, errEval
		}
		return inexact(a.c / b.c), nil
	case kPow:
		if v, ok := e.eulerQuarter(n); ok {
			return v, nil
		}
		a, err := e.eval(n.args[0])
		if err != nil {
			return val{}, err
		}
		b, err := e.eval(n.args[1])
		if err != nil {
			return val{}, err
		}
		v, err := pow(a, b)
		if err == nil && v.r == nil && v.c != 1 && cmplx.Abs(v.c-1) < 1e-11 {
			// e^{10^{-15}}: a float power this close to 1 is not told
			// apart from 1 (or 1 + 10^{-15}) by the tolerance
			e.lossy = true
		}
		return v, err
	case kFact:
		a, err := e.eval(n.args[0])
		if err != nil {
			return val{}, err
		}
		if a.r == nil || !a.r.IsInt() || a.r.Sign() < 0 || a.r.Num().Cmp(big.NewInt(maxFactorial)) > 0 {
			if (a.r == nil || !a.r.IsInt()) && imag(a.c) == 0 && real(a.c) < 170 {
				// x! = Γ(x+1) for a real x (variables at sample points)
				g := math.Gamma(real(a.c) + 1)
				if math.IsInf(g, 0) || math.IsNaN(g) {
					return val{}, errEval
				}
				return inexact(complex(g, 0)), nil
			}
			return val{}, errEval
		}
		// n! costs n multiplications: charge them (sums of 350! terms)
		if cost := int(a.r.Num().Int64() / 8); cost > 0 {
			e.steps += cost
			if e.total != nil {
				*e.total -= cost
			}
			if e.steps > e.limit || e.total != nil && *e.total < 0 {
				return val{}, errEval
			}
		}
		f := new(big.Int).MulRange(1, a.r.Num().Int64())
		return exact(new(big.Rat).SetInt(f)), nil
	case kFunc:
		if n.name == "sum" || n.name == "prod" {
			return e.bigOp(n)
		}
		return e.fn(n)
	}
	return val{}, errEval
}

// maxTerms bounds the number of terms of a sum or product evaluated.
const maxTerms = 2000

// bigOp evaluates \sum and \prod with integer bounds by adding the terms.
func (e *evaluator) bigOp(n *node) (val, error) {
	idx, lo, hi, body := n.args[0].name, n.args[1], n.args[2], n.args[3]
	a, err := e.eval(lo)
	if err != nil {
		return val{}, err
	}
	b, err := e.eval(hi)
	if err != nil {
		return val{}, err
	}
	ai, ok1 := intOf(a)
	bi, ok2 := intOf(b)
	if !ok1 || !ok2 || bi-ai > maxTerms {
		return val{}, errEval
	}
	if e.bound == nil {
		e.bound = map[string]*big.Rat{}
	}
	old, had := e.bound[idx]
	defer func() {
		if had {
			e.bound[idx] = old
		} else {
			delete(e.bound, idx)
		}
	}()
	acc := exact(new(big.Rat))
	if n.name == "prod" {
		acc = exact(big.NewRat(1, 1))
	}
	for k := ai; k <= bi; k++ {
		e.bound[idx] = big.NewRat(k, 1)
		v, err := e.eval(body)
		if err != nil {
			return val{}, err
		}
		if n.name == "sum" {
			acc = add(acc, v)
		} else {
			acc = mul(acc, v)
		}
	}
	return acc, nil
}

// intOf returns v as an int64 when it is an exact integer of modest size
// (or a float within 1e-9 of one).
func intOf(v val) (int64, bool) {
	if v.r != nil {
		if v.r.IsInt() && v.r.Num().IsInt64() && abs64(v.r.Num().Int64()) < 1<<40 {
			return v.r.Num().Int64(), true
		}
		return 0, false
	}
	if imag(v.c) != 0 {
		return 0, false
	}
	x := math.Round(real(v.c))
	if math.Abs(real(v.c)-x) > 1e-9 || math.Abs(x) > 1<<40 {
		return 0, false
	}
	return int64(x), true
}

var trig = map[string]bool{"sin": true, "cos": true, "tan": true, "cot": true, "sec": true, "csc": true}

// maxFactorial is the largest n whose n! is computed exactly (about
// 30,000 bits, under maxRatBits).
const maxFactorial = 2500

func nameHash(s string) uint64 {
	var h uint64 = 1469598103934665603
	for i := 0; i < len(s); i++ {
		h ^= uint64(s[i])
		h *= 1099511628211
	}
	return h
}

func add(a, b val) val {
	if a.r != nil && b.r != nil && (a.r.IsInt() || b.r.IsInt() ||
		a.r.Num().BitLen()+a.r.Denom().BitLen()+b.r.Num().BitLen()+b.r.Denom().BitLen() <= maxFracMulBits) {
		s := new(big.Rat).Add(a.r, b.r)
		if ratSmall(s) {
			return exact(s)
		}
	}
	return inexact(a.c + b.c)
}

// maxFracMulBits bounds exact sums and products of two fractions: each
// result reduces by a GCD whose cost grows with the square of the size, so
// a chain of them (xxx…x at x = a/97) would take seconds.
const maxFracMulBits = 1 << 13

func mul(a, b val) val {
	if a.r != nil && b.r != nil && (a.r.IsInt() || b.r.IsInt() ||
		a.r.Num().BitLen()+a.r.Denom().BitLen()+b.r.Num().BitLen()+b.r.Denom().BitLen() <= maxFracMulBits) {
		s := new(big.Rat).Mul(a.r, b.r)
		if ratSmall(s) {
			return exact(s)
		}
	}
	return inexact(a.c * b.c)
}

// intRoot returns the exact k-th root of a non-negative integer if there is one.
func intRoot(x *big.Int, k int64) (*big.Int, bool) {
	if x.Sign() == 0 || x.Cmp(big.NewInt(1)) == 0 {
		return new(big.Int).Set(x), true
	}
	if k == 2 {
		r := new(big.Int).Sqrt(x)
		return r, new(big.Int).Mul(r, r).Cmp(x) == 0
	}
	f, _ := new(big.Float).SetInt(x).Float64()
	if math.IsInf(f, 0) {
		return nil, false
	}
	g := math.Round(math.Pow(f, 1/float64(k)))
	for d := -1.0; d <= 1; d++ {
		c := big.NewInt(int64(g + d))
		if c.Sign() <= 0 {
			continue
		}
		if new(big.Int).Exp(c, big.NewInt(k), nil).Cmp(x) == 0 {
			return c, true
		}
	}
	return nil, false
}

func pow(a, b val) (val, error) {
	if a.r != nil && b.r != nil {
		if b.r.IsInt() {
			ex := b.r.Num()
			if a.r.Sign() == 0 {
				if ex.Sign() < 0 {
					return val{}, errEval
				}
				if ex.Sign() == 0 {
					return exact(big.NewRat(1, 1)), nil
				}
				return exact(new(big.Rat)), nil
			}
			bits := int64(a.r.Num().BitLen() + a.r.Denom().BitLen())
			if ex.IsInt64() && abs64(ex.Int64())*bits <= maxRatBits*2 {
				k := ex.Int64()
				num := new(big.Int).Exp(a.r.Num(), big.NewInt(abs64(k)), nil)
				den := new(big.Int).Exp(a.r.Denom(), big.NewInt(abs64(k)), nil)
				if k < 0 {
					num, den = den, num
				}
				return exact(new(big.Rat).SetFrac(num, den)), nil
			}
			if a.r.Cmp(big.NewRat(1, 1)) == 0 {
				return exact(big.NewRat(1, 1)), nil
			}
			if a.r.Cmp(big.NewRat(-1, 1)) == 0 {
				if ex.Bit(0) == 0 {
					return exact(big.NewRat(1, 1)), nil
				}
				return exact(big.NewRat(-1, 1)), nil
			}
		} else if a.r.Sign() > 0 && b.r.Denom().IsInt64() && b.r.Denom().Int64() <= 64 {
			// rational power of a rational: exact when the root is exact
			k := b.r.Denom().Int64()
			rn, ok1 := intRoot(a.r.Num(), k)
			rd, ok2 := intRoot(a.r.Denom(), k)
			if ok1 && ok2 {
				base := exact(new(big.Rat).SetFrac(rn, rd))
				return pow(base, exact(new(big.Rat).SetInt(b.r.Num())))
			}
		}
	}
	// float fallback; huge values become Inf and are compared as unsure
	if a.c == 0 {
		if real(b.c) > 0 {
			return inexact(0), nil
		}
		return val{}, errEval
	}
	if imag(a.c) == 0 && imag(b.c) == 0 && real(a.c) > 0 {
		r := math.Pow(real(a.c), real(b.c))
		if r == 0 {
			return val{}, errEval // underflow: 3^{-2000} is not 0
		}
		return inexact(complex(r, 0)), nil
	}
	if imag(a.c) == 0 && imag(b.c) == 0 && real(a.c) < 0 && b.r != nil && b.r.IsInt() {
		return inexact(complex(math.Pow(real(a.c), real(b.c)), 0)), nil
	}
	if imag(a.c) == 0 && imag(b.c) == 0 && real(a.c) < 0 && b.r != nil && b.r.Denom().Bit(0) == 1 {
		// real odd root of a negative number: (-8)^(1/3) = -2, (-8)^(2/3) = 4
		m := math.Pow(-real(a.c), real(b.c))
		if b.r.Num().Bit(0) == 1 {
			m = -m
		}
		return inexact(complex(m, 0)), nil
	}
	if (a.c == complex(0, 1) || a.c == complex(0, -1)) && b.r != nil && b.r.IsInt() {
		// i^n by n mod 4, for any n
		m := new(big.Int).Mod(b.r.Num(), big.NewInt(4)).Int64()
		if a.c == complex(0, -1) {
			m = (4 - m) % 4
		}
		return [4]val{exact(big.NewRat(1, 1)), inexact(complex(0, 1)), exact(big.NewRat(-1, 1)), inexact(complex(0, -1))}[m], nil
	}
	// i^{10^{20}}, e^{10^{20}\pi i}: the rounding of b log a in float64
	// turns the phase into noise, so the value says nothing
	if cmplx.Abs(b.c*cmplx.Log(a.c)) > 1<<23 {
		return val{}, errEval
	}
	return inexact(cmplx.Pow(a.c, b.c)), nil
}

func abs64(x int64) int64 {
	if x < 0 {
		return -x
	}
	return x
}

func (e *evaluator) fn(n *node) (val, error) {
	args := make([]val, len(n.args))
	for i, a := range n.args {
		v, err := e.eval(a)
		if err != nil {
			return val{}, err
		}
		if a.deg && trig[n.name] {
			// \sin 30^\circ: degrees inside a trigonometric function
			v = inexact(v.c * complex(math.Pi/180, 0))
		}
		args[i] = v
	}
	one := func() (val, error) {
		if len(args) != 1 {
			return val{}, errEval
		}
		return args[0], nil
	}
	switch n.name {
	case "sqrt":
		a, err := one()
		if err != nil {
			return val{}, err
		}
		return pow(a, exact(big.NewRat(1, 2)))
	case "conj":
		a, err := one()
		if err != nil || a.r != nil {
			return a, err
		}
		return inexact(cmplx.Conj(a.c)), nil
	case "abs":
		a, err := one()
		if err != nil {
			return val{}, err
		}
		if a.r != nil {
			return exact(new(big.Rat).Abs(a.r)), nil
		}
		return inexact(complex(cmplx.Abs(a.c), 0)), nil
	case "floor", "ceil":
		a, err := one()
		if err != nil {
			return val{}, err
		}
		if a.r != nil {
			q := new(big.Int).Div(a.r.Num(), a.r.Denom()) // Euclidean: floor for positive denominators
			if n.name == "ceil" && !a.r.IsInt() {
				q.Add(q, big.NewInt(1))
			}
			return exact(new(big.Rat).SetInt(q)), nil
		}
		if imag(a.c) != 0 {
			return val{}, errEval
		}
		x := real(a.c)
		// too close to an integer to decide
		if math.Abs(x-math.Round(x)) < 1e-9 {
			return val{}, errEval
		}
		if n.name == "floor" {
			return inexact(complex(math.Floor(x), 0)), nil
		}
		return inexact(complex(math.Ceil(x), 0)), nil
	case "binom":
		if len(args) == 2 && (args[0].r == nil || args[1].r == nil || !args[0].r.IsInt() || !args[1].r.IsInt()) && imag(args[0].c) == 0 && imag(args[1].c) == 0 {
			// real arguments: Γ(n+1) / (Γ(k+1) Γ(n-k+1))
			n, k := real(args[0].c), real(args[1].c)
			v := math.Gamma(n+1) / (math.Gamma(k+1) * math.Gamma(n-k+1))
			if math.IsInf(v, 0) || math.IsNaN(v) || math.Abs(n) > 150 {
				return val{}, errEval
			}
			return inexact(complex(v, 0)), nil
		}
		if len(args) != 2 || args[0].r == nil || args[1].r == nil || !args[0].r.IsInt() || !args[1].r.IsInt() {
			return val{}, errEval
		}
		nn, kk := args[0].r.Num(), args[1].r.Num()
		if !nn.IsInt64() || !kk.IsInt64() || nn.Int64() > 5000 || nn.Int64() < 0 {
			return val{}, errEval
		}
		if kk.Sign() < 0 || kk.Cmp(nn) > 0 {
			return exact(new(big.Rat)), nil
		}
		return exact(new(big.Rat).SetInt(new(big.Int).Binomial(nn.Int64(), kk.Int64()))), nil
	case "gcd", "lcm":
		if len(args) < 2 {
			return val{}, errEval
		}
		acc := new(big.Int)
		for i, a := range args {
			if a.r == nil || !a.r.IsInt() || a.r.Num().BitLen() > 256 {
				return val{}, errEval
			}
			x := new(big.Int).Abs(a.r.Num())
			if i == 0 {
				acc.Set(x)
				continue
			}
			if n.name == "gcd" {
				acc.GCD(nil, nil, acc, x)
			} else {
				g := new(big.Int).GCD(nil, nil, acc, x)
				if g.Sign() == 0 {
					return val{}, errEval
				}
				acc.Mul(acc, x).Div(acc, g)
			}
		}
		return exact(new(big.Rat).SetInt(acc)), nil
	case "max", "min":
		if len(args) == 0 {
			return val{}, errEval
		}
		best := args[0]
		for _, a := range args[1:] {
			if imag(a.c) != 0 || imag(best.c) != 0 {
				return val{}, errEval
			}
			var less bool
			if a.r != nil && best.r != nil {
				less = a.r.Cmp(best.r) < 0
			} else {
				less = real(a.c) < real(best.c)
			}
			if less == (n.name == "min") {
				best = a
			}
		}
		return best, nil
	case "sgn":
		a, err := one()
		if err != nil {
			return val{}, err
		}
		if a.r != nil {
			return exact(new(big.Rat).SetInt64(int64(a.r.Sign()))), nil
		}
		return val{}, errEval
	case "logb":
		if len(args) != 2 {
			return val{}, errEval
		}
		if r, ok := exactLog(args[0], args[1]); ok {
			return r, nil
		}
		d := cmplx.Log(args[0].c)
		if d == 0 {
			return val{}, errEval
		}
		return inexact(cmplx.Log(args[1].c) / d), nil
	}
	a, err := one()
	if err != nil {
		return val{}, err
	}
	x := a.c
	if trig[n.name] {
		// \sin\pi, \cos 90^\circ: exact at multiples of π/6 and π/4
		if q, ok := e.piRatio(n.args[0], true); ok {
			if v, ok, err := exactTrig(n.name, q); ok || err != nil {
				return v, err
			}
		}
	}
	// exact values at exact zero
	if a.r != nil && a.r.Sign() == 0 {
		switch n.name {
		case "sin", "tan", "asin", "atan", "sinh", "tanh":
			return exact(new(big.Rat)), nil
		case "cos", "cosh", "exp", "sec":
			return exact(big.NewRat(1, 1)), nil
		}
	}
	if a.r != nil && a.r.Cmp(big.NewRat(1, 1)) == 0 && (n.name == "ln" || n.name == "log" || n.name == "lg") {
		return exact(new(big.Rat)), nil
	}
	if n.name == "lg" {
		if r, ok := exactLog(exact(big.NewRat(10, 1)), a); ok {
			return r, nil
		}
	}
	r, ok := elementary(n.name, x)
	if !ok {
		return val{}, errEval
	}
	if elementaryLossy(n.name, x, r) {
		e.lossy = true
	}
	if r == 0 && a.r != nil {
		// \ln(1+10^{-30}): the rounded argument hit a zero the exact one misses
		if _, ok := a.r.Float64(); !ok {
			e.lossy = true
		}
	}
	if imag(x) == 0 && math.Abs(imag(r)) < 1e-300 {
		r = complex(real(r), 0)
	}
	return inexact(r), nil
}

// piRatio returns q when n is the exact angle qπ (π, \frac{5\pi}{6},
// -2\pi, \pi/2 + \pi, 30^\circ when inTrig).
func (e *evaluator) piRatio(n *node, inTrig bool) (*big.Rat, bool) {
	if n.deg && inTrig {
		plain := *n
		plain.deg = false
		v, err := e.eval(&plain)
		if err != nil || v.r == nil {
			return nil, false
		}
		return new(big.Rat).Quo(v.r, big.NewRat(180, 1)), true
	}
	if n.deg || n.pct {
		return nil, false
	}
	switch n.k {
	case kConst:
		if n.name == "pi" {
			return big.NewRat(1, 1), true
		}
	case kNeg:
		if q, ok := e.piRatio(n.args[0], inTrig); ok {
			return q.Neg(q), true
		}
	case kAdd:
		sum := new(big.Rat)
		for _, a := range n.args {
			q, ok := e.piRatio(a, inTrig)
			if !ok {
				return nil, false
			}
			sum.Add(sum, q)
		}
		return sum, true
	case kMul, kDiv:
		var q *big.Rat
		coef := big.NewRat(1, 1)
		for i, a := range n.args {
			if qa, ok := e.piRatio(a, inTrig); ok && q == nil && !(n.k == kDiv && i == 1) {
				q = qa
				continue
			}
			if hasVar(a) {
				return nil, false
			}
			v, err := e.eval(a)
			if err != nil || v.r == nil || n.k == kDiv && i == 1 && v.r.Sign() == 0 {
				return nil, false
			}
			if n.k == kDiv && i == 1 {
				coef.Quo(coef, v.r)
			} else {
				coef.Mul(coef, v.r)
			}
		}
		if q == nil {
			return nil, false
		}
		return q.Mul(q, coef), true
	}
	return nil, false
}

// eulerQuarter evaluates e^{i qπ} exactly when q is a multiple of 1/2
// (e^{i\pi} = -1, e^{i\pi/2} = i).
func (e *evaluator) eulerQuarter(n *node) (val, bool) {
	if b := n.args[0]; b.k != kConst || b.name != "e" {
		return val{}, false
	}
	x := n.args[1]
	if x.k != kMul && x.k != kDiv {
		return val{}, false
	}
	// drop one factor i from the numerator
	num := x
	if x.k == kDiv {
		num = x.args[0]
	}
	if num.k != kMul {
		return val{}, false
	}
	rest := make([]*node, 0, len(num.args))
	found := false
	for _, a := range num.args {
		if !found && a.k == kConst && a.name == "i" {
			found = true
			continue
		}
		rest = append(rest, a)
	}
	if !found || len(rest) == 0 {
		return val{}, false
	}
	var m *node = &node{k: kMul, args: rest}
	if len(rest) == 1 {
		m = rest[0]
	}
	if x.k == kDiv {
		m = &node{k: kDiv, args: []*node{m, x.args[1]}}
	}
	q, ok := e.piRatio(m, false)
	if !ok {
		return val{}, false
	}
	t := new(big.Rat).Mul(q, big.NewRat(2, 1))
	if !t.IsInt() || t.Num().BitLen() > 62 {
		return val{}, false
	}
	k := t.Num().Int64() % 4
	if k < 0 {
		k += 4
	}
	return [4]val{exact(big.NewRat(1, 1)), inexact(complex(0, 1)), exact(big.NewRat(-1, 1)), inexact(complex(0, -1))}[k], true
}

// hasVar reports a variable or π, e, i in n.
func hasVar(n *node) bool {
	if n.k == kVar || n.k == kConst || n.k == kApply {
		return true
	}
	for _, a := range n.args {
		if hasVar(a) {
			return true
		}
	}
	return false
}

// exactTrig is sin, cos, tan, cot, sec or csc of qπ where the value is
// rational (multiples of π/6 for sin and cos, of π/4 for tan and cot).
// ok is false where it is not; err is set where the function is undefined.
func exactTrig(name string, q *big.Rat) (val, bool, error) {
	// r = q mod 2, in 12ths of π
	t := new(big.Rat).Mul(q, big.NewRat(12, 1))
	if !t.IsInt() || t.Num().BitLen() > 62 {
		return val{}, false, nil
	}
	k := t.Num().Int64() % 24
	if k < 0 {
		k += 24
	}
	// sin at k·15°, as a rational when it is one
	sinAt := func(k int64) (*big.Rat, bool) {
		switch k % 24 {
		case 0, 12:
			return new(big.Rat), true
		case 2, 10:
			return big.NewRat(1, 2), true
		case 6:
			return big.NewRat(1, 1), true
		case 14, 22:
			return big.NewRat(-1, 2), true
		case 18:
			return big.NewRat(-1, 1), true
		}
		return nil, false
	}
	switch name {
	case "sin", "csc", "cos", "sec":
		kk := k
		if name == "cos" || name == "sec" {
			kk = (k + 6) % 24
		}
		v, ok := sinAt(kk)
		if !ok {
			return val{}, false, nil
		}
		if name == "csc" || name == "sec" {
			if v.Sign() == 0 {
				return val{}, false, errEval
			}
			v.Inv(v)
		}
		return exact(v), true, nil
	case "tan", "cot":
		var v *big.Rat
		switch k % 12 {
		case 0:
			v = new(big.Rat)
		case 3:
			v = big.NewRat(1, 1)
		case 9:
			v = big.NewRat(-1, 1)
		case 6:
			if name == "tan" {
				return val{}, false, errEval
			}
			return exact(new(big.Rat)), true, nil
		default:
			return val{}, false, nil
		}
		if name == "cot" {
			if v.Sign() == 0 {
				return val{}, false, errEval
			}
			v.Inv(v)
		}
		return exact(v), true, nil
	}
	return val{}, false, nil
}

// elementary evaluates a named function of one argument in complex128.
func elementary(name string, x complex128) (complex128, bool) {
	var r complex128
	switch name {
	case "sin":
		r = cmplx.Sin(x)
	case "cos":
		r = cmplx.Cos(x)
	case "tan":
		r = cmplx.Tan(x)
	case "cot":
		r = 1 / cmplx.Tan(x)
	case "sec":
		r = 1 / cmplx.Cos(x)
	case "csc":
		r = 1 / cmplx.Sin(x)
	case "asin":
		r = cmplx.Asin(x)
	case "acos":
		r = cmplx.Acos(x)
	case "atan":
		r = cmplx.Atan(x)
	case "acot":
		r = cmplx.Atan(1 / x)
	case "asec":
		r = cmplx.Acos(1 / x)
	case "acsc":
		r = cmplx.Asin(1 / x)
	case "sinh":
		r = cmplx.Sinh(x)
	case "cosh":
		r = cmplx.Cosh(x)
	case "tanh":
		r = cmplx.Tanh(x)
	case "coth":
		r = 1 / cmplx.Tanh(x)
	case "log", "ln":
		r = cmplx.Log(x)
	case "lg":
		r = cmplx.Log10(x)
	case "exp":
		r = cmplx.Exp(x)
	default:
		return 0, false
	}
	return r, true
}

// elementaryLossy reports a complex128 value that cannot tell its argument
// from a nearby one: a trigonometric function of a huge argument
// (\sin(10^{100}) against \sin(10^{100}+1)), or a value that does not move
// when the argument moves by a relative 2^-20 (\cos(10^{-8}) is 1.0,
// e^{10^{-15}} is 1.0 plus one unit in the last place).
func elementaryLossy(name string, x, r complex128) bool {
	if x == 0 {
		return false
	}
	if periodic[name] && cmplx.Abs(x) > 1<<40 {
		return true
	}
	if nearIdentity[name] && cmplx.Abs(x) < 1e-5 {
		// \tan(10^{-10}) differs from 10^{-10} by a relative 3·10^{-21}:
		// far below the tolerance
		return true
	}
	const h = 1.0 / (1 << 20)
	r2, ok := elementary(name, x*complex(1+h, 0))
	if !ok {
		return false
	}
	if r2 == r {
		return true
	}
	// ill-conditioned (\ln(1+10^{-30})): the rounding of the argument
	// alone moves the value by more than a relative 1e-13
	return r != 0 && cmplx.Abs(r2-r)/cmplx.Abs(r)/h > 1e3
}

// nearIdentity names functions that are x or 1 up to a relative x² near 0.
var nearIdentity = map[string]bool{"sin": true, "cos": true, "tan": true, "sec": true, "asin": true, "atan": true,
	"sinh": true, "cosh": true, "tanh": true, "exp": true}

// periodic names the trigonometric functions.
var periodic = map[string]bool{"sin": true, "cos": true, "tan": true, "cot": true, "sec": true, "csc": true}

// exactLog returns log_b(x) exactly when x is an integer power of b.
func exactLog(b, x val) (val, bool) {
	if b.r == nil || x.r == nil || b.r.Sign() <= 0 || x.r.Sign() <= 0 || b.r.Cmp(big.NewRat(1, 1)) == 0 {
		return val{}, false
	}
	lb := math.Log(real(b.c))
	lx := math.Log(real(x.c))
	if lb == 0 || math.IsInf(lb, 0) || math.IsInf(lx, 0) || math.IsNaN(lx) {
		return val{}, false
	}
	k := math.Round(lx / lb)
	if math.Abs(k) > 4096 || math.Abs(lx/lb-k) > 1e-6 {
		return val{}, false
	}
	p, err := pow(b, exact(new(big.Rat).SetInt64(int64(k))))
	if err != nil || p.r == nil || p.r.Cmp(x.r) != 0 {
		return val{}, false
	}
	return exact(new(big.Rat).SetInt64(int64(k))), true
}
