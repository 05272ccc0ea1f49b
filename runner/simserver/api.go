package simserver

import (
	"bytes"
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"math/rand/v2"
	"mime"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Handler returns the HTTP API: SGLang's native endpoints (/health,
// /health_generate, /get_model_info, /get_server_info, /generate) and the
// OpenAI-compatible ones (/v1/models, /v1/chat/completions).
func (s *Server) Handler() http.Handler {
	s.handlerMu.Do(func() {
		mux := http.NewServeMux()
		mux.HandleFunc("GET /health", s.handleHealth)
		mux.HandleFunc("GET /health_generate", s.handleHealth)
		mux.HandleFunc("GET /get_model_info", s.handleModelInfo)
		mux.HandleFunc("GET /get_server_info", s.handleServerInfo)
		mux.HandleFunc("GET /v1/models", s.handleModels)
		mux.HandleFunc("GET /v1/models/{model...}", s.handleModel)
		mux.HandleFunc("POST /v1/chat/completions", s.handleChat)
		mux.HandleFunc("POST /generate", s.handleGenerate)
		mux.HandleFunc("PUT /generate", s.handleGenerate)
		// FastAPI's answers for a known path with the wrong method and
		// for an unknown path.
		for _, path := range []string{"/health", "/health_generate", "/get_model_info", "/get_server_info", "/v1/models", "/v1/chat/completions", "/generate"} {
			mux.HandleFunc(path, func(w http.ResponseWriter, r *http.Request) {
				writeJSON(w, http.StatusMethodNotAllowed, map[string]string{"detail": "Method Not Allowed"})
			})
		}
		mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
			writeJSON(w, http.StatusNotFound, map[string]string{"detail": "Not Found"})
		})
		s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			select {
			case <-s.crashed:
				dropConn(w) // a crashed server answers nothing
				return
			default:
			}
			mux.ServeHTTP(w, r)
		})
	})
	return s.handler
}

// marshal encodes v as JSON without escaping <, > and & (as SGLang's
// orjson does not), without a trailing newline.
func marshal(v any) ([]byte, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(buf.Bytes(), []byte("\n")), nil
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := marshal(v)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(b)
}

// errorResponse is SGLang's (and vLLM's) OpenAI-style error body.
type errorResponse struct {
	Object  string  `json:"object"`
	Message string  `json:"message"`
	Type    string  `json:"type"`
	Param   *string `json:"param"`
	Code    int     `json:"code"`
}

func writeError(w http.ResponseWriter, code int, msg, typ string) {
	writeJSON(w, code, errorResponse{Object: "error", Message: msg, Type: typ, Code: code})
}

// writeGenerateError is the error body of SGLang's native /generate.
func writeGenerateError(w http.ResponseWriter, code int, msg string) {
	writeJSON(w, code, map[string]any{"error": map[string]string{"message": msg}})
}

func (s *Server) handleHealth(w http.ResponseWriter, r *http.Request) {
	select {
	case <-s.stopping:
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	default:
	}
	if s.loading() {
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	w.WriteHeader(http.StatusOK)
}

func (s *Server) handleModelInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"model_path":                s.cfg.Model,
		"tokenizer_path":            s.cfg.Model,
		"is_generation":             true,
		"preferred_sampling_params": nil,
		"weight_version":            "default",
		"simulator":                 true,
	})
}

func (s *Server) handleServerInfo(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{
		"model_path":           s.cfg.Model,
		"served_model_name":    s.cfg.Model,
		"max_running_requests": s.cfg.MaxRunningRequests,
		"context_length":       s.cfg.ContextLength,
		"version":              "distillery-sim",
		"simulator":            true,
		"time_scale":           s.cfg.TimeScale,
	})
}

type modelCard struct {
	ID          string  `json:"id"`
	Object      string  `json:"object"`
	Created     int64   `json:"created"`
	OwnedBy     string  `json:"owned_by"`
	Root        string  `json:"root"`
	Parent      *string `json:"parent"`
	MaxModelLen int     `json:"max_model_len"`
}

func (s *Server) card() modelCard {
	return modelCard{ID: s.cfg.Model, Object: "model", Created: s.start.Unix(), OwnedBy: "sglang", Root: s.cfg.Model, MaxModelLen: s.cfg.ContextLength}
}

