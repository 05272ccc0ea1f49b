// Package runner is the per-node worker: for each problem of its shards it
// asks an OpenAI-compatible /v1/chat/completions endpoint (SGLang's) for
// num_generations completions with bounded concurrency and retries, and
// appends them to the shard's framed zstd output, resuming after a crash
// with only the missing (uuid, index) pairs.
//
// It does not start servers (the sbatch template does) or check answers.
package runner
