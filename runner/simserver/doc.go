// Package simserver is an SGLang-compatible simulator for dry runs and
// tests. It is not a model and answers nothing by thinking: it looks the
// prompt's problem up in the problem set it was given and writes a fake
// reasoning trace ("<think> ... </think>", a short solution, a final
// answer) whose answer is, by configurable shares, the gold answer
// verbatim, a wrong value of the same shape, the gold answer written
// differently but equivalently (0.5 for \frac{1}{2}, \dfrac, spacing,
// "x = 3"), or the gold answer without \boxed{}.
//
// It speaks SGLang's HTTP API as far as distillery uses it:
//
//	GET  /health, /health_generate   503 while "loading", then 200
//	GET  /get_model_info             {"model_path", "is_generation", ...}
//	GET  /get_server_info
//	GET  /v1/models, /v1/models/{m}  OpenAI model list / card (404 when unknown)
//	POST /v1/chat/completions        OpenAI chat completions: n, max_tokens or
//	                                 max_completion_tokens, seed, stream (SSE,
//	                                 "data: [DONE]"), usage, finish_reason
//	                                 "stop" or "length"; errors as
//	                                 {"object":"error","message","type","param","code"}
//	POST /generate                   SGLang native: {"text", "sampling_params"}
//	                                 -> {"text", "meta_info": {"finish_reason":
//	                                 {"type": "stop"|"length", ...}, ...}}
//
// Behaviour:
//   - Config.MaxRunningRequests slots; requests beyond them wait in a queue,
//     so latency grows with load. Each generation holds a slot for its
//     simulated prefill and decode time (Config.TokensPerSecond per slot).
//   - Completion lengths are drawn from a log-normal around
//     Config.MeanCompletionTokens; those above the request's max_tokens are
//     cut there (finish_reason "length", no final answer in the text).
//   - Token counts are simulated: one token per four bytes of text.
//   - Every draw is deterministic for (Config.Seed, problem, generation
//     number), where the generation number counts the requests for that
//     problem (or comes from the request's "seed").
//   - Judge mode: a prompt containing "Verdict: EQUIVALENT" (OpenR1's
//     Llama-3.3 answer-validator prompt) is answered with a short rationale
//     and "Verdict: EQUIVALENT", "DIFFERENT" or "AMBIGUOUS", decided by
//     comparing the reference answer with the model's last \boxed{} answer
//     as normalised strings, exact rationals and unordered lists. A judge
//     prompt without the reference or the model's solution is answered
//     AMBIGUOUS and counted in Stats.JudgeUnparsed.
//   - Config.TimeScale divides every simulated duration (model load,
//     decoding), so a campaign finishes in seconds.
//   - Fault injection: 500/503, 429 with Retry-After, dropped connections,
//     hangs until the client gives up, and a crash after N generation
//     requests (Serve returns ErrCrashed and drops every connection; the
//     handler alone drops every later request).
//
// It does not tokenize, apply chat templates, honour temperature or top_p,
// stop strings, logprobs or tools, and it serves a single model.
package simserver
