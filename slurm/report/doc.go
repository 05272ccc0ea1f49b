// Package report reads a run directory and tells how the campaign goes:
// a one-page HTML report (Render: inline SVG charts drawn by its own small
// SVG writer, no external assets, readable on a phone) and the projection
// of the whole plan from the shards done so far (Project, and ProjectPlan
// for a new plan from a finished pilot run): generations, completion
// tokens, GPU-hours, makespan, kept problems per source and judge calls,
// each with a range from the spread across shards.
//
// It reads only the run directory (plan.json, input and output shards,
// the judge's verdicts, slurm/submissions.jsonl and the rendered scripts),
// the status slurm.Collect made of it, and, where the cluster keeps it,
// Slurm accounting (Accounting, sacct). A run dir copied to a laptop
// without Slurm works: GPU time then comes from the runners' own records
// times the GPUs each task asked for.
//
// It does not decide shard states (slurm and shard do), judge answers (it
// runs the checker, verify, on the answers, and reads the judge's cached
// rulings that merge wrote), or write anything into the run directory.
package report
