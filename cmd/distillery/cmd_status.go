package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/distillery-hpc/distillery/shard"
	"github.com/distillery-hpc/distillery/slurm"
	"github.com/distillery-hpc/distillery/slurm/report"
)

func newStatusCommand(env *Env) *cli.Command {
	return &cli.Command{
		Name:  "status",
		Usage: "show every shard's state (pending, running, partial, done, failed), totals, rate and ETA",
		Description: "Reads the done markers, output shards and leases in <run.dir>/output and asks\n" +
			"squeue (and sacct, when the cluster keeps accounting) about the recorded jobs.\n" +
			"Exit status: 0 when every shard is done, 3 when some are still pending or\n" +
			"running, 4 when some failed or stopped partway and need `distillery resume`,\n" +
			"5 when Slurm did not answer (squeue failed or is missing) so that the state of\n" +
			"submitted shards is unknown, 1 when status itself failed. --json prints one\n" +
			"document (schema_version 1) whatever the exit status; its \"projection\"\n" +
			"projects the whole plan from the done shards (ranges from their spread).\n" +
			"--watch redraws the table in place every --interval until the run ends\n" +
			"(every shard done and no merge job waiting or running, or nothing left\n" +
			"running), then exits with the status's code.",
		Flags: append(configFlags(),
			&cli.BoolFlag{Name: "json", Usage: "print the status as JSON"},
			&cli.BoolFlag{Name: "watch", Aliases: []string{"w"}, Usage: "redraw the status in place until the run ends"},
			&cli.DurationFlag{Name: "interval", Value: 30 * time.Second, Usage: "time between redraws with --watch"},
		),
		Action: func(cctx *cli.Context) error {
			cfg, err := configFromContext(cctx, env)
			if err != nil {
				return err
			}
			if cctx.Bool("watch") {
				if cctx.Bool("json") {
					return withCode(exitUsage, fmt.Errorf("status: --watch draws the table; use --json without it (or call it in a loop)"))
				}
				if d := cctx.Duration("interval"); d < 100*time.Millisecond {
					return withCode(exitUsage, fmt.Errorf("status: --interval %s is too short (at least 100ms)", d))
				}
				return runWatch(cctx.Context, env, slurmClient(env), cfg, cctx.Duration("interval"))
			}
			return runStatus(cctx.Context, env, slurmClient(env), cfg, cctx.Bool("json"))
		},
	}
}

// collectStatus reads the run's state. check is how hard a done marker is
// checked: status compares sizes (shard.CheckSize); resume, which submits
// whatever is not done, hashes the outputs too (shard.CheckHash).
func collectStatus(ctx context.Context, env *Env, client slurm.Client, cfg *Config, check shard.Check) (*slurm.Status, error) {
	plan, err := shard.ReadPlan(shard.Layout{Dir: cfg.Run.Dir})
	if err != nil {
		return nil, err
	}
	return slurm.Collect(ctx, client, slurm.StatusRequest{
		Layout:         shard.Layout{Dir: cfg.Run.Dir},
		Plan:           plan,
		NumGenerations: cfg.Generate.NumGenerations,
		Check:          check,
		Now:            env.Now(),
	})
}

// statusDoc is the `status --json` document: the status, and the
// projection of the whole plan (absent when nothing is done yet).
type statusDoc struct {
	*slurm.Status
	Projection *report.Projection `json:"projection,omitempty"`
}

