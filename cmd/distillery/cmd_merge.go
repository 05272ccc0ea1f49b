package main

import (
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/distillery-hpc/distillery/merge"
	"github.com/distillery-hpc/distillery/runner/openai"
	"github.com/distillery-hpc/distillery/shard"
)

func newMergeCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "merge",
		Usage: "verify and judge the generations and write the parquet dataset",
		Description: "Streams <run.dir>/output shard by shard, checks every final answer against the\n" +
			"problem's answer, sends the unsure ones to the [judge] endpoint, and writes\n" +
			"<run.dir>/dataset/data/train-NNNNN-of-NNNNN.parquet (the default config),\n" +
			"<run.dir>/dataset/<config>/train-NNNNN-of-NNNNN.parquet (the others) and dataset/README.md.\n" +
			"Refuses to run while a shard has no done marker unless --allow-incomplete.",
		Flags: append(configFlags(),
			&cli.BoolFlag{Name: "no-judge", Usage: "do not send unsure answers to the judge (they count as not correct)"},
			&cli.BoolFlag{Name: "allow-incomplete", Usage: "merge even when some shards are not finished"},
			&cli.IntFlag{Name: "workers", Usage: "answers verified at once (default: one per core)"},
		),
		Action: func(cctx *cli.Context) error {
			if err := noArgs(cctx); err != nil {
				return err
			}
			cfg, err := configFromContext(cctx, env)
			if err != nil {
				return err
			}
			if cctx.Bool("allow-incomplete") {
				cfg.Merge.AllowIncomplete = true
			}
			if cctx.IsSet("workers") {
				cfg.Merge.Workers = cctx.Int("workers")
			}
			if cctx.Bool("no-judge") {
				cfg.Judge.Enabled = false
			}
			// The rows and the card describe the generations as the plan
			// made them, never as the config of the moment says.
			if _, err := readRunPlan(cfg, env.Logger); err != nil {
				return err
			}
			client, err := newJudgeClient(cfg, env)
			if err != nil {
				return err
			}
			if client == nil && cfg.Judge.Enabled {
				env.Logger.Warn("judge.endpoint is empty: unsure answers stay unjudged and count as not correct (set judge.endpoint, or --no-judge to silence this)")
			}
			sum, err := merge.Run(cctx.Context, mergeOptions(cfg, env, client))
			if err != nil {
				return fmt.Errorf("merge: %w", err)
			}
			printMergeSummary(env.Stdout, &sum)
			return nil
		},
	}
}

// newJudgeClient returns the judge client for cfg, or nil when judging is
// disabled or there is no judge endpoint.
func newJudgeClient(cfg *Config, env *Env) (*openai.Client, error) {
	j := cfg.Judge
	if !j.Enabled || j.Endpoint == "" {
		return nil, nil
	}
	var key string
	if j.APIKeyEnv != "" {
		key = env.Getenv(j.APIKeyEnv)
	}
	c, err := openai.NewClient(openai.Options{
		Endpoint:       j.Endpoint,
		APIKey:         key,
		MaxRetries:     j.MaxRetries,
		RetryBase:      time.Second,
		RetryMax:       30 * time.Second,
		RequestTimeout: j.RequestTimeout,
		Logger:         env.Logger.With("component", "judge"),
	})
	if err != nil {
		return nil, fmt.Errorf("judge.endpoint %s: %w", j.Endpoint, err)
	}
	return c, nil
}

// mergeOptions builds merge.Options from the effective config; `local`
// uses it too.
func mergeOptions(cfg *Config, env *Env, client *openai.Client) merge.Options {
	g := cfg.Generate
	return merge.Options{
		Layout:      shard.Layout{Dir: cfg.Run.Dir},
		Config:      cfg.Merge,
		Judge:       cfg.Judge.JudgeConfig,
		JudgeClient: client,
		Generation: merge.GenerationInfo{
			PromptTemplate: g.PromptTemplate,
			SystemPrompt:   g.SystemPrompt,
			Model:          g.Model,
			Temperature:    g.Temperature,
			TopP:           g.TopP,
			MaxTokens:      g.MaxTokens,
			NumGenerations: g.NumGenerations,
		},
		Version: merge.Version(),
		Logger:  env.Logger,
		Now:     env.Now,
		Owner:   leaseOwner(env),
	}
}

