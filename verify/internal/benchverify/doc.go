// Command benchverify measures the verify package on the real answer
// equivalence sets in ../shared/data/real/answer-equivalence (relative to the
// module root): agreement with each set's labels, agreement among decided
// pairs, share of unsure verdicts, equal verdicts the label calls wrong, and
// pairs per second on one core (GOMAXPROCS=1, best of -rounds). `make
// bench-verify` runs it.
//
//	go run ./verify/internal/benchverify [-data DIR] [-only SET] [-v SET [-wrong]] [-rounds N] [-cpuprofile FILE]
//
// It does not change anything and needs no network.
package main