func (s *Server) handleModels(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]any{"object": "list", "data": []modelCard{s.card()}})
}

func (s *Server) handleModel(w http.ResponseWriter, r *http.Request) {
	if m := r.PathValue("model"); m != s.cfg.Model {
		writeJSON(w, http.StatusNotFound, map[string]any{"error": map[string]any{
			"message": fmt.Sprintf("The model '%s' does not exist", m),
			"type":    "invalid_request_error", "param": "model", "code": "model_not_found",
		}})
		return
	}
	writeJSON(w, http.StatusOK, s.card())
}

// chatRequest is the part of an OpenAI chat completion request the
// simulator reads; other fields are accepted and ignored.
type chatRequest struct {
	Messages            *[]chatMessage `json:"messages"`
	Model               *string        `json:"model"`
	MaxTokens           *int           `json:"max_tokens"`
	MaxCompletionTokens *int           `json:"max_completion_tokens"`
	N                   *int           `json:"n"`
	Temperature         *float64       `json:"temperature"`
	TopP                *float64       `json:"top_p"`
	Seed                *int64         `json:"seed"`
	Stream              bool           `json:"stream"`
	StreamOptions       *struct {
		IncludeUsage bool `json:"include_usage"`
	} `json:"stream_options"`
}

type chatMessage struct {
	Role    string          `json:"role"`
	Content json.RawMessage `json:"content"`
}

// text is the message's text: a string, or the text parts of a list.
func (m chatMessage) text() (string, error) {
	c := bytes.TrimSpace(m.Content)
	if len(c) == 0 || bytes.Equal(c, []byte("null")) {
		return "", nil
	}
	if c[0] == '"' {
		var s string
		err := json.Unmarshal(c, &s)
		return s, err
	}
	var parts []struct {
		Type string `json:"type"`
		Text string `json:"text"`
	}
	if err := json.Unmarshal(c, &parts); err != nil {
		return "", fmt.Errorf("content must be a string or a list of content parts")
	}
	var b strings.Builder
	for _, p := range parts {
		if p.Type == "text" {
			b.WriteString(p.Text)
		}
	}
	return b.String(), nil
}

var validRoles = map[string]bool{"system": true, "user": true, "assistant": true, "tool": true, "function": true, "developer": true}

type chatMessageOut struct {
	Role             string  `json:"role"`
	Content          string  `json:"content"`
	ReasoningContent *string `json:"reasoning_content"`
	ToolCalls        any     `json:"tool_calls"`
}

type chatChoice struct {
	Index        int            `json:"index"`
	Message      chatMessageOut `json:"message"`
	Logprobs     any            `json:"logprobs"`
	FinishReason string         `json:"finish_reason"`
	MatchedStop  any            `json:"matched_stop"`
}

type usageInfo struct {
	PromptTokens        int `json:"prompt_tokens"`
	TotalTokens         int `json:"total_tokens"`
	CompletionTokens    int `json:"completion_tokens"`
	PromptTokensDetails any `json:"prompt_tokens_details"`
	ReasoningTokens     int `json:"reasoning_tokens"`
}

type chatResponse struct {
	ID       string            `json:"id"`
	Object   string            `json:"object"`
	Created  int64             `json:"created"`
	Model    string            `json:"model"`
	Choices  []chatChoice      `json:"choices"`
	Usage    usageInfo         `json:"usage"`
	Metadata map[string]string `json:"metadata"`
}

func matchedStop(c completion) any {
	if c.FinishReason == "stop" {
		return eosTokenID
	}
	return nil
}

