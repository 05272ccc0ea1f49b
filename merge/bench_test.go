package merge

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/shard"
)

// The merge benchmark: a synthetic campaign of R1-like generations (4 per
// problem, a think block of lognormal length, median ~10 kB, mean ~14 kB,
// up to ~64 kB, as in OpenR1-Math-220k), merged without a judge, at two
// sizes 4x apart. It reports, per size:
//
//	MB/s       uncompressed output-shard bytes (the JSON lines) merged per
//	           second of wall time, verification included;
//	MB/s/core  the same per second of CPU time (user+sys) of the merge;
//	peak-RSS-MiB  the peak resident set of a merge of the same run in a
//	           process of its own (the test binary re-run as a child).
//
// Run it with `make bench-merge`, or
//
//	go test -run '^$' -bench BenchmarkMerge -benchtime 1x ./merge/
//
// (add -cpuprofile/-memprofile to profile the in-process merges).
func BenchmarkMerge(b *testing.B) {
	for _, problems := range benchSizes() {
		b.Run(fmt.Sprintf("problems=%d", problems), func(b *testing.B) {
			dir := b.TempDir()
			text := writeBenchRun(b, dir, problems, 4)
			l := shard.Layout{Dir: dir}

			rss, childCPU, err := mergeInChild(dir)
			if err != nil {
				b.Fatal(err)
			}
			os.RemoveAll(l.DatasetDir())
			runtime.GC()

			cpu0 := processCPU()
			start := time.Now()
			n := 0
			for b.Loop() {
				opts := Options{Layout: l, Config: DefaultConfig(), Judge: DefaultJudgeConfig()}
				opts.Judge.Enabled = false
				if _, err := Run(context.Background(), opts); err != nil {
					b.Fatal(err)
				}
				n++
			}
			wall := time.Since(start).Seconds()
			cpu := (processCPU() - cpu0).Seconds()
			mb := float64(text) / 1e6
			b.ReportMetric(mb, "shard-MB")
			b.ReportMetric(mb*float64(n)/wall, "MB/s")
			b.ReportMetric(mb*float64(n)/cpu, "MB/s/core")
			b.ReportMetric(mb/childCPU.Seconds(), "child-MB/s/core")
			b.ReportMetric(float64(rss)/(1<<20), "peak-RSS-MiB")
		})
	}
}

