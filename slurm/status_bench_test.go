package slurm

import (
	"context"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/shard"
)

// BenchmarkCollect measures `distillery status` on a run of 1000 shards:
// 900 done, 100 partway with 1000 generations of ~4 KB each.
func BenchmarkCollect(b *testing.B) {
	dir := b.TempDir()
	l := shard.Layout{Dir: dir}
	os.MkdirAll(l.OutputDir(), 0o755)
	plan := &shard.Plan{Settings: shard.Settings{NumGenerations: 4}}
	text := strings.Repeat("Let us reason step by step. ", 150)
	for i := 0; i < 1000; i++ {
		plan.Shards = append(plan.Shards, shard.ShardInfo{ID: i, Problems: 500})
		if i < 900 {
			os.WriteFile(l.DoneMarker(i), []byte(`{"shard":1,"problems":500,"generations":2000}`), 0o644)
			continue
		}
		w, _, err := shard.OpenOutput(l.Output(i), nil)
		if err != nil {
			b.Fatal(err)
		}
		for k := 0; k < 1000; k++ {
			w.Add(&shard.Generation{UUID: fmt.Sprintf("u%d", k/4), Index: k % 4, Text: text})
			if k%100 == 99 {
				w.Flush()
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
	f := &fakeSlurm{}
	req := StatusRequest{Layout: l, Plan: plan, NumGenerations: 4, Now: time.Now()}
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		st, err := Collect(context.Background(), Client{Exec: f.exec}, req)
		if err != nil {
			b.Fatal(err)
		}
		if st.Counts[StatePartial] != 100 || st.GenerationsDone != 900*2000+100*1000 {
			b.Fatalf("counts %v, generations %d", st.Counts, st.GenerationsDone)
		}
	}
}
