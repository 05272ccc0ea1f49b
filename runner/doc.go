// Package runner is the per-node worker: for each problem of its shards it
// asks an OpenAI-compatible /v1/chat/completions endpoint (SGLang's) for
// num_generations completions with bounded concurrency and retries, and
// appends them to the shard's framed zstd output, resuming after a crash
// with only the missing (uuid, index) pairs.
//
// The path of one generation: Run reads plan.json, waits for the server
// (Client.WaitReady), and for each shard takes its lease (shard.AcquireLease)
// and opens its output (shard.OpenOutput, which cuts a torn tail and yields
// the pairs already there); the producer sends the missing pairs to
// `concurrency` workers, each calling Client.Chat (the only place with
// retries); one writer goroutine per shard appends the answers, flushes a
// zstd frame every flush_interval after checking that the lease is still
// ours, heartbeats the lease, and at the end writes the done marker and
// releases the lease.
//
// Stopping: when ctx ends (SIGTERM, SIGUSR1, SIGINT in main) no new
// request starts; requests in flight get grace_period to finish and are
// written; Run returns ErrDrained. One request the server refuses (4xx) is
// counted and leaves its shard not done (ErrGenerationFailed); a server
// that stays unreachable after the retries stops the run (ErrUnavailable).
//
// Client is also what the merge stage uses to talk to its judge.
//
// It does not start servers (the sbatch template does), plan shards, or
// check answers.
package runner