func (s *Server) handleChat(w http.ResponseWriter, r *http.Request) {
	if mt, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type")); mt != "application/json" {
		writeError(w, http.StatusBadRequest, "[{'loc': ['header', 'content-type'], 'msg': \"Unsupported Media Type: Only 'application/json' is allowed\", 'type': 'value_error'}]", "Bad Request")
		return
	}
	var req chatRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("[{'type': 'json_invalid', 'loc': ('body',), 'msg': 'JSON decode error', 'ctx': {'error': %q}}]", err.Error()), "Bad Request")
		return
	}
	if req.Messages == nil {
		writeError(w, http.StatusBadRequest, "[{'type': 'missing', 'loc': ('body', 'messages'), 'msg': 'Field required'}]", "Bad Request")
		return
	}
	if len(*req.Messages) == 0 {
		writeError(w, http.StatusBadRequest, "Messages cannot be empty.", "BadRequestError")
		return
	}
	var prompt strings.Builder
	promptTokens := 2 // the chat template's start and generation prompt
	for i, m := range *req.Messages {
		if !validRoles[strings.ToLower(m.Role)] {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("[{'type': 'value_error', 'loc': ('body', 'messages', %d, 'role'), 'msg': \"Value error, 'role' must be one of 'system', 'assistant', 'tool', 'function', 'developer', 'user'\"}]", i), "Bad Request")
			return
		}
		t, err := m.text()
		if err != nil {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("messages[%d]: %v", i, err), "Bad Request")
			return
		}
		if prompt.Len() > 0 {
			prompt.WriteString("\n\n")
		}
		prompt.WriteString(t)
		promptTokens += countTokens(t) + 4
	}
	n := 1
	if req.N != nil {
		n = *req.N
	}
	if n < 1 || n > 128 {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("n must be between 1 and 128, got %d", n), "BadRequestError")
		return
	}
	maxTokens := s.cfg.ContextLength - promptTokens
	if req.MaxCompletionTokens != nil {
		maxTokens = *req.MaxCompletionTokens
	} else if req.MaxTokens != nil {
		maxTokens = *req.MaxTokens
	}
	if maxTokens <= 0 {
		writeError(w, http.StatusBadRequest, "max_tokens must be positive", "BadRequestError")
		return
	}
	if promptTokens+maxTokens > s.cfg.ContextLength {
		writeError(w, http.StatusBadRequest, fmt.Sprintf(
			"Requested token count exceeds the model's maximum context length of %d tokens. You requested a total of %d tokens: %d tokens from the input messages and %d tokens for the completion. Please reduce the number of tokens in the input messages or the completion to fit within the limit.",
			s.cfg.ContextLength, promptTokens+maxTokens, promptTokens, maxTokens), "BadRequestError")
		return
	}
	if !s.admit(w, r, func(msg string) { writeError(w, http.StatusServiceUnavailable, msg, "ServiceUnavailable") }) {
		return
	}
	began := time.Now()
	// SGLang echoes the request's model; the simulator reports its own
	// name (sim.model, "distillery-sim..."), so that every record it
	// answered says it came from the simulator, not from the model the
	// run asked for.
	model := s.cfg.Model
	id := "chatcmpl-" + randomHex(16)
	if req.Stream {
		s.streamChat(w, r, id, model, prompt.String(), promptTokens, maxTokens, n, req.Seed, req.StreamOptions != nil && req.StreamOptions.IncludeUsage)
		return
	}
	comps, err := s.complete(r.Context(), prompt.String(), promptTokens, maxTokens, n, req.Seed, nil)
	if err != nil {
		s.abandon(w, err)
		return
	}
	created := time.Now().Unix()
	usage := usageInfo{PromptTokens: promptTokens}
	for _, c := range comps {
		usage.CompletionTokens += c.CompletionTokens
	}
	usage.TotalTokens = usage.PromptTokens + usage.CompletionTokens
	s.completed.Add(1)
	s.logger.Debug("sim-server: chat completion", "n", n, "prompt_tokens", promptTokens, "completion_tokens", usage.CompletionTokens, "latency", time.Since(began))
	resp := chatResponse{ID: id, Object: "chat.completion", Created: created, Model: model, Usage: usage, Metadata: map[string]string{"weight_version": "default"}}
	for i, c := range comps {
		resp.Choices = append(resp.Choices, chatChoice{
			Index:        i,
			Message:      chatMessageOut{Role: "assistant", Content: c.Text},
			FinishReason: c.FinishReason,
			MatchedStop:  matchedStop(c),
		})
	}
	writeJSON(w, http.StatusOK, resp)
}

