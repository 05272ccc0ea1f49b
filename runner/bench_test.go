package runner

import (
	"strconv"
	"testing"
	"time"
)

// BenchmarkRun measures the runner's own overhead: generations per second
// through Run (HTTP, JSON, framed zstd output with fsync, leases) against
// a local server that answers at once. One op is one generation.
//
//	go test -run '^$' -bench Run -benchtime 20000x ./runner/
func BenchmarkRun(b *testing.B) {
	for _, conc := range []int{8, 64} {
		b.Run("concurrency="+strconv.Itoa(conc), func(b *testing.B) {
			srv := newFakeServer(b)
			const gens = 4
			problems := (b.N + gens - 1) / gens
			l := makeRun(b, b.TempDir(), 1, problems, gens)
			o := testOptions(l, srv.URL, 0)
			o.Generate.NumGenerations = gens
			o.Generate.Concurrency = conc
			o.Generate.FlushInterval = 2 * time.Second
			b.ResetTimer()
			st, err := Run(b.Context(), o)
			if err != nil {
				b.Fatal(err)
			}
			b.ReportMetric(st.GenerationsPerSecond(), "gen/s")
		})
	}
}
