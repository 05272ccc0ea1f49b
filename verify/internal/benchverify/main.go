package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"os"
	"runtime"
	"runtime/pprof"
	"strings"
	"time"

	"github.com/distillery-hpc/distillery/verify"
	"github.com/distillery-hpc/distillery/verify/internal/realdata"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchverify:", err)
		os.Exit(1)
	}
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("benchverify", flag.ContinueOnError)
	dir := fs.String("data", "", "answer-equivalence directory (default: ../shared/data/real/answer-equivalence from the module root)")
	verbose := fs.String("v", "", "print disagreements of the sets whose name contains this")
	rounds := fs.Int("rounds", 5, "timing rounds over each set (the fastest counts)")
	onlyWrong := fs.Bool("wrong", false, "with -v: print only equal verdicts the label calls wrong")
	only := fs.String("only", "", "run only the sets whose name contains this")
	cpuprofile := fs.String("cpuprofile", "", "write a CPU profile to this file")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		d, err := realdata.Dir()
		if err != nil {
			return err
		}
		*dir = d
	}
	sets, err := realdata.Load(*dir)
	if err != nil {
		return err
	}
	mis, err := realdata.Mislabelled()
	if err != nil {
		return err
	}
	if *cpuprofile != "" {
		f, err := os.Create(*cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	runtime.GOMAXPROCS(1)
	ctx := context.Background()
	ch := verify.NewChecker(verify.DefaultLimits())
	fmt.Fprintf(out, "machine: %s/%s, %d CPU, GOMAXPROCS=1, %s\n\n", runtime.GOOS, runtime.GOARCH, runtime.NumCPU(), runtime.Version())
	fmt.Fprintf(out, "%-44s %6s %8s %8s %8s %8s %10s\n", "set", "pairs", "agree%", "agr.dec%", "unsure%", "eq-wrong", "pairs/s")
	var total, totalTime float64
	for _, s := range sets {
		if *only != "" && !strings.Contains(s.Name, *only) {
			continue
		}
		agree, decided, agreeDec, unsure, eqWrong := 0, 0, 0, 0, 0
		skipped := 0
		for _, c := range s.Cases {
			if s.Name == "math-verify-testcases" {
				if _, bad := mis[c.ID]; bad {
					skipped++
					continue
				}
			}
			r := ch.Check(ctx, c.Gold, c.Pred)
			ok := (r.Verdict == verify.Equal) == c.Label && r.Verdict != verify.Unsure
			if ok {
				agree++
			}
			if r.Verdict == verify.Unsure {
				unsure++
			} else {
				decided++
				if ok {
					agreeDec++
				}
			}
			if r.Verdict == verify.Equal && !c.Label {
				eqWrong++
			}
			if *verbose != "" && strings.Contains(s.Name, *verbose) && !ok && (!*onlyWrong || r.Verdict == verify.Equal) {
				fmt.Fprintf(out, "  [%s] label=%v verdict=%s (%s)\n    gold=%q\n    pred=%q\n    gp=%q pp=%q\n", c.ID, c.Label, r.Verdict, r.Reason, trunc(c.Gold), trunc(r.PredParsed), r.GoldParsed, r.PredParsed)
			}
		}
		n := len(s.Cases) - skipped
		// timing: repeat the whole set
		// best of the rounds: the machine is shared, the fastest round is
		// the one least disturbed by other processes
		el := math.Inf(1)
		for k := 0; k < *rounds; k++ {
			start := time.Now()
			for _, c := range s.Cases {
				ch.Check(ctx, c.Gold, c.Pred)
			}
			el = min(el, time.Since(start).Seconds())
		}
		total += float64(len(s.Cases))
		totalTime += el
		name := s.Name
		if skipped > 0 {
			name += fmt.Sprintf(" (-%d mislabelled)", skipped)
		}
		fmt.Fprintf(out, "%-44s %6d %8.1f %8.1f %8.1f %8d %10.0f\n", name, n,
			pct(agree, n), pct(agreeDec, decided), pct(unsure, n), eqWrong, float64(len(s.Cases))/el)
	}
	fmt.Fprintf(out, "\nall sets: %.0f pairs/s on one core (whole generations, extraction included; best of %d rounds)\n", total/totalTime, *rounds)
	fmt.Fprintf(out, "agree%% counts unsure as disagreement; agr.dec%% is agreement among decided pairs;\n")
	fmt.Fprintf(out, "eq-wrong = verdict equal where the label says wrong. Omni-MATH labels are the GPT-4o judge;\n")
	fmt.Fprintf(out, "the rule grader agrees with 0%% of those rows by construction (they are its disagreements).\n")
	return nil
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}

func trunc(s string) string {
	if len(s) > 200 {
		return "…" + s[len(s)-200:]
	}
	return s
}
