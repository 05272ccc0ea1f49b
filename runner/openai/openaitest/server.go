package openaitest

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// Dialect is the kind of server the fake plays.
type Dialect int

const (
	// SGLang: every endpoint; answers with reasoning_content,
	// matched_stop and metadata; errors as {"object":"error",...}.
	SGLang Dialect = iota
	// VLLM: /health, /v1/models and chat only; the split-off reasoning
	// is "reasoning", choices carry stop_reason.
	VLLM
	// Proxy: /v1/models and chat only, OpenAI's own field set; errors
	// as {"error":{...}}.
	Proxy
)

// Config says how the server behaves before any script runs.
type Config struct {
	Dialect Dialect
	// Model is the model the server serves (/v1/models,
	// /get_model_info); chat answers echo the request's model.
	// Default "openaitest/model".
	Model string
	// Reply scripts the chat answers; nil answers every request with
	// DefaultContent. SetReply changes it while the server runs.
	Reply func(*Request) Reply
	// Refuse: the port refuses connections this long after New (a
	// server still starting).
	Refuse time.Duration
	// Warmup: then /health and /health_generate answer 503 this long
	// (a model loading), and chat requests get 503 too.
	Warmup time.Duration
}

// DefaultContent is the answer given when no script says otherwise.
const DefaultContent = `So the answer is \boxed{7}.`

// Server is a running fake. Its counters are safe for concurrent use.
type Server struct {
	cfg   Config
	addr  string
	t     testing.TB
	ready time.Time // health is 200 from then on

	reply  atomic.Pointer[func(*Request) Reply]
	health atomic.Int64 // forced health status; 0: by Warmup

	requests atomic.Int64
	answered atomic.Int64
	inflight atomic.Int64
	maxInfl  atomic.Int64

	mu        sync.Mutex
	srv       *http.Server
	hijacked  map[net.Conn]bool
	perPrompt map[string]int // prompt -> requests seen
	answers   map[string]int // prompt -> complete answers given
	log       []Request
	stopped   chan struct{} // closed by Stop, made again by Start
	timer     *time.Timer
}

// New starts a server on a loopback port (or, with cfg.Refuse, reserves
// the port and listens on it later) and stops it when the test ends.
func New(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Model == "" {
		cfg.Model = "openaitest/model"
	}
	s := &Server{cfg: cfg, t: t, hijacked: map[net.Conn]bool{}, perPrompt: map[string]int{}, answers: map[string]int{}, stopped: make(chan struct{})}
	s.SetReply(cfg.Reply)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("openaitest: listening: %v", err)
	}
	s.addr = ln.Addr().String()
	s.ready = time.Now().Add(cfg.Refuse + cfg.Warmup)
	if cfg.Refuse > 0 {
		ln.Close() // refused while starting
		s.mu.Lock()
		s.timer = time.AfterFunc(cfg.Refuse, func() { s.Start() })
		s.mu.Unlock()
	} else {
		s.serve(ln)
	}
	t.Cleanup(s.Stop)
	return s
}

// URL is the server's base URL, http://127.0.0.1:port with no path.
func (s *Server) URL() string { return "http://" + s.addr }

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// Handler is the server's HTTP handler, to mount on another server
// (httptest.NewTLSServer for https).
func (s *Server) Handler() http.Handler { return http.HandlerFunc(s.handle) }

// SetReply replaces the chat script; nil answers with DefaultContent.
func (s *Server) SetReply(f func(*Request) Reply) {
	if f == nil {
		f = func(*Request) Reply { return Reply{} }
	}
	s.reply.Store(&f)
}

// SetHealth forces the status of /health, /health_generate and, when it
// is not 200, /v1/models; 0 goes back to Config.Warmup's rule.
func (s *Server) SetHealth(code int) { s.health.Store(int64(code)) }

// Requests is the number of chat requests received.
func (s *Server) Requests() int64 { return s.requests.Load() }

// Answered is the number of complete answers given: status 200 with at
// least one choice whose finish_reason is not "abort", delivered whole
// (a script's raw Body is not counted: the script knows what it sent).
func (s *Server) Answered() int64 { return s.answered.Load() }

// MaxInFlight is the largest number of chat requests served at once.
func (s *Server) MaxInFlight() int64 { return s.maxInfl.Load() }

