package openaitest

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Fault is what goes wrong below the chat protocol.
type Fault int

const (
	NoFault Fault = iota
	// Reset: the connection is reset (RST) before any answer.
	Reset
	// Drop: the connection is closed before any answer (EOF).
	Drop
	// Hang: no answer until the client gives up or the server stops.
	Hang
	// HeadersThenHang: the status line and headers, then nothing.
	HeadersThenHang
	// Truncate: Content-Length announces the whole answer; half of it
	// comes, then the connection closes.
	Truncate
	// CloseAfter: the whole answer over a keep-alive connection, which
	// is closed a moment later without a word (the client's pooled
	// connection is stale when it reuses it).
	CloseAfter
	// Chunked: the answer in chunks of 50 bytes, with no Content-Type.
	Chunked
	// Drip: the answer one byte at a time, one every Reply.Delay.
	Drip
	// StreamCut: a streamed answer stops before its last chunk and
	// [DONE], and the connection closes.
	StreamCut
)

// Reply is the script's answer to one chat request. The zero Reply is a
// complete answer with DefaultContent.
type Reply struct {
	Status int               // 0: 200
	Header map[string]string // extra headers (Retry-After, Content-Type)
	// Error, when set, is answered as the dialect's error object with
	// this message; its "code" is ErrorCode, else Status (0: 200).
	Error     string
	ErrorCode int
	// Body, when set, is sent as is (another dialect, HTML, anything);
	// the fields below are then ignored.
	Body string
	// Content is the message content ("" with Reasoning or Finish set:
	// content null). Reasoning is the split-off reasoning.
	Content, Reasoning string
	Finish             string // finish_reason; "" is "stop"
	Model              string // the answer's "model"; "" echoes the request
	NoChoices          bool   // "choices": []
	NoUsage            bool   // no "usage"
	// PromptTokens and CompletionTokens are the usage reported; 0:
	// estimated from the text (about four characters a token).
	PromptTokens, CompletionTokens int
	Stream                         bool // answer as server-sent events even if not asked
	// Delay holds the answer back (Drip: the pause between bytes); Wait
	// holds it until the channel is closed. Both end early when the
	// client gives up.
	Delay time.Duration
	Wait  <-chan struct{}
	Fault Fault
}

func (rep Reply) status() int {
	if rep.Status == 0 {
		return http.StatusOK
	}
	return rep.Status
}

// complete says whether rep is a whole generated answer.
func (rep Reply) complete() bool {
	switch rep.Fault {
	case NoFault, CloseAfter, Chunked, Drip:
	default:
		return false
	}
	return rep.status() == http.StatusOK && rep.Error == "" && rep.Body == "" && !rep.NoChoices && rep.Finish != "abort"
}

// send writes rep and says whether it was a complete answer.
func (s *Server) send(w http.ResponseWriter, r *http.Request, req *Request, rep Reply) bool {
	for k, v := range rep.Header {
		w.Header().Set(k, v)
	}
	switch rep.Fault {
	case Reset, Drop:
		if conn, _, ok := s.hijack(w); ok {
			if tc, ok := conn.(*net.TCPConn); ok && rep.Fault == Reset {
				tc.SetLinger(0)
			}
			s.release(conn)
		}
		return false
	case Hang: // the connection is taken over: nothing is ever written
		if conn, _, ok := s.hijack(w); ok {
			gone := make(chan struct{})
			go func() { io.Copy(io.Discard, conn); close(gone) }()
			select {
			case <-gone:
			case <-s.done():
			}
			s.release(conn)
		}
		return false
	case HeadersThenHang:
		w.WriteHeader(rep.status())
		http.NewResponseController(w).Flush()
		s.wait(r.Context())
		return false
	}
	if rep.Error == "" && rep.Body == "" && (req.Stream || rep.Stream) {
		return s.stream(w, r, req, rep)
	}
	body, ctype := s.render(req, rep)
	if w.Header().Get("Content-Type") == "" {
		w.Header().Set("Content-Type", ctype)
	}
	switch rep.Fault {
	case Truncate, CloseAfter:
		conn, brw, ok := s.hijack(w)
		if !ok {
			return false
		}
		n := len(body)
		if rep.Fault == Truncate {
			n /= 2
		}
		fmt.Fprintf(brw, "HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n", rep.status(), http.StatusText(rep.status()), w.Header().Get("Content-Type"), len(body))
		for k, v := range rep.Header {
			if k != "Content-Type" {
				fmt.Fprintf(brw, "%s: %s\r\n", k, v)
			}
		}
		fmt.Fprintf(brw, "\r\n%s", body[:n])
		brw.Flush()
		if rep.Fault == Truncate {
			s.release(conn)
			return false
		}
		time.AfterFunc(time.Millisecond, func() { s.release(conn) })
		return rep.complete()
	case Chunked:
		w.Header()["Content-Type"] = nil
		w.WriteHeader(rep.status())
		for i := 0; i < len(body); i += 50 {
			io.WriteString(w, body[i:min(i+50, len(body))])
			http.NewResponseController(w).Flush()
		}
		return rep.complete()
	case Drip:
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.WriteHeader(rep.status())
		rc := http.NewResponseController(w)
		for i := range len(body) {
			if _, err := io.WriteString(w, body[i:i+1]); err != nil {
				return false
			}
			rc.Flush()
			select {
			case <-time.After(rep.Delay):
			case <-r.Context().Done():
				return false
			case <-s.done():
				return false
			}
		}
		return rep.complete()
	}
	w.WriteHeader(rep.status())
	io.WriteString(w, body)
	return rep.complete()
}

