// Package runner is the per-node worker: for each problem of its shards it
// asks an OpenAI-compatible /v1/chat/completions endpoint (SGLang's) for
// num_generations completions with bounded concurrency and retries, and
// appends them to the shard's framed zstd output, resuming after a crash
// with only the missing (uuid, index) pairs.
//
// The path of one generation: Run reads plan.json and asks its Source
// (a ListSource of --shard ids, or a claim source in pool mode) whether any
// shard needs work; only then does it wait for the server
// (openai.Client.WaitReady). The producer (run.produce) takes one shard at
// a time from the source, which checks its done marker and takes its lease
// (shard.AcquireLease); it opens the output (shard.OpenOutput, which cuts a
// torn tail and yields the pairs already there) and sends the missing pairs
// to `concurrency` workers (run.work), each calling openai.Client.Chat (the
// only place with retries). One writer per shard (shardRun.write) appends
// the answers, flushes a zstd frame every flush_interval after checking
// that the lease is still ours, heartbeats the lease, and at the end writes
// the done marker and releases the lease. Errors that stop the run go to
// one errgroup; a failed generation is counted.
//
// Stopping: when ctx ends (SIGTERM, SIGUSR1, SIGINT in main) no new
// request starts; requests in flight get grace_period to finish and are
// written; Run returns ErrDrained. One request the server refuses (4xx) is
// counted and leaves its shard not done (ErrGenerationFailed); a server
// that stays unreachable after the retries stops the run
// (openai.ErrUnavailable).
//
// It does not start servers (the sbatch template does), plan shards, or
// check answers; the HTTP client is package runner/openai, which merge's
// judge uses too.
package runner