// AnsweredFor returns the number of complete answers per prompt (the last
// message's content).
func (s *Server) AnsweredFor() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]int, len(s.answers))
	for k, v := range s.answers {
		out[k] = v
	}
	return out
}

// Log returns the chat requests received, in order of arrival.
func (s *Server) Log() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.log...)
}

func (s *Server) serve(ln net.Listener) {
	srv := &http.Server{Handler: s.Handler(), ReadHeaderTimeout: 10 * time.Second}
	s.mu.Lock()
	s.srv = srv
	s.mu.Unlock()
	go srv.Serve(ln)
}

// Stop closes the listener and every connection, hijacked ones too, and
// ends the hanging requests: the port refuses until Start.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.timer != nil {
		s.timer.Stop()
		s.timer = nil
	}
	if s.srv == nil {
		return
	}
	s.srv.Close() // first: a handler that ends now writes to a closed connection
	s.srv = nil
	select {
	case <-s.stopped:
	default:
		close(s.stopped)
	}
	for c := range s.hijacked {
		c.Close()
	}
	clear(s.hijacked)
}

// Start listens on the same port again after Stop (a restart). It waits
// a second at most for the port to be free.
func (s *Server) Start() {
	var ln net.Listener
	var err error
	for range 100 {
		if ln, err = net.Listen("tcp", s.addr); err == nil {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		s.t.Errorf("openaitest: restarting on %s: %v", s.addr, err)
		return
	}
	s.mu.Lock()
	select {
	case <-s.stopped:
		s.stopped = make(chan struct{})
	default:
	}
	s.mu.Unlock()
	s.serve(ln)
}

// done is closed when the server stops.
func (s *Server) done() <-chan struct{} {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.stopped
}

func (s *Server) healthStatus() int {
	if c := s.health.Load(); c != 0 {
		return int(c)
	}
	if time.Now().Before(s.ready) {
		return http.StatusServiceUnavailable
	}
	return http.StatusOK
}

func (s *Server) handle(w http.ResponseWriter, r *http.Request) {
	d := s.cfg.Dialect
	path := r.URL.Path
	switch {
	case path == "/v1/chat/completions" && r.Method == http.MethodPost:
		s.chat(w, r)
	case (path == "/health" && d != Proxy) || (path == "/health_generate" && d == SGLang):
		w.WriteHeader(s.healthStatus())
	case path == "/v1/models" && r.Method == http.MethodGet:
		if code := s.healthStatus(); code != http.StatusOK {
			w.WriteHeader(code)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []any{s.modelCard()}})
	case path == "/get_model_info" && d == SGLang:
		writeJSON(w, http.StatusOK, map[string]any{
			"model_path": s.cfg.Model, "tokenizer_path": s.cfg.Model, "is_generation": true,
			"preferred_sampling_params": nil, "weight_version": "default",
		})
	case path == "/get_server_info" && d == SGLang:
		writeJSON(w, http.StatusOK, map[string]any{
			"model_path": s.cfg.Model, "served_model_name": s.cfg.Model, "tp_size": 8,
			"max_running_requests": 64, "context_length": 32768, "version": "0.4.6.post1",
			"internal_states": []any{map[string]any{"last_gen_throughput": 1200.5}},
		})
	case d == Proxy:
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{"message": "Not Found", "type": "invalid_request_error", "param": nil, "code": nil}})
	default: // FastAPI's answer for an unknown path
		writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not Found"})
	}
}

func (s *Server) modelCard() map[string]any {
	owner := map[Dialect]string{SGLang: "sglang", VLLM: "vllm", Proxy: "system"}[s.cfg.Dialect]
	card := map[string]any{"id": s.cfg.Model, "object": "model", "created": time.Now().Unix(), "owned_by": owner}
	if s.cfg.Dialect != Proxy {
		card["root"], card["parent"], card["max_model_len"] = s.cfg.Model, nil, 32768
	}
	return card
}

// Message is one chat message of a request.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Request is a chat request as the script sees it.
type Request struct {
	Seq          int           // 0 for the first chat request, across restarts
	Attempt      int           // earlier requests with the same Prompt
	Model        string        // as requested
	Messages     []Message     // as requested
	Prompt       string        // the last message's content
	N            int           // choices asked for (1 when absent)
	Stream       bool          // "stream": true
	IncludeUsage bool          // "stream_options": {"include_usage": true}
	Body         []byte        // the raw request body
	HTTP         *http.Request // the request itself (its Context ends when the client gives up)
}

