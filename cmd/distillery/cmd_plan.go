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
		Flags:     configFlags(),
		Action: func(cctx *cli.Context) error {
			if err := noArgs(cctx); err != nil {
				return err
			}
			cfg, err := configFromContext(cctx, env)
			if err != nil {
				return err
			}
			p, created, err := planRun(cctx.Context, env, cfg)
			if err != nil {
				return err
			}
			printPlan(env, cfg, p, created)
			return nil
		},
	}
}

// planRun plans cfg's run dir, or checks that the plan there matches.
func planRun(ctx context.Context, env *Env, cfg *Config) (*shard.Plan, bool, error) {
	return shard.MakePlan(ctx, shard.Layout{Dir: cfg.Run.Dir}, shard.PlanOptions{
		Input:          cfg.Input,
		Shard:          cfg.Shard,
		NumGenerations: cfg.Generate.NumGenerations,
		ConfigHash:     cfg.Hash(),
		Now:            env.Now,
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
