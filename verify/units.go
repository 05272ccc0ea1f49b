package verify

import (
	"math/big"
	"strconv"
	"strings"
)

// unitDims names the kind of the units whose same number in another unit
// of the kind is another quantity (unit keys as unitKey writes them).
var unitDims = map[string]string{
	"mm": "length", "cm": "length", "dm": "length", "m": "length", "km": "length", "mile": "length", "ft": "length",
	"in": "length", "yd": "length",
	"s": "time", "min": "time", "h": "time", "day": "time", "week": "time", "month": "time", "year": "time",
	"mg": "mass", "g": "mass", "kg": "mass", "lb": "mass", "ton": "mass", "tons": "mass", "tonnes": "mass", "oz": "mass",
	"ml": "volume", "l": "volume",
	"km h": "speed", "m s": "speed", "mph": "speed", "kmh": "speed", "kph": "speed", "mile h": "speed",
	"km min": "speed", "m min": "speed",
}

// unitFactors are the exact sizes of the units of unitDims in one base
// unit of their kind (m, s, g, ml, m/s), as decimal or fraction strings.
// Only definitions are listed: the inch is 0.0254 m and the pound
// 0.45359237 kg by the 1959 agreement. Months, years and tons (short,
// long or metric) have no one size and are left out: their pairs go to
// the judge.
var unitFactors = map[string]string{
	"mm": "0.001", "cm": "0.01", "dm": "0.1", "m": "1", "km": "1000",
	"in": "0.0254", "ft": "0.3048", "yd": "0.9144", "mile": "1609.344",
	"s": "1", "min": "60", "h": "3600", "day": "86400", "week": "604800",
	"mg": "0.001", "g": "1", "kg": "1000", "lb": "453.59237", "oz": "28.349523125", "tonnes": "1000000",
	"ml": "1", "l": "1000",
	"m s": "1", "m min": "1/60", "km min": "50/3", "km h": "5/18", "kmh": "5/18", "kph": "5/18", "mph": "0.44704", "mile h": "0.44704",
}

// splitUnitPower splits a unit key into its unit and its power ("cm^2"
// into "cm" and "^2").
func splitUnitPower(u string) (string, string) {
	if i := strings.LastIndexByte(u, '^'); i >= 0 && allDigitsStr(u[i+1:]) {
		return u[:i], u[i:]
	}
	return u, ""
}

// unitsConflict reports two different units of the same kind and power
// (cm against m, cm^2 against m^2, hours against minutes).
func unitsConflict(a, b string) bool {
	ba, ea := splitUnitPower(a)
	bb, eb := splitUnitPower(b)
	return ba != bb && ea == eb && unitDims[ba] != "" && unitDims[ba] == unitDims[bb]
}

// unitFactor is the exact size of the unit key u (with its power) in the
// base unit of its kind; ok is false when the unit has no one exact size.
func unitFactor(u string) (*big.Rat, bool) {
	base, pow := splitUnitPower(u)
	s, ok := unitFactors[base]
	if !ok {
		return nil, false
	}
	f, ok := new(big.Rat).SetString(s)
	if !ok {
		return nil, false
	}
	e := 1
	if pow != "" {
		n, err := strconv.Atoi(pow[1:])
		if err != nil || n < 1 || n > 3 {
			return nil, false
		}
		e = n
	}
	out := big.NewRat(1, 1)
	for range e {
		out.Mul(out, f)
	}
	return out, true
}

// inBaseUnit is the scalar n in unit u rewritten in the base unit of u's
// kind (1.5 h as 1.5 * 3600 s); ok is false when u has no exact size.
func inBaseUnit(n *node, u string) (*node, bool) {
	f, ok := unitFactor(u)
	if !ok {
		return nil, false
	}
	return &node{k: kMul, args: []*node{n, numNode(f)}}, true
}

// compareUnits rules on two scalars of different values that carry
// different units of the same kind (1.5 hours against 90 minutes, 5 cm
// against 0.05 m), which the bare values would call different. Converted
// exactly to one unit, the same quantity is unsure, not equal: whether the
// unit the problem asked for matters is the judge's call. A quantity that
// differs after the exact conversion is different. Units without one
// exact size (months, tons) are unsure. ok is false when the pair is not
// such a pair.
func (c *comparer) compareUnits(g, p *node, gu, pu string) (v Verdict, reason string, ok bool) {
	if gu == "" || pu == "" || !unitsConflict(gu, pu) || !isScalar(g) || !isScalar(p) {
		return "", "", false
	}
	g2, ok1 := inBaseUnit(g, gu)
	p2, ok2 := inBaseUnit(p, pu)
	if !ok1 || !ok2 {
		return Unsure, "different values in different units of the same kind", true
	}
	saved := c.reason
	defer func() { c.reason = saved }()
	c.reason = ""
	switch c.scalar(g2, p2) {
	case cEqual:
		return Unsure, "the same quantity in another unit", true
	case cDiff:
		return Different, "another quantity once the units are converted", true
	}
	return Unsure, "different values in different units of the same kind", true
}
