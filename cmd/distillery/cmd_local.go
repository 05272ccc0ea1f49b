package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/distillery-hpc/distillery/merge"
	"github.com/distillery-hpc/distillery/runner"
	"github.com/distillery-hpc/distillery/runner/openai"
	"github.com/distillery-hpc/distillery/runner/simserver"
	"github.com/distillery-hpc/distillery/shard"
)

func newLocalCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "local",
		Usage:     "plan, generate every shard and merge, on this machine (the single-node dry run)",
		ArgsUsage: " ",
		Description: `Runs plan -> run (every shard) -> merge in one process. Without a
[generate] endpoint it starts the embedded SGLang-compatible simulator
(configured by [sim]) on a free loopback port and uses it for generation and,
without a [judge] endpoint, for judging too. With a real [generate] endpoint
and no [judge] endpoint, unsure answers stay unjudged (not correct). Safe to run again: the plan is
reused, finished shards are skipped, partial ones resume.`,
		Flags: append(configFlags(),
			&cli.BoolFlag{Name: "no-judge", Usage: "do not send unsure answers to the judge"},
		),
		Action: func(cctx *cli.Context) error {
			if cctx.NArg() > 0 {
				return withCode(exitUsage, fmt.Errorf("local takes no arguments, got %q", cctx.Args().First()))
			}
			cfg, err := configFromContext(cctx, env)
			if err != nil {
				return err
			}
			if cctx.Bool("no-judge") {
				cfg.Judge.Enabled = false
			}
			return runLocal(cctx, env, cfg)
		},
	}
}

func runLocal(cctx *cli.Context, env *Env, cfg *Config) error {
	ctx := cctx.Context
	start := env.Now()
	log := env.Logger
	layout := shard.Layout{Dir: cfg.Run.Dir}

	if err := probeBeforeFirstPlan(ctx, env, cfg, layout); err != nil {
		return err
	}
	plan, created, err := planRun(ctx, env, cfg)
	if err != nil {
		return err
	}
	printPlan(env, cfg, plan, created)

	// The simulator stands in only where no server is configured at all: a
	// real generation run is never judged by the simulator.
	if cfg.Generate.Endpoint == "" {
		problems, err := simserver.LoadRunDir(cfg.Run.Dir)
		if err != nil {
			return err
		}
		sim := simserver.New(cfg.Sim, problems, log.With("component", "sim"))
		// Not ctx: a signal asks the runner to drain, and the requests in
		// flight need the simulator until they finish. inst.Close stops it.
		inst, err := sim.Start(context.WithoutCancel(ctx), "127.0.0.1:0")
		if err != nil {
			return err
		}
		defer inst.Close()
		fmt.Fprintf(env.Stdout, "simulator (not a model) listening on %s\n", inst.URL)
		cfg.Generate.Endpoint = inst.URL
		if cfg.Judge.Enabled && cfg.Judge.Endpoint == "" {
			cfg.Judge.Endpoint = inst.URL
		}
	}

	ids := make([]int, len(plan.Shards))
	for i, s := range plan.Shards {
		ids[i] = s.ID
	}
	apiKey := ""
	if cfg.Generate.APIKeyEnv != "" {
		apiKey = env.Getenv(cfg.Generate.APIKeyEnv)
	}
	stats, err := runner.Run(ctx, runner.Options{
		Layout:   layout,
		Shards:   ids,
		Generate: cfg.Generate,
		APIKey:   apiKey,
		Host:     env.Hostname,
		PID:      os.Getpid(),
		JobID:    slurmJobID(env.Getenv),
		Now:      env.Now,
		Logger:   log,
	})
	fmt.Fprintln(env.Stdout, stats.Summary())
	if err != nil {
		if errors.Is(err, runner.ErrDrained) || errors.Is(err, runner.ErrShardBusy) {
			return withCode(exitTempFail, fmt.Errorf("%w (run `distillery local` again to resume)", err))
		}
		return err
	}

	client, err := newJudgeClient(cfg, env)
	if err != nil {
		return err
	}
	if client == nil && cfg.Judge.Enabled {
		log.Warn("judge.endpoint is empty: unsure answers stay unjudged and count as not correct (set judge.endpoint, or --no-judge to silence this)")
	}
	sum, err := merge.Run(ctx, mergeOptions(cfg, env, client))
	if err != nil {
		return fmt.Errorf("merge: %w", err)
	}
	printMergeSummary(env.Stdout, &sum)

	wall := env.Now().Sub(start)
	var tokens int64
	for _, s := range plan.Shards {
		if d, ok, _ := shard.ReadDone(layout, s.ID); ok {
			tokens += d.Tokens
		}
	}
	share := 0.0
	if sum.Generations > 0 {
		share = 100 * float64(sum.Correct) / float64(sum.Generations)
	}
	fmt.Fprintf(env.Stdout, "\nlocal run complete in %s\n", wall.Round(time.Millisecond))
	fmt.Fprintf(env.Stdout, "  problems      %d planned, %d kept in the dataset\n", plan.Problems, sum.Kept)
	fmt.Fprintf(env.Stdout, "  generations   %d (%d completion tokens; %.1f gen/s this run)\n", sum.Generations, tokens, stats.GenerationsPerSecond())
	fmt.Fprintf(env.Stdout, "  correct       %.1f%% of generations\n", share)
	for _, sp := range sum.Splits {
		fmt.Fprintf(env.Stdout, "  split %-9s %d rows\n", sp.Name, sp.Rows)
	}
	fmt.Fprintf(env.Stdout, "  dataset       %s\n", filepath.Join(sum.DatasetDir, "data"))
	return nil
}