// streamChat answers a chat completion as OpenAI chat.completion.chunk
// server-sent events while the completions are "decoded", then
// data: [DONE].
func (s *Server) streamChat(w http.ResponseWriter, r *http.Request, id, model, prompt string, promptTokens, maxTokens, n int, seed *int64, includeUsage bool) {
	type delta struct {
		Role    string  `json:"role,omitempty"`
		Content *string `json:"content,omitempty"`
	}
	type choice struct {
		Index        int     `json:"index"`
		Delta        delta   `json:"delta"`
		Logprobs     any     `json:"logprobs"`
		FinishReason *string `json:"finish_reason"`
		MatchedStop  any     `json:"matched_stop"`
	}
	type chunk struct {
		ID      string     `json:"id"`
		Object  string     `json:"object"`
		Created int64      `json:"created"`
		Model   string     `json:"model"`
		Choices []choice   `json:"choices"`
		Usage   *usageInfo `json:"usage"`
	}
	created := time.Now().Unix()
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-cache")
	w.WriteHeader(http.StatusOK)
	rc := http.NewResponseController(w)
	send := func(choices []choice, usage *usageInfo) {
		b, _ := marshal(chunk{ID: id, Object: "chat.completion.chunk", Created: created, Model: model, Choices: choices, Usage: usage})
		fmt.Fprintf(w, "data: %s\n\n", b)
		rc.Flush()
	}
	comps, err := s.complete(r.Context(), prompt, promptTokens, maxTokens, n, seed, func(ev streamEvent) {
		switch {
		case ev.Start:
			empty := ""
			send([]choice{{Index: ev.Index, Delta: delta{Role: "assistant", Content: &empty}}}, nil)
		case ev.End != nil:
			fr := ev.End.FinishReason
			send([]choice{{Index: ev.Index, FinishReason: &fr, MatchedStop: matchedStop(*ev.End)}}, nil)
		default:
			piece := ev.Piece
			send([]choice{{Index: ev.Index, Delta: delta{Content: &piece}}}, nil)
		}
	})
	if err != nil {
		return // the client left or the server stops: the stream just ends
	}
	s.completed.Add(1)
	if includeUsage {
		usage := usageInfo{PromptTokens: promptTokens}
		for _, c := range comps {
			usage.CompletionTokens += c.CompletionTokens
		}
		usage.TotalTokens = usage.PromptTokens + usage.CompletionTokens
		send([]choice{}, &usage)
	}
	fmt.Fprint(w, "data: [DONE]\n\n")
	rc.Flush()
}

// admit turns requests away while loading, counts the request and injects
// faults. It reports whether the request goes on.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, unavailable func(msg string)) bool {
	if left := s.ReadyIn(); left > 0 {
		unavailable(fmt.Sprintf("The server is still loading the model (simulated; ready in %s).", left.Round(time.Millisecond)))
		return false
	}
	select {
	case <-s.stopping:
		unavailable("The server is shutting down.")
		return false
	default:
	}
	n := s.requests.Add(1)
	f, code := s.drawFault(n)
	return !s.injectFault(w, r, f, code)
}

// abandon ends a request whose client went away or whose server stops.
func (s *Server) abandon(w http.ResponseWriter, err error) {
	if errors.Is(err, errStopping) {
		writeError(w, http.StatusServiceUnavailable, "The server is shutting down.", "ServiceUnavailable")
		return
	}
	// The client is gone; nobody reads an answer.
}

// prefillTokensPerSecond is the simulated prompt processing speed.
const prefillTokensPerSecond = 10000

// streamEvent is one step of a streamed completion.
type streamEvent struct {
	Index int         // which of the n completions
	Start bool        // the completion is decoding its first token
	Piece string      // text decoded since the last event
	End   *completion // the completion is done
}

// streamPiece is how many bytes of text a streamed event carries.
const streamPiece = 256

