package main

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/distillery-hpc/distillery/runner"
	"github.com/distillery-hpc/distillery/shard"
)

// exitTempFail (EX_TEMPFAIL from sysexits.h) is the runner's exit code when
// it stopped cleanly before its shards were done: drained after a signal,
// or a shard leased by another runner. The shards stay partial; a Slurm
// requeue or `distillery resume` runs them again.
const exitTempFail = 75

func newRunCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:      "run",
		Usage:     "generate the traces of one or more shards against the server (the per-node runner)",
		ArgsUsage: " ",
		Description: `Sends generate.num_generations chat completion requests per problem of each
shard to generate.endpoint and appends the answers to
<run.dir>/output/shard-NNNNN.jsonl.zst. Resumes after a crash with only the
missing (uuid, index) pairs; writes shard-NNNNN.done.json when a shard is
complete. Takes a lease on each shard so that two runners never write one.

Exit codes: 0 all its shards are done; 75 stopped early by a signal (after
draining) or a shard is leased by another runner: run it again later;
1 anything else (server unreachable, a request refused with a 4xx, bad input).`,
		Flags: append(configFlags(),
			&cli.StringSliceFlag{Name: "shard", Aliases: []string{"s"},
				Usage: "shard `ID` to generate (repeatable; also 3,4 or 3-7)"},
		),
		Action: func(cctx *cli.Context) error {
			if cctx.NArg() > 0 {
				return withCode(exitUsage, fmt.Errorf("run takes no arguments, got %q: name shards with --shard", cctx.Args().First()))
			}
			if len(cctx.StringSlice("shard")) == 0 {
				return withCode(exitUsage, errors.New("run: name the shards to generate with --shard N (repeatable, or 3,4 or 3-7)"))
			}
			ids, err := parseShardIDs(cctx.StringSlice("shard"))
			if err != nil {
				return withCode(exitUsage, err)
			}
			cfg, err := configFromContext(cctx, env)
			if err != nil {
				return err
			}
			// The plan's settings, never the config of the moment: a
			// Slurm task reads the live config file.
			if _, err := readRunPlan(cfg, env.Logger); err != nil {
				return err
			}
			// The endpoint is checked by the runner once a shard needs
			// work: a shard not in the plan is named first, and a task
			// whose shards are done needs no server.
			g := cfg.Generate
			apiKey := ""
			if g.APIKeyEnv != "" {
				apiKey = env.Getenv(g.APIKeyEnv)
			}
			log := env.Logger
			// Slurm counts requeues of a job; a requeued task takes back
			// the leases its earlier run left.
			restart, _ := strconv.Atoi(env.Getenv("SLURM_RESTART_COUNT"))
			stats, err := runner.Run(cctx.Context, runner.Options{
				Layout:   shard.Layout{Dir: cfg.Run.Dir},
				Shards:   ids,
				Generate: g,
				APIKey:   apiKey,
				Host:     env.Hostname,
				PID:      os.Getpid(),
				JobID:    slurmJobID(env.Getenv),
				Restart:  restart,
				Now:      env.Now,
				Logger:   log,
			})
			// The summary is for runs that got to the shards; an error
			// before that (plan, server) is the whole story.
			if err == nil || stats.Generations+stats.Existing+stats.ShardsDone+stats.ShardsBusy > 0 || errors.Is(err, runner.ErrDrained) {
				fmt.Fprintln(env.Stdout, stats.Summary())
			}
			switch {
			case err == nil:
				return nil
			case errors.Is(err, runner.ErrDrained), errors.Is(err, runner.ErrShardBusy):
				return withCode(exitTempFail, err)
			}
			return err
		},
	}
}

// slurmJobID names the Slurm job that runs us: "<array job>_<task>" in an
// array, "<job>" otherwise, "" outside Slurm.
func slurmJobID(getenv func(string) string) string {
	if j := getenv("SLURM_ARRAY_JOB_ID"); j != "" {
		if t := getenv("SLURM_ARRAY_TASK_ID"); t != "" {
			return j + "_" + t
		}
		return j
	}
	return getenv("SLURM_JOB_ID")
}

// parseShardIDs reads --shard values: ids, comma lists and ranges
// ("3", "3,4", "10-12"), in decimal even when zero-padded ("00010" is 10).
func parseShardIDs(vals []string) ([]int, error) {
	var ids []int
	for _, v := range vals {
		for _, part := range strings.Split(v, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			lo, hi, isRange := strings.Cut(part, "-")
			a, err := strconv.ParseUint(strings.TrimSpace(lo), 10, 31)
			if err != nil {
				return nil, fmt.Errorf("--shard %q: %q is not a shard id (want e.g. 3, 3,4 or 3-7)", v, part)
			}
			b := a
			if isRange {
				b, err = strconv.ParseUint(strings.TrimSpace(hi), 10, 31)
				if err != nil || b < a {
					return nil, fmt.Errorf("--shard %q: %q is not a range of shard ids (want e.g. 3-7)", v, part)
				}
				if b-a > 1_000_000 {
					return nil, fmt.Errorf("--shard %q: range %q is too long", v, part)
				}
			}
			for id := a; id <= b; id++ {
				ids = append(ids, int(id))
			}
		}
	}
	if len(ids) == 0 {
		return nil, errors.New("--shard: no shard id given (want e.g. --shard 3)")
	}
	return ids, nil
}
