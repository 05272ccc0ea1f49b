package verify

import (
	"context"
	"math/big"
	"testing"
)

func TestUnitFactor(t *testing.T) {
	tests := []struct {
		unit string
		want string // "" when the unit has no one exact size
	}{
		{"m", "1"},
		{"cm", "1/100"},
		{"km", "1000"},
		{"cm^2", "1/10000"},
		{"m^3", "1"},
		{"in", "127/5000"},
		{"h", "3600"},
		{"min", "60"},
		{"km h", "5/18"},
		{"lb", "45359237/100000"},
		{"month", ""},
		{"year", ""},
		{"ton", ""},
		{"apples", ""},
		{"cm^9", ""},
	}
	for _, tt := range tests {
		t.Run(tt.unit, func(t *testing.T) {
			f, ok := unitFactor(tt.unit)
			if tt.want == "" {
				if ok {
					t.Fatalf("unitFactor(%q) = %s, want no exact size", tt.unit, f.RatString())
				}
				return
			}
			want, _ := new(big.Rat).SetString(tt.want)
			if !ok || f.Cmp(want) != 0 {
				t.Fatalf("unitFactor(%q) = %v, %v; want %s", tt.unit, f, ok, tt.want)
			}
		})
	}
}

// TestCompareUnits checks the rule on its own, with the units as the
// parser keys them: the same quantity in another unit is unsure, another
// quantity is different, and pairs outside the rule are left alone.
func TestCompareUnits(t *testing.T) {
	num := func(s string) *node {
		r, _ := new(big.Rat).SetString(s)
		return numNode(r)
	}
	tests := []struct {
		name   string
		g, p   string
		gu, pu string
		want   Verdict // "" when the rule does not apply
	}{
		{"hours against minutes", "1.5", "90", "h", "min", Unsure},
		{"cm against m", "5", "0.05", "cm", "m", Unsure},
		{"cm^2 against m^2", "100", "0.01", "cm^2", "m^2", Unsure},
		{"another length", "5", "0.5", "cm", "m", Different},
		{"another time", "2", "100", "h", "min", Different},
		{"months have no one size", "1", "30", "month", "day", Unsure},
		{"one side without a unit", "3", "3000", "km", "", ""},
		{"the same unit", "5", "7", "cm", "cm", ""},
		{"different kinds", "5", "7", "cm", "kg", ""},
		{"different powers", "5", "7", "cm^2", "m", ""},
		{"unknown units", "5", "7", "apples", "pears", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := &comparer{ctx: context.Background(), lim: DefaultLimits()}
			v, reason, ok := c.compareUnits(num(tt.g), num(tt.p), tt.gu, tt.pu)
			if tt.want == "" {
				if ok {
					t.Fatalf("rule applied: %s (%s), want it left alone", v, reason)
				}
				return
			}
			if !ok || v != tt.want {
				t.Fatalf("got %s (%s), applied %v; want %s", v, reason, ok, tt.want)
			}
		})
	}
}

func TestDescribesFamily(t *testing.T) {
	k := &node{k: kVar, name: "k"}
	formula := &node{k: kAdd, args: []*node{{k: kMul, args: []*node{intNode(2), k}}, intNode(1)}}
	three := intNode(3)
	tests := []struct {
		text  string
		other *node
		want  bool
	}{
		{"n is odd", formula, true},
		{"all perfect squares", formula, true},
		{"odd", formula, true},
		{"n is odd", three, false},       // no parameter: the value is one number
		{"n is not odd", formula, false}, // the words deny the kind
		{"n can't be prime", formula, false},
		{"no such n", formula, false},                // the words say there is none
		{"the answer is the circle", formula, false}, // no kind of number named
	}
	for _, tt := range tests {
		t.Run(tt.text, func(t *testing.T) {
			if got := describesFamily(tt.text, tt.other); got != tt.want {
				t.Fatalf("describesFamily(%q, %s) = %v, want %v", tt.text, tt.other, got, tt.want)
			}
		})
	}
}
