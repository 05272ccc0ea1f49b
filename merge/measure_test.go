package merge

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// TestMeasureMerge merges a synthetic campaign and prints throughput and
// peak heap. It runs only with MERGE_MEASURE=1 (sizes: MERGE_SHARDS,
// MERGE_PROBLEMS per shard, MERGE_TEXT bytes per generation).
func TestMeasureMerge(t *testing.T) {
	if os.Getenv("MERGE_MEASURE") != "1" {
		t.Skip("SKIP: measurement; run with MERGE_MEASURE=1")
	}
	env := func(k string, d int) int {
		if n, err := strconv.Atoi(os.Getenv(k)); err == nil {
			return n
		}
		return d
	}
	nShards, perShard, textBytes := env("MERGE_SHARDS", 10), env("MERGE_PROBLEMS", 200), env("MERGE_TEXT", 6000)
	rng := rand.New(rand.NewPCG(1, 2))
	filler := strings.Repeat("Let me think about this step by step. ", textBytes/38+1)[:textBytes]
	var shards [][]fixProblem
	for s := 0; s < nShards; s++ {
		var probs []fixProblem
		for p := 0; p < perShard; p++ {
			a := rng.IntN(1000)
			gold := strconv.Itoa(a)
			if p%3 == 0 {
				gold = fmt.Sprintf(`\frac{%d}{%d}`, a, 7)
			}
			src := []string{"olympiads", "cn_k12", "aops_forum", "amc_aime"}[p%4]
			fp := fixProblem{p: problem(fmt.Sprintf("s%d-p%d", s, p), src, gold)}
			for g := 0; g < 4; g++ {
				var ans string
				switch r := rng.IntN(10); {
				case r < 7:
					ans = gold
				case r < 9:
					ans = strconv.Itoa(a + 1)
				default:
					ans = `\text{about ` + gold + `} JUDGE-YES`
				}
				finish := "stop"
				if rng.IntN(20) == 0 {
					finish = "length"
				}
				fp.gens = append(fp.gens, fixGen{"<think>\n" + filler + "\n</think>\nSo the answer is $\\boxed{" + ans + "}$.", finish})
			}
			probs = append(probs, fp)
		}
		shards = append(shards, probs)
	}
	l := writeRun(t, t.TempDir(), shards, nil)
	shards = nil
	runtime.GC()
	js := newJudgeServer(t)

	var peak atomic.Uint64
	stop := make(chan struct{})
	go func() {
		var ms runtime.MemStats
		for {
			select {
			case <-stop:
				return
			case <-time.After(20 * time.Millisecond):
			}
			runtime.ReadMemStats(&ms)
			if ms.HeapAlloc > peak.Load() {
				peak.Store(ms.HeapAlloc)
			}
		}
	}()
	opts := testOptions(l, judgeClient(t, js.URL), js.URL)
	opts.Judge.Concurrency = 16
	opts.Now = time.Now
	start := time.Now()
	sum, err := Run(context.Background(), opts)
	close(stop)
	if err != nil {
		t.Fatal(err)
	}
	el := time.Since(start)
	var bytes int64
	for _, sp := range sum.Splits {
		bytes += sp.Bytes
	}
	fmt.Printf("merge measure: %d shards x %d problems x 4 generations of %d bytes, GOMAXPROCS %d\n", nShards, perShard, textBytes, runtime.GOMAXPROCS(0))
	fmt.Printf("  generations %d in %s: %.0f generations/s; verify %s (%.0f pairs/s)\n", sum.Generations, el.Round(time.Millisecond),
		float64(sum.Generations)/el.Seconds(), sum.VerifyTime.Round(time.Millisecond), float64(sum.Generations)/sum.VerifyTime.Seconds())
	fmt.Printf("  equal %d, different %d, unsure %d, judged %d; kept %d rows, %d parquet bytes; peak heap %d MiB\n",
		sum.Equal, sum.Different, sum.Unsure, sum.Judged, sum.Kept, bytes, peak.Load()>>20)
}