func (s *Server) chat(w http.ResponseWriter, r *http.Request) {
	s.requests.Add(1)
	cur := s.inflight.Add(1)
	defer s.inflight.Add(-1)
	for m := s.maxInfl.Load(); cur > m && !s.maxInfl.CompareAndSwap(m, cur); m = s.maxInfl.Load() {
	}
	req, err := s.parse(r)
	if err != nil {
		s.writeError(w, http.StatusBadRequest, 0, err.Error())
		return
	}
	if time.Now().Before(s.ready) && s.health.Load() == 0 {
		s.writeError(w, http.StatusServiceUnavailable, 0, "The server is not ready yet (loading the model)")
		return
	}
	rep := (*s.reply.Load())(req)
	if rep.Wait != nil {
		select {
		case <-rep.Wait:
		case <-r.Context().Done():
			return
		case <-s.done():
			return
		}
	}
	if rep.Delay > 0 && rep.Fault != Drip {
		select {
		case <-time.After(rep.Delay):
		case <-r.Context().Done():
			return
		case <-s.done():
			return
		}
	}
	if s.send(w, r, req, rep) {
		s.answered.Add(1)
		s.mu.Lock()
		s.answers[req.Prompt]++
		s.mu.Unlock()
	}
}

// parse reads a chat request the way SGLang's pydantic model does, as far
// as the tests need: messages required and not empty, content a string or
// a list of text parts.
func (s *Server) parse(r *http.Request) (*Request, error) {
	var raw struct {
		Model    string `json:"model"`
		Messages *[]struct {
			Role    string          `json:"role"`
			Content json.RawMessage `json:"content"`
		} `json:"messages"`
		N             *int `json:"n"`
		Stream        bool `json:"stream"`
		StreamOptions *struct {
			IncludeUsage bool `json:"include_usage"`
		} `json:"stream_options"`
	}
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return nil, fmt.Errorf("reading the request body: %v", err)
	}
	if err := json.Unmarshal(body, &raw); err != nil {
		return nil, fmt.Errorf("JSON decode error: %v", err)
	}
	if raw.Messages == nil || len(*raw.Messages) == 0 {
		return nil, fmt.Errorf("Messages cannot be empty.")
	}
	req := &Request{Model: raw.Model, N: 1, Stream: raw.Stream, Body: body, HTTP: r}
	if raw.N != nil {
		req.N = *raw.N
	}
	if req.N < 1 {
		return nil, fmt.Errorf("n must be at least 1, got %d", req.N)
	}
	req.IncludeUsage = raw.StreamOptions != nil && raw.StreamOptions.IncludeUsage
	for i, m := range *raw.Messages {
		text, err := contentText(m.Content)
		if err != nil {
			return nil, fmt.Errorf("messages[%d].content: %v", i, err)
		}
		req.Messages = append(req.Messages, Message{Role: m.Role, Content: text})
	}
	req.Prompt = req.Messages[len(req.Messages)-1].Content
	s.mu.Lock()
	req.Seq = len(s.log)
	req.Attempt = s.perPrompt[req.Prompt]
	s.perPrompt[req.Prompt]++
	s.log = append(s.log, *req)
	s.mu.Unlock()
	return req, nil
}

func contentText(c json.RawMessage) (string, error) {
	if len(c) == 0 || string(c) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(c, &s); err == nil {
		return s, nil
	}
	var parts []struct{ Type, Text string }
	if err := json.Unmarshal(c, &parts); err != nil {
		return "", fmt.Errorf("must be a string or a list of content parts")
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "text" {
			b.WriteString(p.Text)
		}
	}
	return b.String(), nil
}

// hijack takes the connection over; Stop closes it.
func (s *Server) hijack(w http.ResponseWriter) (net.Conn, *bufio.ReadWriter, bool) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		return nil, nil, false
	}
	conn, brw, err := hj.Hijack()
	if err != nil {
		return nil, nil, false
	}
	s.mu.Lock()
	s.hijacked[conn] = true
	s.mu.Unlock()
	return conn, brw, true
}

func (s *Server) release(conn net.Conn) {
	conn.Close()
	s.mu.Lock()
	delete(s.hijacked, conn)
	s.mu.Unlock()
}

// wait blocks until the client gives up or the server stops.
func (s *Server) wait(ctx context.Context) {
	select {
	case <-ctx.Done():
	case <-s.done():
	}
}
