package shard

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/distillery-hpc/distillery/shard/internal/numinagen"
)

// BenchmarkMakePlan plans a generated NuminaMath-like set (JSONL and
// parquet, 20,000 rows); MB/s is of the input file. Peak RSS at campaign
// sizes is measured on the binary by `make bench-plan`.
func BenchmarkMakePlan(b *testing.B) {
	for _, format := range []string{"jsonl", "parquet"} {
		b.Run(format, func(b *testing.B) {
			in := filepath.Join(b.TempDir(), "problems."+format)
			f, err := os.Create(in)
			if err != nil {
				b.Fatal(err)
			}
			if format == "parquet" {
				err = numinagen.WriteParquet(f, 20000, 1)
			} else {
				err = numinagen.WriteJSONL(f, 20000, 1)
			}
			if cerr := f.Close(); err == nil {
				err = cerr
			}
			if err != nil {
				b.Fatal(err)
			}
			st, _ := os.Stat(in)
			b.SetBytes(st.Size())
			o := PlanOptions{Input: DefaultInputConfig(), Shard: DefaultShardConfig()}
			o.Input.Paths = []string{in}
			runs := b.TempDir()
			b.ResetTimer()
			for i := 0; b.Loop(); i++ {
				if _, _, err := MakePlan(context.Background(), Layout{Dir: filepath.Join(runs, fmt.Sprint(i))}, o); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
