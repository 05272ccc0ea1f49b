package report

import (
	"math"
	"testing"
)

func TestEstimate(t *testing.T) {
	for _, tc := range []struct {
		name      string
		known     float64
		xs        []sample
		remaining []float64
		value     float64
		ranged    bool
	}{
		{"nothing left", 10, []sample{{4, 2}, {6, 2}}, nil, 10, false},
		{"no sample", 10, nil, []float64{5}, 10, false},
		{"one sample", 0, []sample{{8, 4}}, []float64{4, 4}, 16, false},
		{"same rate", 8, []sample{{4, 2}, {8, 4}}, []float64{2}, 12, false},
		{"spread", 20, []sample{{4, 2}, {12, 4}, {10, 5}}, []float64{11}, 20 + 26.0/11*11, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := estimate(tc.known, tc.xs, tc.remaining)
			if math.Abs(r.Value-tc.value) > 1e-9 {
				t.Errorf("value %v, want %v", r.Value, tc.value)
			}
			if (r.Low < r.High) != tc.ranged {
				t.Errorf("range [%v, %v], want ranged=%v", r.Low, r.High, tc.ranged)
			}
			if r.Low > r.Value || r.High < r.Value || r.Low < tc.known {
				t.Errorf("range [%v, %v] does not hold %v or goes below the known %v", r.Low, r.High, r.Value, tc.known)
			}
		})
	}
}

// TestEstimateRangeShrinks: more shards of the same spread give a
// narrower range for the same remaining work.
func TestEstimateRangeShrinks(t *testing.T) {
	few := []sample{{9, 10}, {11, 10}, {10, 10}}
	var many []sample
	for range 10 {
		many = append(many, few...)
	}
	a, b := estimate(0, few, []float64{100}), estimate(0, many, []float64{100})
	if b.High-b.Low >= a.High-a.Low {
		t.Errorf("range from 30 shards %v not narrower than from 3 %v", b, a)
	}
}