// render is rep's body as the dialect writes it, and its content type.
func (s *Server) render(req *Request, rep Reply) (string, string) {
	if rep.Body != "" {
		return rep.Body, "application/json"
	}
	if rep.Error != "" {
		code := rep.ErrorCode
		if code == 0 {
			code = rep.status()
		}
		return string(marshal(s.errorObject(code, rep.Error))), "application/json"
	}
	return string(marshal(s.completion(req, rep))), "application/json"
}

// errorObject is the dialect's error body.
func (s *Server) errorObject(code int, msg string) any {
	typ := map[int]string{400: "BadRequestError", 404: "NotFoundError", 429: "RateLimitError", 500: "InternalServerError", 503: "ServiceUnavailableError"}[code]
	if typ == "" {
		typ = http.StatusText(code)
	}
	if s.cfg.Dialect == Proxy {
		return orderedMap{{"error", orderedMap{{"message", msg}, {"type", "invalid_request_error"}, {"param", nil}, {"code", code}}}}
	}
	return orderedMap{{"object", "error"}, {"message", msg}, {"type", typ}, {"param", nil}, {"code", code}}
}

func (s *Server) writeError(w http.ResponseWriter, status, code int, msg string) {
	if code == 0 {
		code = status
	}
	writeJSON(w, status, s.errorObject(code, msg))
}

// orderedMap keeps a JSON object's fields in the order written, as the
// servers' serialisers do.
type orderedMap []field

type field struct {
	k string
	v any
}

func (m orderedMap) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, f := range m {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, marshal(f.k)...)
		b = append(b, ':')
		b = append(b, marshal(f.v)...)
	}
	return append(b, '}'), nil
}

// nullable is s, or JSON null when s is empty.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func (s *Server) answerModel(req *Request, rep Reply) string {
	switch {
	case rep.Model != "":
		return rep.Model
	case req.Model != "":
		return req.Model
	}
	return "default" // what SGLang reports when the request names none
}

func (rep Reply) content() string {
	if rep.Content == "" && rep.Reasoning == "" && rep.Finish == "" {
		return DefaultContent
	}
	return rep.Content
}

func (rep Reply) finish() string {
	if rep.Finish == "" {
		return "stop"
	}
	return rep.Finish
}

// matchedStop is SGLang's matched_stop: the EOS token id for "stop".
func (rep Reply) matchedStop() any {
	if rep.finish() == "stop" {
		return 151645
	}
	return nil
}

func (s *Server) usage(req *Request, rep Reply) orderedMap {
	prompt := 8
	for _, m := range req.Messages {
		prompt += len(m.Content)/4 + 4
	}
	completion := (len(rep.content())+len(rep.Reasoning))/4 + 1
	if rep.PromptTokens > 0 {
		prompt = rep.PromptTokens
	}
	if rep.CompletionTokens > 0 {
		completion = rep.CompletionTokens
	}
	return orderedMap{{"prompt_tokens", prompt}, {"total_tokens", prompt + completion}, {"completion_tokens", completion}, {"prompt_tokens_details", nil}}
}

// completion is a non-streamed chat.completion in the dialect.
func (s *Server) completion(req *Request, rep Reply) orderedMap {
	choices := []any{}
	if !rep.NoChoices {
		for i := range req.N {
			choices = append(choices, s.choice(i, rep))
		}
	}
	out := orderedMap{{"id", fmt.Sprintf("chatcmpl-%08x", req.Seq)}, {"object", "chat.completion"}, {"created", time.Now().Unix()},
		{"model", s.answerModel(req, rep)}, {"choices", choices}}
	if !rep.NoUsage {
		out = append(out, field{"usage", s.usage(req, rep)})
	}
	switch s.cfg.Dialect {
	case SGLang:
		out = append(out, field{"metadata", map[string]string{"weight_version": "default"}})
	case VLLM:
		out = append(out, field{"prompt_logprobs", nil})
	}
	return out
}