// complete produces n completions for a prompt, each holding one slot for
// its simulated prefill and decode time. With emit, the text is handed out
// piece by piece as it is "decoded"; emit is called from several
// goroutines, never at once.
func (s *Server) complete(ctx context.Context, prompt string, promptTokens, maxTokens, n int, seed *int64, emit func(streamEvent)) ([]completion, error) {
	comps := make([]completion, n)
	judgeMode := isJudgePrompt(prompt)
	if judgeMode {
		rationale, verdict, understood := judge(prompt)
		if !understood {
			s.unparsed.Add(1)
		}
		text := rationale + "\n\nVerdict: " + verdict
		c := completion{Text: text, FinishReason: "stop", CompletionTokens: countTokens(text), Answer: verdict}
		if c.CompletionTokens > maxTokens {
			c = completion{Text: cutRunes(text, maxTokens*charsPerToken), FinishReason: "length", CompletionTokens: maxTokens}
		}
		for i := range comps {
			comps[i] = c
		}
	} else {
		p, ok := s.index.lookup(prompt)
		key, problemText, gold := p.UUID, p.Problem, strings.TrimSpace(p.Answer)
		if !ok {
			h := fnv.New64a()
			h.Write([]byte(prompt))
			key = "prompt:" + strconv.FormatUint(h.Sum64(), 16)
			problemText = prompt
			gold = strconv.Itoa(int(h.Sum64()%97) + 2)
			s.unmatched.Add(int64(n))
		} else if key == "" {
			key = "text:" + normalizeText(p.Problem)
		}
		base := 0
		if seed == nil {
			base = s.nextIndices(key, n)
		}
		for i := range comps {
			var r *rand.Rand
			if seed != nil {
				r = newRand(s.cfg.Seed, key, "seed", strconv.FormatInt(*seed, 10), strconv.Itoa(i))
			} else {
				r = newRand(s.cfg.Seed, key, strconv.Itoa(base+i))
			}
			kind := s.shares.draw(r)
			length := drawLength(r, s.cfg.MeanCompletionTokens, s.cfg.LengthSigma)
			comps[i] = writeCompletion(r, problemText, gold, kind, length, maxTokens)
		}
	}
	var emitMu sync.Mutex
	send := func(ev streamEvent) {
		emitMu.Lock()
		defer emitMu.Unlock()
		emit(ev)
	}
	seconds := func(tokens float64, perSecond float64) time.Duration {
		return time.Duration(float64(time.Second) * tokens / perSecond)
	}
	var wg sync.WaitGroup
	errs := make([]error, n)
	for i := range comps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if err := s.acquire(ctx); err != nil {
				errs[i] = err
				return
			}
			defer s.release()
			if err := s.sleep(ctx, seconds(float64(promptTokens), prefillTokensPerSecond)); err != nil {
				errs[i] = err
				return
			}
			c := &comps[i]
			if emit == nil {
				errs[i] = s.sleep(ctx, seconds(float64(c.CompletionTokens), s.cfg.TokensPerSecond))
				return
			}
			send(streamEvent{Index: i, Start: true})
			for off := 0; off < len(c.Text); {
				end := len(c.Text)
				if off+streamPiece < end {
					end = len(cutRunes(c.Text, off+streamPiece))
					if end <= off {
						end = off + streamPiece
					}
				}
				if err := s.sleep(ctx, seconds(float64(end-off)/charsPerToken, s.cfg.TokensPerSecond)); err != nil {
					errs[i] = err
					return
				}
				send(streamEvent{Index: i, Piece: c.Text[off:end]})
				off = end
			}
			send(streamEvent{Index: i, End: c})
		}()
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	s.generations.Add(int64(n))
	s.promptTok.Add(int64(promptTokens))
	for _, c := range comps {
		s.complTok.Add(int64(c.CompletionTokens))
		switch {
		case judgeMode:
			s.judged.Add(1)
		case c.FinishReason == "length":
			s.lengthCut.Add(1)
		default:
			s.kinds[c.Kind].Add(1)
		}
	}
	return comps, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(rand.UintN(256))
	}
	return hex.EncodeToString(b)
}

// generateRequest is the part of SGLang's native /generate request the
// simulator reads.
type generateRequest struct {
	Text           json.RawMessage `json:"text"`
	InputIDs       json.RawMessage `json:"input_ids"`
	SamplingParams *struct {
		MaxNewTokens *int `json:"max_new_tokens"`
		N            *int `json:"n"`
	} `json:"sampling_params"`
	Stream bool            `json:"stream"`
	Rid    json.RawMessage `json:"rid"`
}

type generateFinish struct {
	Type    string `json:"type"`
	Matched any    `json:"matched,omitempty"`
	Length  int    `json:"length,omitempty"`
}

type generateOutput struct {
	Text     string         `json:"text"`
	MetaInfo map[string]any `json:"meta_info"`
}

