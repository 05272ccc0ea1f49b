package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"runtime"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/distillery-hpc/distillery/verify"
)

// verifyOptions are the decoded flags of `distillery verify`.
type verifyOptions struct {
	gold, pred  string
	jsonl       string
	jsonOut     bool
	workers     int
	pairTimeout time.Duration
}

func newVerifyCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "verify",
		Usage: "check a model answer against a gold answer (equal, different or unsure)",
		Description: `With --gold and --pred, prints the verdict of one pair (the reason and what
each side parsed to go to stderr; --json prints the whole result).
With --jsonl FILE (or - for stdin), reads lines {"id","gold","pred"} and writes
{"id","verdict","reason","gold_parsed","pred_parsed"} lines to stdout in input order.
pred may be a whole generation (the final \boxed{} answer is taken) or a bare answer.`,
		ArgsUsage: " ",
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "gold", Usage: "gold answer (bare LaTeX, with or without $...$ or \\boxed{})"},
			&cli.StringFlag{Name: "pred", Usage: "model answer or whole generation; - reads it from stdin"},
			&cli.StringFlag{Name: "jsonl", Usage: "JSONL file of {\"id\",\"gold\",\"pred\"} lines; - for stdin"},
			&cli.BoolFlag{Name: "json", Usage: "with --gold/--pred: print the whole result as JSON"},
			&cli.IntFlag{Name: "workers", Value: runtime.NumCPU(), Usage: "parallel checkers for --jsonl; the default is the number of cores"},
			&cli.DurationFlag{Name: "pair-timeout", Value: 5 * time.Second, Usage: "deadline of one pair; a pair that takes longer is unsure"},
		},
		Action: func(cctx *cli.Context) error {
			opts := verifyOptions{
				gold:        cctx.String("gold"),
				pred:        cctx.String("pred"),
				jsonl:       cctx.String("jsonl"),
				jsonOut:     cctx.Bool("json"),
				workers:     cctx.Int("workers"),
				pairTimeout: cctx.Duration("pair-timeout"),
			}
			if cctx.NArg() > 0 {
				return withCode(exitUsage, fmt.Errorf("verify: unexpected argument %q; use --gold G --pred P or --jsonl FILE", cctx.Args().First()))
			}
			return runVerify(cctx, env, opts, cctx.IsSet("gold"), cctx.IsSet("pred"))
		},
	}
}

func runVerify(cctx *cli.Context, env *Env, opts verifyOptions, haveGold, havePred bool) error {
	ctx := cctx.Context
	switch {
	case opts.jsonl != "" && (haveGold || havePred):
		return withCode(exitUsage, errors.New("verify: use either --jsonl or --gold/--pred, not both"))
	case opts.jsonl != "":
		if opts.workers < 1 {
			return withCode(exitUsage, fmt.Errorf("verify: --workers %d must be at least 1", opts.workers))
		}
		var in io.Reader = env.Stdin
		name := "stdin"
		if opts.jsonl != "-" {
			f, err := os.Open(opts.jsonl)
			if errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("verify: --jsonl file %s does not exist: give an existing file, or - for stdin", opts.jsonl)
			}
			if err != nil {
				return fmt.Errorf("verify: opening --jsonl file: %w", err)
			}
			defer f.Close()
			in, name = f, opts.jsonl
		}
		st, err := verify.RunJSONL(ctx, in, env.Stdout, verify.JSONLOptions{
			Workers:     opts.workers,
			PairTimeout: opts.pairTimeout,
			Limits:      verify.DefaultLimits(),
		})
		if err != nil {
			return fmt.Errorf("verify %s: %w", name, err)
		}
		fmt.Fprintf(env.Stderr, "verify: %d pairs: %d equal, %d different, %d unsure\n", st.Pairs, st.Equal, st.Different, st.Unsure)
		if st.BadLines > 0 {
			fmt.Fprintf(env.Stderr, "verify: %s: %d malformed lines answered unsure (first: %s); fix them and rerun\n", name, st.BadLines, st.FirstBad)
		}
		return nil
	case haveGold && havePred:
		pred := opts.pred
		if pred == "-" {
			b, err := io.ReadAll(env.Stdin)
			if err != nil {
				return fmt.Errorf("verify: reading --pred from stdin: %w", err)
			}
			pred = string(b)
		}
		pctx := ctx
		if opts.pairTimeout > 0 {
			var cancel func()
			pctx, cancel = context.WithTimeout(ctx, opts.pairTimeout)
			defer cancel()
		}
		res := verify.Check(pctx, opts.gold, pred)
		if opts.jsonOut {
			enc := json.NewEncoder(env.Stdout)
			enc.SetEscapeHTML(false)
			return enc.Encode(res)
		}
		fmt.Fprintln(env.Stdout, res.Verdict)
		fmt.Fprintf(env.Stderr, "reason: %s\ngold parsed: %s\npred parsed: %s\n", res.Reason, res.GoldParsed, res.PredParsed)
		return nil
	default:
		return withCode(exitUsage, errors.New("verify: give --gold G --pred P, or --jsonl FILE (- for stdin)"))
	}
}
