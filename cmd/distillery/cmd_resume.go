package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/urfave/cli/v2"

	"github.com/distillery-hpc/distillery/shard"
	"github.com/distillery-hpc/distillery/slurm"
)

func newResumeCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "resume",
		Usage: "submit a compacted array for the shards that are neither done nor pending/running",
		Description: "Finds the shards that are not done and that no Slurm task (pending or\n" +
			"running) and no fresh lease holds, submits them as new arrays indexed from 0\n" +
			"(MaxArraySize respected), then a new merge job that waits for them and for\n" +
			"the arrays still running; earlier merge jobs that have not started are\n" +
			"cancelled. Repeat until `distillery status` says done.",
		Flags: append(configFlags(),
			&cli.BoolFlag{Name: "dry-run", Usage: "write and print the scripts and sbatch command lines, submit nothing"},
			&cli.BoolFlag{Name: "no-merge", Usage: "submit the generate arrays only"},
		),
		Action: func(cctx *cli.Context) error {
			cfg, err := configFromContext(cctx, env)
			if err != nil {
				return err
			}
			return runResume(cctx.Context, env, slurmClient(env), cfg, submitOptions{
				DryRun:  cctx.Bool("dry-run"),
				NoMerge: cctx.Bool("no-merge"),
				Sets:    cctx.StringSlice("set"),
			})
		},
	}
}

func runResume(ctx context.Context, env *Env, client slurm.Client, cfg *Config, opts submitOptions) error {
	job, err := jobInput(cfg, opts.Sets)
	if err != nil {
		return err
	}
	if err := checkServers(cfg); err != nil {
		return err
	}
	// The jobs generate with the plan's settings: a config edited since
	// is refused here, before anything is submitted.
	if _, err := readRunPlan(cfg, env.Logger); err != nil {
		return err
	}
	if !opts.DryRun {
		unlock, err := slurm.LockSubmissions(ctx, shard.Layout{Dir: cfg.Run.Dir}, leaseOwner(env))
		if err != nil {
			return err
		}
		defer unlock()
	}
	st, err := collectStatus(ctx, env, client, cfg, shard.CheckHash)
	if err != nil {
		return err
	}
	warnBinary(env, cfg)
	gen, judge := generateServer(env, cfg), judgeServer(env, cfg)
	warnResources(env, cfg, gen, judge)
	if !st.Slurm && len(st.Warnings) > 0 && (!opts.DryRun || st.Counts[slurm.StateUnknown] > 0) {
		// A dry run previews the real one: where Slurm did not answer for
		// submitted shards, the real resume refuses, and so does this.
		return errors.New("resume needs squeue to tell which shards Slurm still runs: " + st.Warnings[0])
	}
	todo := st.NeedsResume()
	l := shard.Layout{Dir: cfg.Run.Dir}
	if !opts.DryRun {
		// sbatch calls that failed but that Slurm took after all: record
		// them, so that their jobs count from now on.
		for _, a := range st.Adopted {
			if err := slurm.AppendSubmission(slurm.SubmissionsFile(l), a); err != nil {
				return err
			}
			fmt.Fprintf(env.Stdout, "adopted job %s: its sbatch call failed, but Slurm had queued it (%s)\n", a.JobID, a.Script)
		}
	}
	noMerge := opts.NoMerge
	if len(todo) == 0 {
		switch {
		case !st.Done():
			fmt.Fprintf(env.Stdout, "nothing to resume: the %d shards not done are pending or running in Slurm\n", len(st.Shards)-st.Counts[slurm.StateDone])
			return nil
		case noMerge || len(st.PendingMerges)+len(st.RunningMerges) > 0 || st.Dataset:
			fmt.Fprintf(env.Stdout, "nothing to resume: all %d shards are done\n", len(st.Shards))
			return nil
		}
		fmt.Fprintf(env.Stdout, "all %d shards are done but there is no dataset yet: submitting the merge job\n", len(st.Shards))
	}
	r, err := slurm.NewRenderer(cfg.Slurm.TemplatesDir)
	if err != nil {
		return err
	}
	res, err := slurm.Submit(ctx, client, r, slurm.SubmitRequest{
		Command:      "resume",
		Layout:       l,
		Job:          job,
		Server:       gen,
		Judge:        judge,
		Shards:       todo,
		NoMerge:      noMerge,
		WaitFor:      st.ActiveArrays,
		CancelMerges: st.PendingMerges,
		DryRun:       opts.DryRun,
		ConfigHash:   cfg.Hash(),
		Now:          env.Now(),
		Out:          env.Stdout,
	})
	if err != nil {
		return err
	}
	printSubmitSummary(env, res, len(st.Shards), len(todo), opts.DryRun)
	return nil
}