// probeBeforeFirstPlan checks that the configured endpoints (generate,
// and judge when judging is on) answer before a fresh run dir gets its
// plan: an unreachable endpoint is then a one-line error that leaves
// nothing behind, not a planned run that fails at its first request (or,
// for the judge, after the whole generation). A run dir that has a plan
// already goes straight to the runner, which needs no server for shards
// that are done.
func probeBeforeFirstPlan(ctx context.Context, env *Env, cfg *Config, layout shard.Layout) error {
	if _, err := os.Stat(layout.PlanFile()); err == nil {
		return nil
	}
	type probe struct {
		client *openai.Client
		wait   time.Duration
		hint   string
	}
	var probes []probe
	if g := cfg.Generate; g.Endpoint != "" && g.WaitForServer > 0 {
		var key string
		if g.APIKeyEnv != "" {
			key = env.Getenv(g.APIKeyEnv)
		}
		c, err := openai.NewClient(openai.Options{Endpoint: g.Endpoint, APIKey: key, RequestTimeout: g.RequestTimeout, Logger: env.Logger})
		if err != nil {
			return err
		}
		probes = append(probes, probe{c, g.WaitForServer, "check generate.endpoint, or raise generate.wait_for_server if the server is still loading"})
	}
	judge, err := newJudgeClient(cfg, env)
	if err != nil {
		return err
	}
	if judge != nil {
		wait := cfg.Judge.WaitForServer
		if wait <= 0 {
			wait = 20 * time.Second // merge's own default wait
		}
		probes = append(probes, probe{judge, wait, "start the judge server, fix judge.endpoint, or run with --no-judge"})
	}
	for _, p := range probes {
		err := p.client.WaitReady(ctx, p.wait)
		switch {
		case err == nil, errors.Is(err, openai.ErrNotReady) && ctx.Err() == nil:
			continue // it answers; a server still loading is waited for later
		case ctx.Err() != nil:
			return ctx.Err()
		}
		return fmt.Errorf("%w: %s (nothing was planned in %s)", err, p.hint, cfg.Run.Dir)
	}
	return nil
}
