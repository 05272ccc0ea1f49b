package shard

import (
	"os"
	"strings"
	"testing"
	"unicode"

	"github.com/distillery-hpc/distillery/internal/realdata"
)

// normalizeRunes is NormalizeProblem as it was before its ASCII fast path:
// the reference the fast one must equal.
func normalizeRunes(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.TrimSpace(s) {
		if unicode.IsSpace(r) {
			space = true
			continue
		}
		if space && b.Len() > 0 {
			b.WriteByte(' ')
		}
		space = false
		b.WriteRune(unicode.ToLower(r))
	}
	return b.String()
}

var normalizeCases = []string{
	"", " ", "What is 1+1?", "  What\tIS\n\n 1+1?  ", "A\vB\fC\rD", "x\u00a0y\u0085z\u2003w",
	"ÀÉÎ ÕÜ Straße ΣΑΣ", "\xff\xfe bad \xc3 utf8", "\u3000全角\u3000空白\u3000", "$\\frac{A}{B}$\n\n(1)  ",
	"İstanbul", "K\u212a", "\x1c\x1d\x1e\x1f separators",
}

func TestNormalizeProblemMatchesRuneByRune(t *testing.T) {
	cases := normalizeCases
	// and every line of the real problems, when they are there
	if p, err := realdata.Path("derived/problems.jsonl"); err == nil {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		cases = append(cases, strings.Split(string(b), "\n")...)
	}
	for _, s := range cases {
		if got, want := NormalizeProblem(s), normalizeRunes(s); got != want {
			t.Errorf("NormalizeProblem(%q) = %q, want %q", s, got, want)
		}
	}
}

func FuzzNormalizeProblem(f *testing.F) {
	for _, s := range normalizeCases {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := NormalizeProblem(s), normalizeRunes(s); got != want {
			t.Errorf("NormalizeProblem(%q) = %q, want %q", s, got, want)
		}
	})
}
