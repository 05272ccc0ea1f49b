package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math"

	"github.com/urfave/cli/v2"

	"github.com/distillery-hpc/distillery/shard"
	"github.com/distillery-hpc/distillery/slurm"
	"github.com/distillery-hpc/distillery/slurm/report"
)

func newReportCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "report",
		Usage:     "write one self-contained HTML page on the run: progress, throughput, lengths, correctness, failures, judge, GPU-hours and the projection",
		ArgsUsage: " ",
		Description: "Built from the run directory alone (plan, outputs, the judge's verdicts,\n" +
			"the submissions), plus Slurm accounting (sacct) where the cluster keeps it:\n" +
			"it works on a run in progress, a finished one, and a run dir copied to a\n" +
			"machine without Slurm. The page has inline SVG charts and no external assets.",
		Flags: append(configFlags(),
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the page to `FILE` (default <run.dir>/report.html; - for stdout)"},
		),
		Action: func(cctx *cli.Context) error {
			if err := noArgs(cctx); err != nil {
				return err
			}
			cfg, err := configFromContext(cctx, env)
			if err != nil {
				return err
			}
			return runReport(cctx.Context, env, slurmClient(env), cfg, cctx.String("output"))
		},
	}
}

func runReport(ctx context.Context, env *Env, client slurm.Client, cfg *Config, out string) error {
	st, err := collectStatus(ctx, env, client, cfg, shard.CheckSize)
	if err != nil {
		return err
	}
	r, err := loadRun(ctx, env, client, cfg, st, 0, nil)
	if err != nil {
		return err
	}
	p := report.Project(r)
	if out == "-" {
		return report.Render(env.Stdout, r, p)
	}
	if out == "" {
		out = shard.Layout{Dir: cfg.Run.Dir}.Dir + "/report.html"
	}
	// Written whole or not at all: a half-written page is not a report.
	if err := shard.WriteAtomic(out, func(w *bufio.Writer) error { return report.Render(w, r, p) }); err != nil {
		return fmt.Errorf("writing the report: %w", err)
	}
	fmt.Fprintf(env.Stdout, "wrote %s\n", out)
	return nil
}

// loadRun reads the run for the report and the projection: sample bounds
// the done shards whose answers are checked (0: all).
func loadRun(ctx context.Context, env *Env, client slurm.Client, cfg *Config, st *slurm.Status, sample int, cache *report.Cache) (*report.Run, error) {
	l := shard.Layout{Dir: cfg.Run.Dir}
	var usage []report.TaskUsage
	if st.Slurm && st.Accounting {
		u, err := report.Accounting(ctx, client.Exec, l)
		switch {
		case err == nil:
			usage = u
		case errors.Is(err, report.ErrNoAccounting), errors.Is(err, slurm.ErrNotFound):
		default:
			env.Logger.Warn("Slurm accounting unreadable: GPU time from the runners' records", "err", err)
		}
	}
	return report.Load(ctx, report.Options{
		Layout:       l,
		Now:          env.Now(),
		Status:       st,
		Usage:        usage,
		GPUsPerTask:  gpusPerTask(cfg),
		MaxTokens:    cfg.Generate.MaxTokens,
		MinCorrect:   cfg.Merge.MinCorrect,
		JudgeEnabled: cfg.Judge.Enabled,
		Workers:      runningTasks(st),
		Sample:       sample,
		Cache:        cache,
	})
}

// gpusPerTask is what one generate task asks for by the config.
func gpusPerTask(cfg *Config) int {
	if n := max(cfg.Slurm.NodesPerTask, 1) * cfg.Slurm.GPUsPerNode; n > 0 {
		return n
	}
	return max(cfg.Server.TP*max(cfg.Server.Nodes, 1), 1)
}

// runningTasks counts the array tasks that run now (0: none, or Slurm was
// not asked).
func runningTasks(st *slurm.Status) int {
	seen := map[string]bool{}
	for _, s := range st.Shards {
		if s.State != slurm.StateRunning {
			continue
		}
		switch {
		case s.Lease != nil && s.Lease.Fresh && s.Lease.JobID != "":
			seen[s.Lease.JobID] = true
		case len(s.Jobs) > 0:
			seen[s.Jobs[len(s.Jobs)-1]] = true
		default:
			seen[fmt.Sprint("shard", s.ID)] = true
		}
	}
	return len(seen)
}

// plannedTasks is how many generate tasks a plan of n shards runs at
// once by the config: one per shards_per_task shards, up to the array's
// throttle.
func plannedTasks(cfg *Config, shards int) int {
	n := int(math.Ceil(float64(shards) / float64(max(cfg.Slurm.ShardsPerTask, 1))))
	if cfg.Slurm.Throttle > 0 {
		n = min(n, cfg.Slurm.Throttle)
	}
	return max(n, 1)
}

// runEstimate projects plan (just planned in cfg's run dir) from the done
// shards of the pilot run in pilotDir, read as the report reads a run.
func runEstimate(ctx context.Context, env *Env, client slurm.Client, cfg *Config, plan *shard.Plan, pilotDir string, asJSON bool) error {
	pl := shard.Layout{Dir: pilotDir}
	pilotPlan, err := shard.ReadPlan(pl)
	if err != nil {
		return fmt.Errorf("--estimate-from: %w", err)
	}
	st, err := slurm.Collect(ctx, client, slurm.StatusRequest{Layout: pl, Plan: pilotPlan, NumGenerations: cfg.Generate.NumGenerations, Check: shard.CheckSize, Now: env.Now()})
	if err != nil {
		return fmt.Errorf("--estimate-from %s: %w", pilotDir, err)
	}
	if st.Counts[slurm.StateDone] == 0 {
		return fmt.Errorf("--estimate-from %s: no shard of the pilot is done; finish some of it (distillery run / resume) and estimate again", pilotDir)
	}
	pcfg := *cfg
	pcfg.Run.Dir = pilotDir
	r, err := loadRun(ctx, env, client, &pcfg, st, 0, nil)
	if err != nil {
		return fmt.Errorf("--estimate-from %s: %w", pilotDir, err)
	}
	sources, err := report.PlanSources(shard.Layout{Dir: cfg.Run.Dir}, plan)
	if err != nil {
		return err
	}
	p := report.ProjectPlan(r, plan, sources, plannedTasks(cfg, len(plan.Shards)))
	if asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(p)
	}
	printProjection(env.Stdout, p)
	return nil
}