// printMergeSummary writes the result of a merge to w (stdout).
func printMergeSummary(w io.Writer, s *merge.Summary) {
	pct := func(n, of int) string {
		if of == 0 {
			return "-"
		}
		return fmt.Sprintf("%.1f%%", 100*float64(n)/float64(of))
	}
	fmt.Fprintf(w, "merged %d shards in %s\n", s.Shards, s.Elapsed.Round(time.Millisecond))
	if len(s.Incomplete) > 0 {
		fmt.Fprintf(w, "  INCOMPLETE: %d shards had no done marker\n", len(s.Incomplete))
	}
	fmt.Fprintf(w, "  problems       %d (%d with generations)\n", s.Problems, s.ProblemsWithGenerations)
	fmt.Fprintf(w, "  generations    %d\n", s.Generations)
	if s.DuplicateProblems+s.DuplicateRecords+s.OrphanGenerations > 0 || s.TornBytes > 0 {
		fmt.Fprintf(w, "  skipped        %d repeated problems, %d repeated records, %d records of problems not in their shard, %d bytes of torn tails\n",
			s.DuplicateProblems, s.DuplicateRecords, s.OrphanGenerations, s.TornBytes)
	}
	fmt.Fprintf(w, "  verified       equal %d, different %d, unsure %d\n", s.Equal, s.Different, s.Unsure)
	if s.Judged+s.JudgeErrors > 0 {
		fmt.Fprintf(w, "  judged         %d: equivalent %d, different %d, ambiguous %d; errors %d",
			s.Judged, s.JudgeEquivalent, s.JudgeDifferent, s.JudgeAmbiguous, s.JudgeErrors)
		if s.JudgeCached > 0 {
			fmt.Fprintf(w, "; %d reused from %s", s.JudgeCached, s.JudgeCacheFile)
		}
		if s.NotJudged > 0 {
			fmt.Fprintf(w, "; %d not judged (no judge endpoint), counted as not correct", s.NotJudged)
		}
		fmt.Fprintln(w)
		fmt.Fprintf(w, "  judge calls    %d (%d prompt + %d completion tokens); %s of generations judged, %d of them rejected by the verifier, %d of those recovered\n",
			s.JudgeCalls, s.JudgePromptTokens, s.JudgeCompletionTokens, pct(s.Judged, s.Generations), s.JudgedRejected, s.JudgeRecovered)
	} else if s.NotJudged > 0 {
		fmt.Fprintf(w, "  judged         0 (no judge: %d unsure answers count as not correct)\n", s.NotJudged)
	} else {
		fmt.Fprintf(w, "  judged         0\n")
	}
	fmt.Fprintf(w, "  correct        %d of %d generations (%s)\n", s.Correct, s.Generations, pct(s.Correct, s.Generations))
	fmt.Fprintf(w, "  rows           %d kept, %d dropped (too few correct)\n", s.Kept, s.Dropped)
	for _, sp := range s.Splits {
		if sp.Rows == 0 {
			fmt.Fprintf(w, "  split %-8s 0 rows (one file with the schema and no rows): %s\n", sp.Name, sp.Files[0])
			continue
		}
		dir := filepath.Dir(sp.Files[0])
		fmt.Fprintf(w, "  split %-8s %d rows in %d files: %s\n", sp.Name, sp.Rows, len(sp.Files), filepath.Join(dir, "train-*.parquet"))
	}
	fmt.Fprintf(w, "  dataset card   %s\n", s.CardPath)
	if len(s.Models) > 0 {
		var ms []string
		for m := range s.Models {
			ms = append(ms, m)
		}
		sort.Strings(ms)
		fmt.Fprintf(w, "  models         %s\n", strings.Join(ms, ", "))
	}
}
