package openai

// Tests of the client against answers and transport faults seen from
// servers other than ours (SGLang, vLLM, proxies in front of them). The
// servers here are written for these tests: raw handlers on httptest, and
// a raw TCP listener for faults below HTTP.

import (
	"compress/gzip"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const okBody = `{"id":"c1","object":"chat.completion","created":1,"model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"ok \\boxed{1}"},"finish_reason":"stop"}],"usage":{"prompt_tokens":3,"completion_tokens":4,"total_tokens":7}}`

// raw answers with a status, headers and a body as given.
func raw(code int, body string, hdr ...string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for i := 0; i+1 < len(hdr); i += 2 {
			w.Header().Set(hdr[i], hdr[i+1])
		}
		w.WriteHeader(code)
		fmt.Fprint(w, body)
	}
}

// choice is a 200 answer with one choice whose message is msg (JSON) and
// whose finish_reason is fin (JSON), plus extra top-level fields.
func choice(msg, fin, extra string) http.HandlerFunc {
	return raw(200, `{"id":"c1","object":"chat.completion","model":"srv-model","choices":[{"index":0,"message":`+msg+`,"finish_reason":`+fin+`}]`+extra+`}`, "Content-Type", "application/json")
}

func TestChatResponseQuirks(t *testing.T) {
	big := strings.Repeat("x", 1<<20)
	gz := func(w http.ResponseWriter, r *http.Request) {
		if !strings.Contains(r.Header.Get("Accept-Encoding"), "gzip") {
			raw(200, okBody)(w, r)
			return
		}
		w.Header().Set("Content-Encoding", "gzip")
		w.Header().Set("Content-Type", "application/json")
		zw := gzip.NewWriter(w)
		fmt.Fprint(zw, okBody)
		zw.Close()
	}
	chunked := func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		f := w.(http.Flusher)
		for i := 0; i < len(okBody); i += 17 {
			fmt.Fprint(w, okBody[i:min(i+17, len(okBody))])
			f.Flush() // no Content-Length: chunked
		}
	}
	usage := `,"usage":{"prompt_tokens":5,"completion_tokens":6}`
	tests := []struct {
		name     string
		steps    []http.HandlerFunc // one per attempt; the last repeats
		text     string
		finish   string
		tokens   [2]int
		attempts int
		perm     bool     // want ErrPermanent
		unavail  bool     // want ErrUnavailable
		errHas   []string // in the error
	}{
		{name: "content null, reasoning_content set", steps: []http.HandlerFunc{choice(`{"role":"assistant","content":null,"reasoning_content":"R"}`, `"stop"`, usage)},
			text: "<think>\nR\n</think>\n", finish: "stop", tokens: [2]int{5, 6}, attempts: 1},
		{name: "reasoning cut off by max_tokens", steps: []http.HandlerFunc{choice(`{"role":"assistant","content":null,"reasoning_content":"R"}`, `"length"`, usage)},
			text: "<think>\nR", finish: "length", tokens: [2]int{5, 6}, attempts: 1},
		{name: "reasoning and content", steps: []http.HandlerFunc{choice(`{"role":"assistant","content":"A","reasoning_content":"R"}`, `"stop"`, usage)},
			text: "<think>\nR\n</think>\nA", finish: "stop", tokens: [2]int{5, 6}, attempts: 1},
		{name: "vLLM reasoning field", steps: []http.HandlerFunc{choice(`{"role":"assistant","content":"A","reasoning":"R"}`, `"stop"`, usage)},
			text: "<think>\nR\n</think>\nA", finish: "stop", tokens: [2]int{5, 6}, attempts: 1},
		{name: "finish_reason null", steps: []http.HandlerFunc{choice(`{"content":"A"}`, `null`, usage)}, text: "A", finish: "", tokens: [2]int{5, 6}, attempts: 1},
		// Nothing said and no finish_reason: nothing shows the generation
		// ended, so it is no trace (retried); an empty text that says how
		// it ended is one.
		{name: "empty content, no finish_reason, then ok", steps: []http.HandlerFunc{choice(`{"content":""}`, `null`, ""), raw(200, okBody)}, text: "ok \\boxed{1}", finish: "stop", tokens: [2]int{3, 4}, attempts: 2},
		{name: "content null, no finish_reason, on every attempt", steps: []http.HandlerFunc{choice(`{"content":null}`, `null`, usage)}, attempts: 3, unavail: true, errHas: []string{"empty message and no finish_reason"}},
		{name: "empty content that stopped", steps: []http.HandlerFunc{choice(`{"content":""}`, `"stop"`, usage)}, text: "", finish: "stop", tokens: [2]int{5, 6}, attempts: 1},
		{name: "finish_reason length", steps: []http.HandlerFunc{choice(`{"content":"A"}`, `"length"`, usage)}, text: "A", finish: "length", tokens: [2]int{5, 6}, attempts: 1},
		{name: "finish_reason stop with SGLang matched_stop", steps: []http.HandlerFunc{raw(200, `{"object":"chat.completion","model":"m","choices":[{"index":0,"message":{"role":"assistant","content":"A","reasoning_content":null,"tool_calls":null},"logprobs":null,"finish_reason":"stop","matched_stop":151643}],"usage":{"prompt_tokens":1,"completion_tokens":2,"total_tokens":3,"prompt_tokens_details":null}}`)},
			text: "A", finish: "stop", tokens: [2]int{1, 2}, attempts: 1},
		{name: "finish_reason as an object", steps: []http.HandlerFunc{choice(`{"content":"A"}`, `{"type":"stop","matched":151643}`, usage)}, text: "A", finish: "stop", tokens: [2]int{5, 6}, attempts: 1},
		{name: "finish_reason abort then stop", steps: []http.HandlerFunc{choice(`{"content":""}`, `"abort"`, usage), choice(`{"content":"A"}`, `"stop"`, usage)},
			text: "A", finish: "stop", tokens: [2]int{5, 6}, attempts: 2},
		{name: "5xx then abort on the last attempt is unavailable, not a bad item", steps: []http.HandlerFunc{raw(500, "oops"), raw(503, "busy"), choice(`{"content":""}`, `"abort"`, usage)},
			attempts: 3, unavail: true, errHas: []string{"abort"}},
		{name: "usage missing", steps: []http.HandlerFunc{choice(`{"content":"A"}`, `"stop"`, "")}, text: "A", finish: "stop", attempts: 1},
		{name: "usage null", steps: []http.HandlerFunc{choice(`{"content":"A"}`, `"stop"`, `,"usage":null`)}, text: "A", finish: "stop", attempts: 1},
		{name: "unknown fields everywhere", steps: []http.HandlerFunc{choice(`{"content":"A","refusal":null,"annotations":[],"audio":{"x":1}}`, `"stop"`, usage+`,"system_fingerprint":"fp","service_tier":"default","metadata":{"weight":1.5,"list":[1,"a",null]},"prompt_logprobs":null`)},
			text: "A", finish: "stop", tokens: [2]int{5, 6}, attempts: 1},
		{name: "completions-style text", steps: []http.HandlerFunc{raw(200, `{"model":"m","choices":[{"index":0,"text":"A","finish_reason":"stop"}]}`)}, text: "A", finish: "stop", attempts: 1},
		{name: "choices empty then ok", steps: []http.HandlerFunc{raw(200, `{"object":"chat.completion","choices":[]}`), raw(200, okBody)}, text: "ok \\boxed{1}", finish: "stop", tokens: [2]int{3, 4}, attempts: 2},
		{name: "body null then ok", steps: []http.HandlerFunc{raw(200, `null`), raw(200, okBody)}, text: "ok \\boxed{1}", finish: "stop", tokens: [2]int{3, 4}, attempts: 2},
		{name: "empty 200 then ok", steps: []http.HandlerFunc{raw(200, ``), raw(200, okBody)}, text: "ok \\boxed{1}", finish: "stop", tokens: [2]int{3, 4}, attempts: 2},
		{name: "error JSON with 200, SGLang 400", steps: []http.HandlerFunc{raw(200, `{"object":"error","message":"context length exceeded","type":"BadRequestError","param":null,"code":400}`)},
			attempts: 1, perm: true, errHas: []string{"context length exceeded"}},
		{name: "error JSON with 200, OpenAI string code", steps: []http.HandlerFunc{raw(200, `{"error":{"message":"maximum context length is 4096 tokens","type":"invalid_request_error","param":"messages","code":"context_length_exceeded"}}`)},
			attempts: 1, perm: true, errHas: []string{"maximum context length"}},
		{name: "error JSON with 200, overloaded then ok", steps: []http.HandlerFunc{raw(200, `{"error":{"message":"overloaded","type":"server_error","code":null}}`), raw(200, okBody)},
			text: "ok \\boxed{1}", finish: "stop", tokens: [2]int{3, 4}, attempts: 2},
		{name: "HTML 502 from a proxy then ok", steps: []http.HandlerFunc{raw(502, "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx</center></body></html>", "Content-Type", "text/html"), raw(200, okBody)},
			text: "ok \\boxed{1}", finish: "stop", tokens: [2]int{3, 4}, attempts: 2},
		{name: "HTML 503 always", steps: []http.HandlerFunc{raw(503, "<html><body><h1>503 Service Unavailable</h1></body></html>", "Content-Type", "text/html")},
			attempts: 3, unavail: true, errHas: []string{"503", "Service Unavailable"}},
		{name: "408 from a proxy then ok", steps: []http.HandlerFunc{raw(408, "timeout"), raw(200, okBody)}, text: "ok \\boxed{1}", finish: "stop", tokens: [2]int{3, 4}, attempts: 2},
		{name: "429 Retry-After seconds then ok", steps: []http.HandlerFunc{raw(429, `{"error":{"message":"rate limited"}}`, "Retry-After", "1"), raw(200, okBody)}, text: "ok \\boxed{1}", finish: "stop", tokens: [2]int{3, 4}, attempts: 2},
		{name: "429 Retry-After date then ok", steps: []http.HandlerFunc{func(w http.ResponseWriter, r *http.Request) {
			raw(429, "slow down", "Retry-After", time.Now().Add(3*time.Second).UTC().Format(http.TimeFormat))(w, r)
		}, raw(200, okBody)}, text: "ok \\boxed{1}", finish: "stop", tokens: [2]int{3, 4}, attempts: 2},
		{name: "400 context length", steps: []http.HandlerFunc{raw(400, `{"object":"error","message":"Requested token count exceeds the model's maximum context length of 4096 tokens.","type":"BadRequestError","param":null,"code":400}`)},
			attempts: 1, perm: true, errHas: []string{"400", "maximum context length"}},
		{name: "401 bad key", steps: []http.HandlerFunc{raw(401, `{"error":"Unauthorized"}`)}, attempts: 1, perm: true, errHas: []string{"401", "Unauthorized"}},
		{name: "gzip-encoded body", steps: []http.HandlerFunc{gz}, text: "ok \\boxed{1}", finish: "stop", tokens: [2]int{3, 4}, attempts: 1},
		{name: "chunked transfer", steps: []http.HandlerFunc{chunked}, text: "ok \\boxed{1}", finish: "stop", tokens: [2]int{3, 4}, attempts: 1},
		{name: "1 MB content", steps: []http.HandlerFunc{choice(`{"content":"`+big+`"}`, `"length"`, usage)}, text: big, finish: "length", tokens: [2]int{5, 6}, attempts: 1},
		{name: "non-UTF-8 bytes", steps: []http.HandlerFunc{choice("{\"content\":\"a\xff\xfeb\"}", `"stop"`, usage)}, text: "a\ufffd\ufffdb", finish: "stop", tokens: [2]int{5, 6}, attempts: 1},
		{name: "Content-Type missing", steps: []http.HandlerFunc{func(w http.ResponseWriter, r *http.Request) {
			w.Header()["Content-Type"] = nil // no sniffing either
			fmt.Fprint(w, okBody)
		}}, text: "ok \\boxed{1}", finish: "stop", tokens: [2]int{3, 4}, attempts: 1},
		{name: "Content-Type text/plain", steps: []http.HandlerFunc{raw(200, okBody, "Content-Type", "text/plain")}, text: "ok \\boxed{1}", finish: "stop", tokens: [2]int{3, 4}, attempts: 1},
		{name: "usage as floats and strings", steps: []http.HandlerFunc{choice(`{"content":"A"}`, `"stop"`, `,"usage":{"prompt_tokens":5.0,"completion_tokens":"6","total_tokens":null}`)}, text: "A", finish: "stop", tokens: [2]int{5, 6}, attempts: 1},
		{name: "content as a list of text parts", steps: []http.HandlerFunc{choice(`{"content":[{"type":"text","text":"A"},{"type":"text","text":"B"}]}`, `"stop"`, usage)}, text: "AB", finish: "stop", tokens: [2]int{5, 6}, attempts: 1},
		{name: "fields of unexpected types", steps: []http.HandlerFunc{raw(200, `{"object":["chat"],"model":{"name":"m"},"choices":[{"index":"0","message":{"role":1,"content":"A"},"finish_reason":"stop"}],"usage":{"prompt_tokens":[1],"completion_tokens":{}}}`)}, text: "A", finish: "stop", attempts: 1},
		{name: "streamed although stream is false", steps: []http.HandlerFunc{raw(200, "data: {\"model\":\"m\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"reasoning_content\":\"R\"}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"A\"}}]}\n\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"B\"},\"finish_reason\":\"stop\"}]}\n\ndata: {\"choices\":[],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":6}}\n\ndata: [DONE]\n\n", "Content-Type", "text/event-stream")},
			text: "<think>\nR\n</think>\nAB", finish: "stop", tokens: [2]int{5, 6}, attempts: 1},
		{name: "stream cut short then ok", steps: []http.HandlerFunc{raw(200, "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"A\"}}]}\n\n", "Content-Type", "text/event-stream"), raw(200, okBody)},
			text: "ok \\boxed{1}", finish: "stop", tokens: [2]int{3, 4}, attempts: 2},
		{name: "byte order mark", steps: []http.HandlerFunc{raw(200, "\ufeff"+okBody)}, text: "ok \\boxed{1}", finish: "stop", tokens: [2]int{3, 4}, attempts: 1},
		// A choice with nothing in it is not an empty generation: retried.
		{name: "choice null then ok", steps: []http.HandlerFunc{raw(200, `{"object":"chat.completion","choices":[null]}`), raw(200, okBody)}, text: "ok \\boxed{1}", finish: "stop", tokens: [2]int{3, 4}, attempts: 2},
		{name: "choice without message then ok", steps: []http.HandlerFunc{raw(200, `{"object":"chat.completion","choices":[{"index":0,"finish_reason":"stop"}],"usage":{"prompt_tokens":1,"completion_tokens":0}}`), raw(200, okBody)}, text: "ok \\boxed{1}", finish: "stop", tokens: [2]int{3, 4}, attempts: 2},
		{name: "message null then ok", steps: []http.HandlerFunc{choice(`null`, `"stop"`, usage), raw(200, okBody)}, text: "ok \\boxed{1}", finish: "stop", tokens: [2]int{3, 4}, attempts: 2},
		{name: "always a choice without message", steps: []http.HandlerFunc{raw(200, `{"choices":[{}]}`)}, attempts: 3, unavail: true, errHas: []string{"no message"}},
		{name: "message with content null and nothing else is an empty generation", steps: []http.HandlerFunc{choice(`{"role":"assistant","content":null}`, `"length"`, usage)}, text: "", finish: "length", tokens: [2]int{5, 6}, attempts: 1},
		{name: "whole answer in delta although not streamed", steps: []http.HandlerFunc{raw(200, `{"object":"chat.completion.chunk","model":"m","choices":[{"index":0,"delta":{"role":"assistant","reasoning_content":"R","content":"A"},"finish_reason":"stop"}],"usage":{"prompt_tokens":5,"completion_tokens":6}}`)},
			text: "<think>\nR\n</think>\nA", finish: "stop", tokens: [2]int{5, 6}, attempts: 1},
		// A generation that ended in a server error is not a trace.
		{name: "finish_reason error then stop", steps: []http.HandlerFunc{choice(`{"content":"partial"}`, `"error"`, usage), choice(`{"content":"A"}`, `"stop"`, usage)}, text: "A", finish: "stop", tokens: [2]int{5, 6}, attempts: 2},
		{name: "finish_reason error on every attempt", steps: []http.HandlerFunc{choice(`{"content":"partial"}`, `"error"`, usage)}, attempts: 3, perm: true, errHas: []string{`finish_reason "error" on all 3 attempts`}},
		// Other servers' words for stop and length (TGI, Anthropic-style
		// proxies) are recorded in OpenAI's, which merge reads.
		{name: "finish_reason eos_token (TGI)", steps: []http.HandlerFunc{choice(`{"content":"A"}`, `"eos_token"`, usage)}, text: "A", finish: "stop", tokens: [2]int{5, 6}, attempts: 1},
		{name: "finish_reason stop_sequence (TGI)", steps: []http.HandlerFunc{choice(`{"content":"A"}`, `"stop_sequence"`, usage)}, text: "A", finish: "stop", tokens: [2]int{5, 6}, attempts: 1},
		{name: "finish_reason end_turn", steps: []http.HandlerFunc{choice(`{"content":"A"}`, `"end_turn"`, usage)}, text: "A", finish: "stop", tokens: [2]int{5, 6}, attempts: 1},
		{name: "finish_reason max_tokens", steps: []http.HandlerFunc{choice(`{"content":"A"}`, `"max_tokens"`, usage)}, text: "A", finish: "length", tokens: [2]int{5, 6}, attempts: 1},
		{name: "finish_reason upper case", steps: []http.HandlerFunc{choice(`{"content":"A"}`, `" STOP "`, usage)}, text: "A", finish: "stop", tokens: [2]int{5, 6}, attempts: 1},
		// Any 2xx carries the answer (a proxy may say 203).
		{name: "203 from a transforming proxy", steps: []http.HandlerFunc{raw(203, okBody)}, text: "ok \\boxed{1}", finish: "stop", tokens: [2]int{3, 4}, attempts: 1},
		{name: "504 from a proxy says what to raise", steps: []http.HandlerFunc{raw(504, "<html><head><title>504 Gateway Time-out</title></head><body><h1>504 Gateway Time-out</h1></body></html>", "Content-Type", "text/html")},
			attempts: 3, unavail: true, errHas: []string{"504 Gateway Time-out", "proxy_read_timeout"}},
		{name: "finish_reason content_filter kept", steps: []http.HandlerFunc{choice(`{"content":"A"}`, `"content_filter"`, usage)}, text: "A", finish: "content_filter", tokens: [2]int{5, 6}, attempts: 1},
		// usage and message of unexpected types do not make the answer
		// unreadable (its text is all that counts).
		{name: "usage as a string", steps: []http.HandlerFunc{choice(`{"content":"A"}`, `"stop"`, `,"usage":"n/a"`)}, text: "A", finish: "stop", attempts: 1},
		{name: "usage as a list", steps: []http.HandlerFunc{choice(`{"content":"A"}`, `"stop"`, `,"usage":[5,6]`)}, text: "A", finish: "stop", attempts: 1},
		{name: "usage with only completion_tokens", steps: []http.HandlerFunc{choice(`{"content":"A"}`, `"stop"`, `,"usage":{"completion_tokens":6}`)}, text: "A", finish: "stop", tokens: [2]int{0, 6}, attempts: 1},
		{name: "message as a bare string", steps: []http.HandlerFunc{choice(`"A"`, `"stop"`, usage)}, text: "A", finish: "stop", tokens: [2]int{5, 6}, attempts: 1},
		{name: "message as a number then ok", steps: []http.HandlerFunc{choice(`42`, `"stop"`, usage), raw(200, okBody)}, text: "ok \\boxed{1}", finish: "stop", tokens: [2]int{3, 4}, attempts: 2},
		// Streamed (server-sent events) although stream is false, with the
		// comment or event lines SSE allows before the data.
		{name: "streamed with a comment line first", steps: []http.HandlerFunc{raw(200, ": keep-alive\n\nevent: message\ndata: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"A\"},\"finish_reason\":\"stop\"}],\"usage\":{\"prompt_tokens\":5,\"completion_tokens\":6}}\n\ndata: [DONE]\n\n", "Content-Type", "text/event-stream")},
			text: "A", finish: "stop", tokens: [2]int{5, 6}, attempts: 1},
		{name: "HTML 502 says its title", steps: []http.HandlerFunc{raw(502, "<!DOCTYPE html>\n<html>\n<head><title>502 Bad Gateway</title><style>body{color:red}</style></head>\n<body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx/1.25.3</center></body></html>", "Content-Type", "text/html")},
			attempts: 3, unavail: true, errHas: []string{"server answered 502 Bad Gateway: 502 Bad Gateway nginx/1.25.3"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var n atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
					http.NotFound(w, r)
					return
				}
				i := int(n.Add(1)) - 1
				tt.steps[min(i, len(tt.steps)-1)](w, r)
			}))
			defer srv.Close()
			c, err := NewClient(Options{Endpoint: srv.URL, MaxRetries: 2, RetryBase: time.Millisecond, RetryMax: 20 * time.Millisecond, RequestTimeout: 5 * time.Second})
			if err != nil {
				t.Fatal(err)
			}
			start := time.Now()
			res, err := c.Chat(t.Context(), ChatRequest{Model: "m", Messages: []Message{{Role: "user", Content: "q"}}})
			if time.Since(start) > 2*time.Second {
				t.Errorf("took %s: Retry-After not capped at retry_max?", time.Since(start))
			}
			if got := int(n.Load()); got != tt.attempts {
				t.Errorf("server saw %d attempts, want %d", got, tt.attempts)
			}
			switch {
			case tt.perm || tt.unavail:
				if tt.perm && !errors.Is(err, ErrPermanent) || tt.unavail && !errors.Is(err, ErrUnavailable) {
					t.Fatalf("err = %v, want permanent=%v unavailable=%v", err, tt.perm, tt.unavail)
				}
				for _, s := range tt.errHas {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q lacks %q", err, s)
					}
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
				return
			case err != nil:
				t.Fatalf("err = %v", err)
			}
			if res.Text != tt.text {
				t.Errorf("text = %.80q, want %.80q", res.Text, tt.text)
			}
			if res.FinishReason != tt.finish || res.PromptTokens != tt.tokens[0] || res.CompletionTokens != tt.tokens[1] || res.Attempts != tt.attempts {
				t.Errorf("got finish %q tokens %d/%d attempts %d; want %q %v %d", res.FinishReason, res.PromptTokens, res.CompletionTokens, res.Attempts, tt.finish, tt.tokens, tt.attempts)
			}
		})
	}
}
