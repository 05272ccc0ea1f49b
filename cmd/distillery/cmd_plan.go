package main

import (
	"context"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/distillery-hpc/distillery/shard"
)

func newPlanCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "plan",
		Usage:     "read the problem set, filter and de-duplicate it, and write input shards and plan.json",
		ArgsUsage: " ",
		Description: "With --estimate-from PILOT_RUN_DIR it then projects the plan from the\n" +
			"done shards of a pilot run (generations, completion tokens, GPU-hours,\n" +
			"makespan with the tasks the config runs at once, kept problems per source,\n" +
			"judge calls, each with a range from the spread across the pilot's shards),\n" +
			"before any GPU is asked for; --json prints that projection alone.",
		Flags: append(configFlags(),
			&cli.StringFlag{Name: "estimate-from", Usage: "project the plan from the finished shards of the pilot run `PILOT_RUN_DIR`"},
			&cli.BoolFlag{Name: "json", Usage: "with --estimate-from, print the projection as JSON"},
		),
		Action: func(cctx *cli.Context) error {
			if err := noArgs(cctx); err != nil {
				return err
			}
			cfg, err := configFromContext(cctx, env)
			if err != nil {
				return err
			}
			pilot := cctx.String("estimate-from")
			if cctx.Bool("json") && pilot == "" {
				return withCode(exitUsage, fmt.Errorf("plan: --json prints the projection of --estimate-from; give --estimate-from PILOT_RUN_DIR"))
			}
			p, created, err := planRun(cctx.Context, env, cfg)
			if err != nil {
				return err
			}
			if pilot == "" || !cctx.Bool("json") {
				printPlan(env, cfg, p, created)
			}
			if pilot != "" {
				return runEstimate(cctx.Context, env, slurmClient(env), cfg, p, pilot, cctx.Bool("json"))
			}
			return nil
		},
	}
}

// planRun plans cfg's run dir, or checks that the plan there matches. A
// plan that is there fixes the generation settings: a config that differs
// is refused naming the keys, and cfg generates with the plan's settings.
func planRun(ctx context.Context, env *Env, cfg *Config) (*shard.Plan, bool, error) {
	l := shard.Layout{Dir: cfg.Run.Dir}
	if old, err := shard.ReadPlan(l); err == nil {
		if err := applyPlanSettings(cfg, old, env.Logger); err != nil {
			return nil, false, err
		}
	}
	return shard.MakePlan(ctx, l, shard.PlanOptions{
		Input:      cfg.Input,
		Shard:      cfg.Shard,
		Settings:   configSettings(cfg.Generate),
		ConfigHash: cfg.Hash(),
		Now:        env.Now,
	})
}

func printPlan(env *Env, cfg *Config, p *shard.Plan, created bool) {
	if !created {
		fmt.Fprintf(env.Stdout, "plan unchanged: %s (%d problems in %d shards)\n", shard.Layout{Dir: cfg.Run.Dir}.PlanFile(), p.Problems, len(p.Shards))
		return
	}
	fmt.Fprintf(env.Stdout, "planned %d problems in %d shards of up to %d (%d rows read; dropped %s)\n",
		p.Problems, len(p.Shards), cfg.Shard.ProblemsPerShard, p.Rows, shard.FormatDropped(p.Dropped))
	fmt.Fprintf(env.Stdout, "wrote %s\n", shard.Layout{Dir: cfg.Run.Dir}.PlanFile())
}
