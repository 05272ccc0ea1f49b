// Package openaitest is a scriptable fake OpenAI-compatible server for
// tests: a real HTTP server on loopback that speaks the protocol of
// SGLang (the default), of vLLM, or of a bare OpenAI-style proxy — chat
// completions as JSON or as server-sent events, /health,
// /health_generate, /v1/models, /get_model_info and /get_server_info
// where that server has them — and answers each chat request as the
// test's script says: an answer, an error status with Retry-After, a
// body in another dialect, or a fault below HTTP (a reset, a hang, a
// truncated body, a keep-alive connection closed under the client). It
// can refuse connections while "starting", answer 503 on its health
// endpoints while "loading", and be stopped and started again on the same
// port.
//
// It is not runner/simserver: it generates nothing, so tests state their
// answers, and it shares no code with the client it tests. It is imported
// by tests only.
package openaitest
