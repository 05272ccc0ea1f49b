// Package openai is the client of an OpenAI-compatible chat completions
// server (SGLang's HTTP API first, and vLLM, TGI and proxies in front of
// them): one request with its retries (request.go), the answer shapes
// those servers send, streamed or not (dialects.go), the error bodies they
// send (message.go), and the health endpoints a runner waits on
// (health.go).
//
// Retries live here and nowhere else: connection errors, timeouts, 5xx,
// 429 and SGLang's finish_reason "abort" are retried with exponential
// backoff and full jitter (a Retry-After is honoured up to a cap); other
// 4xx are permanent (ErrPermanent); spent retries are ErrUnavailable.
//
// The generation worker (package runner) and the merge stage's judge both
// use it. It knows nothing of shards, plans or the run directory, and it
// does not start servers.
package openai
