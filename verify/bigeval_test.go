package verify

import (
	"math/big"
	"testing"
)

// TestBigElementary checks the 256-bit sin, cos, exp and ln against
// mpmath's digits (70 decimal digits must agree).
func TestBigElementary(t *testing.T) {
	const (
		sin1 = "0.841470984807896506652502321630298999622563060798371065672751709991910404391239668948639743543052695"
		cos1 = "0.540302305868139717400936607442976603732310420617922227670097255381100394774471764517951856087183089"
		ln2  = "0.693147180559945309417232121458176568075500134360255254120680009493393621969694715605863326996418687"
		sin3 = "0.1411200080598672221007448028081102798469332642522655841518826412324220099670144719112821728534498638"
	)
	one := bigFloat().SetInt64(1)
	three := bigFloat().SetInt64(3)
	s1, c1, ok1 := bigSinCos(one)
	s3, _, ok3 := bigSinCos(three)
	e1, ok4 := bigExp(one)
	l2, ok5 := bigLn(bigFloat().SetInt64(2))
	// sin(1 + 2π·1000) is sin 1 after the reduction
	far := bigFloat().Add(one, bigFloat().Mul(bigPi(), bigFloat().SetInt64(2000)))
	sFar, _, ok6 := bigSinCos(far)
	if !ok1 || !ok3 || !ok4 || !ok5 || !ok6 {
		t.Fatal("an elementary function did not evaluate")
	}
	for _, c := range []struct {
		name string
		got  *big.Float
		want string
	}{
		{"sin 1", s1, sin1}, {"cos 1", c1, cos1}, {"sin 3", s3, sin3}, {"e", e1, eDigits}, {"ln 2", l2, ln2},
		{"sin(1+2000π)", sFar, sin1},
	} {
		w, _, err := big.ParseFloat(c.want, 10, bigPrec, big.ToNearestEven)
		if err != nil {
			t.Fatal(err)
		}
		d := bigFloat().Sub(c.got, w)
		if d.Abs(d).Cmp(big.NewFloat(1e-70)) > 0 {
			t.Errorf("%s = %s, want %s", c.name, c.got.Text('g', 80), c.want)
		}
	}
}
