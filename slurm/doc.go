// Package slurm renders sbatch array scripts from templates, submits them,
// and reads Slurm's own view of them (sbatch --parsable, squeue, sacct,
// scontrol show config) to report status and resume what is missing.
//
// The path of a submission: SplitArrays packs the shards into arrays of at
// most MaxArraySize tasks, each indexed from 0; Renderer fills in
// generate.sbatch (index -> shards map, server start, runner, signal
// handling) and merge.sbatch from package templates; Submit runs sbatch
// through a Client and appends each job to <run.dir>/slurm/submissions.jsonl.
// Collect joins those records with squeue/sacct, the done markers, the
// output shards and the leases into one state per shard; NeedsResume names
// the shards a resume submits.
//
// Slurm's commands fail for passing reasons on busy clusters: Client
// retries them with backoff, and never submits a script twice after an
// sbatch that may have reached the controller (it looks for the script in
// squeue first; what it cannot settle goes to unconfirmed.jsonl, which
// Collect resolves later). When squeue does not answer, Collect calls the
// submitted shards unknown instead of guessing.
//
// Slurm is the scheduler: this package never schedules work itself, and it
// runs Slurm's commands only through the Exec function it is given.
// testcluster/ holds the scripts that start a one-node Slurm for the tests.
package slurm