func (s *Server) choice(i int, rep Reply) orderedMap {
	msg := orderedMap{{"role", "assistant"}, {"content", nullable(rep.content())}}
	switch s.cfg.Dialect {
	case SGLang:
		msg = append(msg, field{"reasoning_content", nullable(rep.Reasoning)}, field{"tool_calls", nil})
		return orderedMap{{"index", i}, {"message", msg}, {"logprobs", nil}, {"finish_reason", rep.finish()}, {"matched_stop", rep.matchedStop()}}
	case VLLM:
		msg = append(msg, field{"reasoning", nullable(rep.Reasoning)}, field{"tool_calls", []any{}})
		return orderedMap{{"index", i}, {"message", msg}, {"logprobs", nil}, {"finish_reason", rep.finish()}, {"stop_reason", nil}}
	}
	msg = append(msg, field{"refusal", nil})
	if rep.Reasoning != "" {
		msg = append(msg, field{"reasoning_content", rep.Reasoning})
	}
	return orderedMap{{"index", i}, {"message", msg}, {"logprobs", nil}, {"finish_reason", rep.finish()}}
}

// stream answers as chat.completion.chunk server-sent events: the role,
// the reasoning and the content in pieces, the finish, the usage when
// asked for, then data: [DONE].
func (s *Server) stream(w http.ResponseWriter, r *http.Request, req *Request, rep Reply) bool {
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(rep.status())
	rc := http.NewResponseController(w)
	id, created, model := fmt.Sprintf("chatcmpl-%08x", req.Seq), time.Now().Unix(), s.answerModel(req, rep)
	send := func(choices []any, usage any) bool {
		chunk := orderedMap{{"id", id}, {"object", "chat.completion.chunk"}, {"created", created}, {"model", model}, {"choices", choices}}
		if s.cfg.Dialect == SGLang || usage != nil {
			chunk = append(chunk, field{"usage", usage})
		}
		_, err := fmt.Fprintf(w, "data: %s\n\n", marshal(chunk))
		rc.Flush()
		return err == nil && r.Context().Err() == nil
	}
	reasoningKey := "reasoning_content"
	if s.cfg.Dialect == VLLM {
		reasoningKey = "reasoning"
	}
	delta := func(i int, k, v string) any {
		return orderedMap{{"index", i}, {"delta", orderedMap{{k, v}}}, {"logprobs", nil}, {"finish_reason", nil}}
	}
	pieces := func(s string) []string {
		var out []string
		for len(s) > 0 {
			n := min(16, len(s))
			out = append(out, s[:n])
			s = s[n:]
		}
		return out
	}
	for i := range req.N {
		if !send([]any{orderedMap{{"index", i}, {"delta", orderedMap{{"role", "assistant"}, {"content", ""}}}, {"logprobs", nil}, {"finish_reason", nil}}}, nil) {
			return false
		}
	}
	for _, p := range pieces(rep.Reasoning) {
		for i := range req.N {
			if !send([]any{delta(i, reasoningKey, p)}, nil) {
				return false
			}
		}
	}
	for _, p := range pieces(rep.content()) {
		for i := range req.N {
			if !send([]any{delta(i, "content", p)}, nil) {
				return false
			}
		}
	}
	if rep.Fault == StreamCut {
		if conn, _, ok := s.hijack(w); ok {
			s.release(conn)
		}
		return false
	}
	if !rep.NoChoices {
		for i := range req.N {
			fin := orderedMap{{"index", i}, {"delta", orderedMap{}}, {"logprobs", nil}, {"finish_reason", rep.finish()}}
			if s.cfg.Dialect == SGLang {
				fin = append(fin, field{"matched_stop", rep.matchedStop()})
			}
			if !send([]any{fin}, nil) {
				return false
			}
		}
	}
	if req.IncludeUsage && !rep.NoUsage {
		if !send([]any{}, s.usage(req, rep)) {
			return false
		}
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	rc.Flush()
	return rep.complete()
}

// marshal encodes v as JSON without escaping <, > and & (as SGLang's
// orjson and vLLM's serialisers do not).
func marshal(v any) []byte {
	var b jsonBuffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		panic(fmt.Sprintf("openaitest: encoding %T: %v", v, err))
	}
	return b.bytes()
}

type jsonBuffer struct{ b []byte }

func (j *jsonBuffer) Write(p []byte) (int, error) { j.b = append(j.b, p...); return len(p), nil }
func (j *jsonBuffer) bytes() []byte {
	if n := len(j.b); n > 0 && j.b[n-1] == '\n' {
		return j.b[:n-1]
	}
	return j.b
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(marshal(v))
}