func runStatus(ctx context.Context, env *Env, client slurm.Client, cfg *Config, asJSON bool) error {
	st, err := collectStatus(ctx, env, client, cfg, shard.CheckSize)
	if err != nil {
		return err
	}
	proj := statusProjection(ctx, env, client, cfg, st, nil)
	if asJSON {
		enc := json.NewEncoder(env.Stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(statusDoc{st, proj}); err != nil {
			return err
		}
	} else {
		printStatus(env.Stdout, st)
		printProjection(env.Stdout, proj)
	}
	return statusExit(st)
}

// projectionSample bounds the done shards whose answers status checks for
// the kept-problems projection: enough for its range, cheap on a run of
// thousands of shards (the report checks all).
const projectionSample = 16

// statusProjection projects the plan from the done shards; nil when none
// is done, or when the run dir cannot be read for it (status itself does
// not fail for that: it says so on stderr).
func statusProjection(ctx context.Context, env *Env, client slurm.Client, cfg *Config, st *slurm.Status, cache *report.Cache) *report.Projection {
	if st.Counts[slurm.StateDone] == 0 {
		return nil
	}
	r, err := loadRun(ctx, env, client, cfg, st, projectionSample, cache)
	if err != nil {
		env.Logger.Warn("no projection", "err", err)
		return nil
	}
	return report.Project(r)
}

// printProjection prints the projection in lines under 80 columns.
func printProjection(w io.Writer, p *report.Projection) {
	if p == nil {
		return
	}
	fmt.Fprintf(w, "projection %s:\n", p.Basis)
	for _, row := range report.ProjectionRows(p) {
		line := fmt.Sprintf("  %-18s %10s", row[0], row[1])
		if row[2] != "" {
			line += "  (" + row[2] + ")"
		}
		if row[3] != "" {
			line += "  " + row[3]
		}
		fmt.Fprintln(w, line)
	}
}

// exitUnknown is status's exit code when Slurm did not answer, so that
// the submitted shards that are not done are neither running nor failed
// as far as status can tell (exitNotDone and exitFailed are in main.go).
const exitUnknown = 5

// statusExit maps a status to the documented exit codes.
func statusExit(st *slurm.Status) error {
	switch {
	case st.Done():
		return nil
	case st.Counts[slurm.StateUnknown] > 0:
		return withCode(exitUnknown, fmt.Errorf("the state of %d submitted shards is unknown: Slurm did not answer (%s)",
			st.Counts[slurm.StateUnknown], strings.Join(st.Warnings, "; ")))
	case st.Counts[slurm.StateFailed] > 0 || st.Counts[slurm.StatePartial] > 0:
		return withCode(exitFailed, fmt.Errorf("%d shards failed and %d stopped partway: run `distillery resume`",
			st.Counts[slurm.StateFailed], st.Counts[slurm.StatePartial]))
	default:
		return withCode(exitNotDone, fmt.Errorf("not done yet: %d of %d shards done", st.Counts[slurm.StateDone], len(st.Shards)))
	}
}

func printStatus(w io.Writer, st *slurm.Status) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SHARD\tSTATE\tPROBLEMS\tGENERATIONS\tSLURM\tNOTE")
	retried := false
	for _, s := range st.Shards {
		retried = retried || len(s.Jobs) > 1
		fmt.Fprintf(tw, "%s\t%s\t%d/%d\t%d/%d\t%s\t%s\n", shard.ShardName(s.ID), s.State,
			s.ProblemsDone, s.Problems, s.Generations, s.GenerationsPlanned, shardJobs(s), shardNote(s))
	}
	tw.Flush()
	if retried {
		fmt.Fprintln(w, statusJobsLegend)
	}
	fmt.Fprintln(w)
	printStatusTotals(w, st)
}

// statusJobsLegend explains the SLURM column under a table in which some
// shard ran in more than one task.
const statusJobsLegend = "SLURM is each shard's newest array task (ARRAYJOB_TASK STATE); (+N earlier): N earlier tasks ran it too (status --json lists them all in jobs, newest last)"

// shardJobs is a shard's SLURM column: its newest task (Jobs is newest
// last) and how many ran it before.
func shardJobs(s slurm.ShardStatus) string {
	jobs := "-"
	if len(s.Jobs) > 0 {
		jobs = s.Jobs[len(s.Jobs)-1]
		if len(s.Jobs) > 1 {
			jobs += fmt.Sprintf(" (+%d earlier)", len(s.Jobs)-1)
		}
	}
	return jobs
}

// shardNote is a shard's NOTE column.
func shardNote(s slurm.ShardStatus) string {
	note := s.Note
	if s.Lease != nil && s.Lease.Fresh {
		note = strings.TrimSpace(note + " lease " + s.Lease.Host)
		if s.Lease.JobID != "" {
			note += " job " + s.Lease.JobID
		}
	}
	return note
}

// printStatusTotals prints the lines under the shard table: counts,
// totals, rate and ETA, the dataset, warnings.
func printStatusTotals(w io.Writer, st *slurm.Status) {
	var parts []string
	for _, k := range slurm.States {
		if n := st.Counts[k]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, k))
		}
	}
	fmt.Fprintf(w, "%d shards: %s\n", len(st.Shards), strings.Join(parts, ", "))
	fmt.Fprintf(w, "problems %d/%d, generations %d/%d", st.ProblemsDone, st.Problems, st.GenerationsDone, st.Generations)
	if st.GenerationsPerHour > 0 {
		fmt.Fprintf(w, ", %.0f generations/hour", st.GenerationsPerHour)
		if !st.Done() {
			fmt.Fprintf(w, ", ETA %s", (time.Duration(st.ETASeconds) * time.Second).Round(time.Second))
		}
	}
	fmt.Fprintln(w)
	if st.Done() {
		// Every shard is done (exit 0); the dataset is the merge job's.
		switch {
		case len(st.RunningMerges) > 0:
			fmt.Fprintf(w, "merge job %s is running\n", strings.Join(st.RunningMerges, ", "))
		case len(st.PendingMerges) > 0:
			fmt.Fprintf(w, "merge job %s is pending (it waits for the arrays to end)\n", strings.Join(st.PendingMerges, ", "))
		case st.Dataset:
			fmt.Fprintf(w, "dataset: %s\n", shard.Layout{Dir: st.RunDir}.DatasetDir())
		default:
			fmt.Fprintln(w, "no dataset yet: `distillery resume` submits the merge job (or run `distillery merge`)")
		}
	}
	if !st.Slurm && len(st.Warnings) == 0 {
		fmt.Fprintln(w, "(Slurm was not asked: nothing submitted yet)")
	}
	for _, warn := range st.Warnings {
		fmt.Fprintf(w, "warning: %s\n", warn)
	}
}
