package main

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/distillery-hpc/distillery/shard"
	"github.com/distillery-hpc/distillery/shard/internal/numinagen"
)

func main() {
	if err := run(os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "benchplan:", err)
		os.Exit(1)
	}
}

// result is one measured plan.
type result struct {
	format     string
	rows       int
	inputBytes int64
	wall       time.Duration
	cpu        time.Duration
	maxRSS     int64 // bytes; -1 where the system does not say
	problems   int
	shards     int
	digest     string
}

func run(args []string, out io.Writer) error {
	fs := flag.NewFlagSet("benchplan", flag.ContinueOnError)
	bin := fs.String("bin", "bin/distillery", "the distillery binary to measure")
	rowsFlag := fs.String("rows", "100000,400000", "comma-separated input sizes in rows")
	formats := fs.String("format", "jsonl", "comma-separated input formats: jsonl, parquet")
	dir := fs.String("dir", "", "directory for the generated inputs and run dirs (default: a temporary one)")
	keep := fs.Bool("keep", false, "keep the generated inputs and run dirs")
	perShard := fs.Int("problems-per-shard", 500, "[shard] problems_per_shard")
	if err := fs.Parse(args); err != nil {
		return err
	}
	binPath, err := filepath.Abs(*bin)
	if err != nil {
		return err
	}
	if _, err := os.Stat(binPath); err != nil {
		return fmt.Errorf("binary %s: %w (run `make build` first)", binPath, err)
	}
	var sizes []int
	for _, s := range strings.Split(*rowsFlag, ",") {
		n, err := strconv.Atoi(strings.TrimSpace(s))
		if err != nil || n < 1 {
			return fmt.Errorf("-rows: %q is not a positive number of rows", s)
		}
		sizes = append(sizes, n)
	}
	base := *dir
	if base == "" {
		if base, err = os.MkdirTemp("", "benchplan-"); err != nil {
			return err
		}
	}
	if !*keep {
		defer os.RemoveAll(base)
	}
	var results []result
	for _, format := range strings.Split(*formats, ",") {
		for _, n := range sizes {
			r, err := measure(binPath, filepath.Join(base, fmt.Sprintf("%s-%d", format, n)), format, n, *perShard)
			if err != nil {
				return err
			}
			results = append(results, r)
		}
	}
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "format\trows\tinput MB\twall s\tcpu s\tpeak RSS MiB\tMB/s (wall)\tproblems\tshards\tshards digest\t")
	for _, r := range results {
		rss := "?"
		if r.maxRSS >= 0 {
			rss = fmt.Sprintf("%.0f", float64(r.maxRSS)/(1<<20))
		}
		fmt.Fprintf(tw, "%s\t%d\t%.0f\t%.2f\t%.2f\t%s\t%.0f\t%d\t%d\t%s\t\n", r.format, r.rows, float64(r.inputBytes)/1e6,
			r.wall.Seconds(), r.cpu.Seconds(), rss, float64(r.inputBytes)/1e6/r.wall.Seconds(), r.problems, r.shards, r.digest)
	}
	return tw.Flush()
}

// measure generates an input of n rows in dir and plans it with bin.
func measure(bin, dir, format string, n, perShard int) (result, error) {
	r := result{format: format, rows: n}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return r, err
	}
	input := filepath.Join(dir, "problems."+format)
	if _, err := os.Stat(input); err != nil {
		if err := writeInput(input, format, n); err != nil {
			return r, err
		}
	}
	st, err := os.Stat(input)
	if err != nil {
		return r, err
	}
	r.inputBytes = st.Size()
	runDir := filepath.Join(dir, "run")
	if err := os.RemoveAll(runDir); err != nil {
		return r, err
	}
	cfg := filepath.Join(dir, "plan.toml")
	toml := fmt.Sprintf("[run]\ndir = %q\n\n[input]\npaths = [%q]\n\n[shard]\nproblems_per_shard = %d\n", runDir, input, perShard)
	if err := os.WriteFile(cfg, []byte(toml), 0o644); err != nil {
		return r, err
	}
	cmd := exec.Command(bin, "plan", "-c", cfg)
	cmd.Stderr = os.Stderr
	start := time.Now()
	if outb, err := cmd.Output(); err != nil {
		return r, fmt.Errorf("%s plan -c %s: %w\n%s", bin, cfg, err, outb)
	}
	r.wall = time.Since(start)
	r.cpu = cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime()
	r.maxRSS = maxRSS(cmd.ProcessState)
	p, err := shard.ReadPlan(shard.Layout{Dir: runDir})
	if err != nil {
		return r, err
	}
	r.problems, r.shards = p.Problems, len(p.Shards)
	h := sha256.New()
	json.NewEncoder(h).Encode(p.Shards)
	r.digest = hex.EncodeToString(h.Sum(nil))[:12]
	return r, nil
}

func writeInput(path, format string, n int) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	switch format {
	case "jsonl":
		err = numinagen.WriteJSONL(f, n, 1)
	case "parquet":
		err = numinagen.WriteParquet(f, n, 1)
	default:
		err = fmt.Errorf("-format: unknown format %q (want jsonl or parquet)", format)
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		os.Remove(path)
	}
	return err
}