func (s *Server) handleGenerate(w http.ResponseWriter, r *http.Request) {
	var req generateRequest
	if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
		writeGenerateError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return
	}
	var texts []string
	batch := false
	promptTokens := []int{}
	switch t := bytes.TrimSpace(req.Text); {
	case len(t) > 0 && t[0] == '"':
		var s string
		json.Unmarshal(t, &s)
		texts = []string{s}
	case len(t) > 0 && t[0] == '[':
		if err := json.Unmarshal(t, &texts); err != nil {
			writeGenerateError(w, http.StatusBadRequest, "text must be a string or a list of strings")
			return
		}
		batch = true
	default:
		ids := bytes.TrimSpace(req.InputIDs)
		if len(ids) == 0 || bytes.Equal(ids, []byte("null")) {
			writeGenerateError(w, http.StatusBadRequest, "Either text, input_ids or input_embeds should be provided.")
			return
		}
		var one []int
		if err := json.Unmarshal(ids, &one); err == nil {
			texts = []string{""}
			promptTokens = []int{len(one)}
		} else {
			var many [][]int
			if err := json.Unmarshal(ids, &many); err != nil {
				writeGenerateError(w, http.StatusBadRequest, "input_ids must be a list of token ids or a list of lists")
				return
			}
			batch = true
			for _, m := range many {
				texts = append(texts, "")
				promptTokens = append(promptTokens, len(m))
			}
		}
	}
	if len(promptTokens) == 0 {
		for _, t := range texts {
			promptTokens = append(promptTokens, countTokens(t)+1)
		}
	}
	maxNew, n := 128, 1 // SGLang's defaults
	if sp := req.SamplingParams; sp != nil {
		if sp.MaxNewTokens != nil {
			maxNew = *sp.MaxNewTokens
		}
		if sp.N != nil {
			n = *sp.N
		}
	}
	if maxNew < 0 || n < 1 {
		writeGenerateError(w, http.StatusBadRequest, "max_new_tokens must be at least 0 and n at least 1")
		return
	}
	for _, pt := range promptTokens {
		if pt+maxNew > s.cfg.ContextLength {
			writeGenerateError(w, http.StatusBadRequest, fmt.Sprintf("Requested token count exceeds the model's maximum context length of %d tokens. You requested a total of %d tokens: %d tokens from the input messages and %d tokens for the completion. Please reduce the number of tokens in the input messages or the completion to fit within the limit.", s.cfg.ContextLength, pt+maxNew, pt, maxNew))
			return
		}
	}
	if !s.admit(w, r, func(msg string) { writeGenerateError(w, http.StatusServiceUnavailable, msg) }) {
		return
	}
	began := time.Now()
	var outs []generateOutput
	for i, t := range texts {
		comps := []completion{{FinishReason: "length"}}
		if maxNew > 0 {
			var err error
			comps, err = s.complete(r.Context(), t, promptTokens[i], maxNew, n, nil, nil)
			if err != nil {
				s.abandon(w, err)
				return
			}
		}
		for _, c := range comps {
			fin := generateFinish{Type: c.FinishReason}
			if c.FinishReason == "stop" {
				fin.Matched = eosTokenID
			} else {
				fin.Length = c.CompletionTokens
			}
			outs = append(outs, generateOutput{Text: c.Text, MetaInfo: map[string]any{
				"id":                randomHex(16),
				"finish_reason":     fin,
				"prompt_tokens":     promptTokens[i],
				"completion_tokens": c.CompletionTokens,
				"cached_tokens":     0,
				"weight_version":    "default",
				"e2e_latency":       time.Since(began).Seconds(),
			}})
		}
	}
	s.completed.Add(1)
	if req.Stream {
		w.Header().Set("Content-Type", "text/event-stream")
		w.WriteHeader(http.StatusOK)
		for _, o := range outs {
			b, _ := marshal(o)
			fmt.Fprintf(w, "data: %s\n\n", b)
		}
		fmt.Fprint(w, "data: [DONE]\n\n")
		return
	}
	if !batch && len(outs) == 1 {
		writeJSON(w, http.StatusOK, outs[0])
		return
	}
	writeJSON(w, http.StatusOK, outs)
}