// benchSizes are the benchmark's problem counts: 2,000 and 8,000, or
// MERGE_BENCH_PROBLEMS (comma-separated).
func benchSizes() []int {
	env := os.Getenv("MERGE_BENCH_PROBLEMS")
	if env == "" {
		return []int{2000, 8000}
	}
	var out []int
	for _, f := range strings.Split(env, ",") {
		if n, err := strconv.Atoi(strings.TrimSpace(f)); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

// mergeInChild merges the run at dir in a child process (this test binary,
// running TestMergeBenchChild) and returns its peak RSS in bytes and its
// CPU time.
func mergeInChild(dir string) (rss int64, cpu time.Duration, err error) {
	cmd := exec.Command(os.Args[0], "-test.run=^TestMergeBenchChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), "DISTILLERY_MERGE_BENCH_RUN="+dir)
	out, err := cmd.CombinedOutput()
	if err != nil {
		return 0, 0, fmt.Errorf("merge in a child process: %v\n%s", err, out)
	}
	ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage)
	if !ok {
		return 0, 0, fmt.Errorf("no rusage on %s", runtime.GOOS)
	}
	// Linux reports ru_maxrss in KiB.
	return ru.Maxrss << 10, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), nil
}

// TestMergeBenchChild is the child process of BenchmarkMerge: it merges
// the run DISTILLERY_MERGE_BENCH_RUN names, and is skipped otherwise.
func TestMergeBenchChild(t *testing.T) {
	dir := os.Getenv("DISTILLERY_MERGE_BENCH_RUN")
	if dir == "" {
		t.Skip("the child process of BenchmarkMerge")
	}
	opts := Options{Layout: shard.Layout{Dir: dir}, Config: DefaultConfig(), Judge: DefaultJudgeConfig()}
	opts.Judge.Enabled = false
	if _, err := Run(context.Background(), opts); err != nil {
		t.Fatal(err)
	}
}

func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// benchSentences are the math pieces R1-like reasoning is made of; each
// %d takes a random number.
var benchSentences = []string{
	"Then we have $x^2 + %dx - %d = 0$, which factors as $(x+%d)(x-%d) = 0$. ",
	"Hmm, so substituting back, $\\frac{a+%d}{%d} \\geq \\sqrt{%dab}$ by AM-GM. ",
	"\\[\n\\sum_{k=1}^{%d} k^2 = \\frac{n(n+%d)(2n+1)}{%d}\n\\]\n",
	"So the area is $\\frac{1}{2} \\cdot %d \\cdot %d = %d$ square units. ",
	"The law of cosines gives $c^2 = %d + %d - 2 \\cdot %d\\cos\\gamma$. ",
	"If $n = %d$, then $2^{%d} - 1 = %d$. ",
	"Therefore, $\\angle ABC = %d^\\circ - 2\\alpha$, and $AB = %d$. ",
	"Now, $\\log_2 %d = %d$, so the ratio is $\\frac{%d}{3}$. ",
	"Expanding, $(a+%d)^3 = a^3 + %da^2 + %da + %d$. ",
	"So the probability is $\\binom{%d}{2} \\left(\\frac{1}{2}\\right)^{%d} = \\frac{%d}{32}$. ",
}

// benchSyllables make the words of the prose between the math: a
// vocabulary of a few thousand words drawn Zipf-like, so that the text
// compresses about as well as real reasoning (zstd: ~3-4x), not 30x.
var benchSyllables = []string{"the", "so", "let", "me", "we", "is", "of", "a", "to", "wait", "that", "check",
	"num", "ber", "val", "ue", "sum", "di", "vi", "sor", "tri", "an", "gle", "side", "root", "squ", "are",
	"pro", "duct", "fac", "tor", "hmm", "maybe", "think", "again", "but", "then", "ok", "right", "case"}

func benchWord(i uint64) string {
	var sb strings.Builder
	for {
		sb.WriteString(benchSyllables[i%uint64(len(benchSyllables))])
		i /= uint64(len(benchSyllables))
		if i == 0 {
			return sb.String()
		}
	}
}

// benchGold returns a gold answer of one of the kinds NuminaMath has.
func benchGold(rng *rand.Rand) (gold, wrong string) {
	a, b := rng.IntN(900)+2, rng.IntN(20)+2
	switch rng.IntN(6) {
	case 0, 1, 2:
		return strconv.Itoa(a), strconv.Itoa(a + 1)
	case 3:
		return fmt.Sprintf(`\frac{%d}{%d}`, a, b*2+1), fmt.Sprintf(`\frac{%d}{%d}`, a+1, b*2+1)
	case 4:
		return fmt.Sprintf(`%d\sqrt{%d}`, b, a), fmt.Sprintf(`%d\sqrt{%d}`, b+1, a)
	default:
		return fmt.Sprintf(`(%d, %d)`, a, b), fmt.Sprintf(`(%d, %d)`, b, a)
	}
}

// benchText is one R1-like generation answering ans.
func benchText(rng *rand.Rand, zipf *rand.Zipf, ans string) (text, finish string) {
	n := int(math.Min(64000, 10000*math.Exp(0.8*rng.NormFloat64())))
	var sb strings.Builder
	sb.Grow(n + 400)
	sb.WriteString("<think>\n")
	sentence := func() {
		if rng.IntN(3) == 0 {
			t := benchSentences[rng.IntN(len(benchSentences))]
			args := make([]any, strings.Count(t, "%d"))
			for i := range args {
				args[i] = rng.IntN(1000)
			}
			fmt.Fprintf(&sb, t, args...)
			return
		}
		for w := 6 + rng.IntN(14); w > 0; w-- {
			sb.WriteString(benchWord(zipf.Uint64()))
			sb.WriteByte(' ')
		}
		sb.WriteString(". ")
		if rng.IntN(8) == 0 {
			sb.WriteString("\n\n")
		}
	}
	for sb.Len() < n {
		sentence()
	}
	if rng.IntN(20) == 0 { // cut off while thinking
		return sb.String(), "length"
	}
	sb.WriteString("\n</think>\n\nTo solve the problem, we set up the equation and simplify.\n\n")
	sentence()
	sb.WriteString("\n\nThus, the final answer is $\\boxed{" + ans + "}$.")
	return sb.String(), "stop"
}

// writeBenchRun lays down a planned, finished run of problems problems
// with gens generations each, in shards of 500 problems, and returns the
// uncompressed bytes of its output shards.
func writeBenchRun(tb testing.TB, dir string, problems, gens int) int64 {
	tb.Helper()
	l := shard.Layout{Dir: dir}
	rng := rand.New(rand.NewPCG(uint64(problems), 7))
	zipf := rand.NewZipf(rng, 1.1, 2, 20000)
	plan := shard.Plan{Version: 1, PlanHash: "bench", CreatedAt: time.Unix(0, 0).UTC(), Settings: shard.Settings{NumGenerations: gens}}
	if err := os.MkdirAll(l.OutputDir(), 0o755); err != nil {
		tb.Fatal(err)
	}
	var text int64
	sources := []string{"olympiads", "cn_k12", "aops_forum", "amc_aime", "cn_contest", "number_theory"}
	for id := 0; id*500 < problems; id++ {
		var ps []shard.Problem
		for p := id * 500; p < min(problems, (id+1)*500); p++ {
			gold, _ := benchGold(rng)
			ps = append(ps, shard.Problem{
				UUID:     fmt.Sprintf("%08x-bench-%06d", rng.Uint32(), p),
				Problem:  fmt.Sprintf("Find the value described below (problem %d). ", p) + strings.Repeat(benchSentences[p%len(benchSentences)], 4),
				Solution: "We compute step by step. " + strings.Repeat(benchSentences[(p+3)%len(benchSentences)], 8) + "The answer is $" + gold + "$.",
				Answer:   gold, Source: sources[p%len(sources)], ProblemType: "Algebra", QuestionType: "math-word-problem",
			})
		}
		sum, err := shard.WriteInput(l.Input(id), ps)
		if err != nil {
			tb.Fatal(err)
		}
		plan.Shards = append(plan.Shards, shard.ShardInfo{ID: id, Problems: len(ps), SHA256: sum})
		plan.Problems += len(ps)
		w, _, err := shard.OpenOutput(l.Output(id), nil)
		if err != nil {
			tb.Fatal(err)
		}
		records := 0
		for _, p := range ps {
			_, wrong := benchGold(rng)
			for g := 0; g < gens; g++ {
				ans := p.Answer
				switch r := rng.IntN(10); {
				case r >= 9:
					ans = `\text{` + wrong + ` units}`
				case r >= 7:
					ans = wrong
				}
				t, finish := benchText(rng, zipf, ans)
				rec := &shard.Generation{UUID: p.UUID, Index: g, Text: t, FinishReason: finish,
					CompletionTokens: len(t) / 4, Model: "deepseek-ai/DeepSeek-R1", Host: "node1"}
				line, _ := json.Marshal(rec)
				text += int64(len(line)) + 1
				if err := w.Add(rec); err != nil {
					tb.Fatal(err)
				}
				records++
			}
			if w.Pending() >= 64 {
				if err := w.Flush(); err != nil {
					tb.Fatal(err)
				}
			}
		}
		if err := w.Close(); err != nil {
			tb.Fatal(err)
		}
		out, err := os.ReadFile(l.Output(id))
		if err != nil {
			tb.Fatal(err)
		}
		osum := sha256.Sum256(out)
		writeJSON(tb, l.DoneMarker(id), shard.Done{Shard: id, Problems: len(ps), Generations: records, InputSHA256: sum,
			OutputBytes: int64(len(out)), OutputSHA: hex.EncodeToString(osum[:])})
	}
	writeJSON(tb, l.PlanFile(), plan)
	if err := os.MkdirAll(filepath.Join(dir, "logs"), 0o755); err != nil {
		tb.Fatal(err)
	}
	return text
}
