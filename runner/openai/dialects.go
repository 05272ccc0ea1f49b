package openai

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// chatResponse is a chat completion, or one chunk of a streamed one. The
// fields are read leniently (flexText, flexInt): a server that sends a
// number as a string or content as a list of text parts is still
// understood, and a field of an unexpected type does not make the whole
// answer unreadable.
type chatResponse struct {
	Object  flexText        `json:"object"`
	Code    json.RawMessage `json:"code"`
	Type    flexText        `json:"type"`
	Error   json.RawMessage `json:"error"`
	Model   flexText        `json:"model"`
	Choices []chatChoice    `json:"choices"`
	Usage   *flexUsage      `json:"usage"`
}

// flexUsage is the usage object; anything but an object reads as no
// counts.
type flexUsage struct {
	PromptTokens     flexInt `json:"prompt_tokens"`
	CompletionTokens flexInt `json:"completion_tokens"`
}

func (u *flexUsage) UnmarshalJSON(b []byte) error {
	type plain flexUsage
	var v plain
	if json.Unmarshal(b, &v) == nil {
		*u = flexUsage(v)
	}
	return nil
}

type chatChoice struct {
	// Message is nil when the answer has none (or null).
	Message *chatMessage `json:"message"`
	// Delta is the message part of a streamed chunk.
	Delta *chatMessage `json:"delta"`
	// Text is where a completions-style server puts the answer.
	Text         flexText        `json:"text"`
	FinishReason json.RawMessage `json:"finish_reason"`
}

type chatMessage struct {
	Content          flexText `json:"content"`
	ReasoningContent flexText `json:"reasoning_content"`
	// Reasoning is vLLM's newer name for reasoning_content.
	Reasoning flexText `json:"reasoning"`
	// ok is set when the message was an object or a bare string (read
	// as its content); a message of another type is no message.
	ok bool
}

func (m *chatMessage) UnmarshalJSON(b []byte) error {
	type plain chatMessage
	var v plain
	if json.Unmarshal(b, &v) == nil {
		*m = chatMessage(v)
		m.ok = true
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		*m = chatMessage{Content: flexText{s: s, set: true}, ok: true}
	}
	return nil
}

// flexText is a JSON string, or a list of {"type": "text", "text": ...}
// parts (joined); null or anything else reads as unset.
type flexText struct {
	s   string
	set bool
}

func (f *flexText) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		f.s, f.set = s, true
		return nil
	}
	var parts []struct {
		Text string `json:"text"`
	}
	if json.Unmarshal(b, &parts) == nil && len(parts) > 0 {
		var sb strings.Builder
		for _, p := range parts {
			sb.WriteString(p.Text)
		}
		f.s, f.set = sb.String(), true
	}
	return nil
}

// flexInt is a JSON number (a float is truncated) or a numeric string;
// anything else reads as 0.
type flexInt int

func (n *flexInt) UnmarshalJSON(b []byte) error {
	var f float64
	if json.Unmarshal(b, &f) == nil {
		*n = flexInt(f)
		return nil
	}
	var s string
	if json.Unmarshal(b, &s) == nil {
		if v, err := strconv.ParseFloat(strings.TrimSpace(s), 64); err == nil {
			*n = flexInt(v)
		}
	}
	return nil
}

// parseChat reads a chat completion answered with a 2xx status.
func parseChat(data []byte) (ChatResult, *attemptError) {
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf")) // a UTF-8 byte order mark
	if t := bytes.TrimSpace(data); isEventStream(t) {
		// A server that streams although asked not to.
		return parseStream(t)
	}
	var cr chatResponse
	if err := json.Unmarshal(data, &cr); err != nil {
		if page := htmlText(data); page != "" {
			// A proxy's error or login page sent with status 200.
			return ChatResult{}, &attemptError{err: fmt.Errorf("answer is an HTML page, not chat completion JSON: %s", page)}
		}
		return ChatResult{}, &attemptError{err: fmt.Errorf("answer is not chat completion JSON: %v", err)}
	}
	if len(cr.Choices) == 0 {
		return ChatResult{}, noChoices(&cr, data)
	}
	ch := cr.Choices[0]
	// The message, or a whole answer sent as one delta, or a
	// completions-style text. A choice with none of them (null, {}, or
	// only a finish_reason) is a broken answer, not an empty generation.
	msg := ch.Message
	if msg == nil || !msg.ok {
		msg = ch.Delta
	}
	if msg != nil && !msg.ok {
		msg = nil
	}
	if msg == nil && !ch.Text.set {
		return ChatResult{}, &attemptError{err: fmt.Errorf("answer's first choice has no message: %s", clip(data, 200))}
	}
	if msg == nil {
		msg = &chatMessage{}
	}
	content := msg.Content
	if !content.set {
		content = ch.Text
	}
	reasoning := msg.ReasoningContent
	if !reasoning.set {
		reasoning = msg.Reasoning
	}
	return finishChat(content.s, reasoning.s, finishReason(ch.FinishReason), &cr)
}

// noChoices explains an answer without choices. Some servers send an
// error object with status 200; its code says whether it is worth
// retrying.
func noChoices(cr *chatResponse, data []byte) *attemptError {
	if cr.Object.s == "error" || (len(cr.Error) > 0 && string(cr.Error) != "null") {
		ae := &attemptError{err: fmt.Errorf("server answered an error: %s", serverMessage(data))}
		ae.permanent = errorIsPermanent(cr.Code, cr.Type.s, cr.Error)
		return ae
	}
	return &attemptError{err: fmt.Errorf("answer has no choices: %s", clip(data, 200))}
}

// finishChat builds the result from the first choice's parts.
func finishChat(content, reasoning, fr string, cr *chatResponse) (ChatResult, *attemptError) {
	if fr == "abort" || fr == "error" {
		// SGLang aborts requests it cannot finish (memory pressure, a
		// server shutting down), vLLM ends one with "error" when its
		// engine fails it; another attempt usually succeeds. What came
		// with it is no trace.
		return ChatResult{}, &attemptError{err: fmt.Errorf("server ended the request with finish_reason %q", fr), aborted: true, finish: fr}
	}
	if content == "" && reasoning == "" && fr == "" {
		// Nothing written and nothing to show the generation ended: a
		// broken answer, not an empty trace.
		return ChatResult{}, &attemptError{err: errors.New("answer has an empty message and no finish_reason")}
	}
	res := ChatResult{FinishReason: fr, Model: cr.Model.s}
	switch {
	case reasoning != "" && content == "" && fr == "length":
		// Cut off while thinking: the model never closed its think
		// block, so neither do we.
		res.Text = "<think>\n" + reasoning
	case reasoning != "":
		res.Text = "<think>\n" + reasoning + "\n</think>\n" + content
	default:
		res.Text = content
	}
	if cr.Usage != nil {
		res.PromptTokens = int(cr.Usage.PromptTokens)
		res.CompletionTokens = int(cr.Usage.CompletionTokens)
	}
	return res, nil
}

// parseStream reads a server-sent-events answer ("data: {chunk}" lines,
// ending with "data: [DONE]"), as a server that ignores "stream": false
// sends it: the deltas of the first choice are joined. A stream cut off
// before its end is an unreadable answer (retried).
func parseStream(data []byte) (ChatResult, *attemptError) {
	var content, reasoning strings.Builder
	var acc chatResponse
	fr, done, chunks := "", false, 0
	for line := range bytes.Lines(data) {
		line = bytes.TrimSpace(line)
		payload, ok := bytes.CutPrefix(line, []byte("data:"))
		if !ok {
			continue
		}
		payload = bytes.TrimSpace(payload)
		if string(payload) == "[DONE]" {
			done = true
			break
		}
		var cr chatResponse
		if err := json.Unmarshal(payload, &cr); err != nil {
			return ChatResult{}, &attemptError{err: fmt.Errorf("streamed answer has a chunk that is not JSON: %v", err)}
		}
		if cr.Object.s == "error" || (len(cr.Error) > 0 && string(cr.Error) != "null") {
			return ChatResult{}, noChoices(&cr, payload)
		}
		chunks++
		if cr.Model.set {
			acc.Model = cr.Model
		}
		if cr.Usage != nil {
			acc.Usage = cr.Usage
		}
		if len(cr.Choices) == 0 {
			continue
		}
		ch := cr.Choices[0]
		for _, m := range []*chatMessage{ch.Delta, ch.Message} {
			if m == nil {
				continue
			}
			content.WriteString(m.Content.s)
			reasoning.WriteString(m.ReasoningContent.s)
			if !m.ReasoningContent.set {
				reasoning.WriteString(m.Reasoning.s)
			}
		}
		content.WriteString(ch.Text.s)
		if f := finishReason(ch.FinishReason); f != "" {
			fr = f
		}
	}
	if !done && fr == "" || chunks == 0 {
		return ChatResult{}, &attemptError{err: errors.New("streamed answer ended before its last chunk")}
	}
	return finishChat(content.String(), reasoning.String(), fr, &acc)
}

// isEventStream reports whether a body is server-sent events: its first
// line is a data, event, id or retry field, or a comment (":"), which
// JSON never starts with.
func isEventStream(t []byte) bool {
	line, _, _ := bytes.Cut(t, []byte("\n"))
	for _, p := range []string{"data:", "event:", "id:", "retry:", ":"} {
		if bytes.HasPrefix(line, []byte(p)) {
			return true
		}
	}
	return false
}

// errorIsPermanent judges an error object sent with status 200 (SGLang's
// and vLLM's {"object": "error", "code": 400, "type": "BadRequestError"},
// OpenAI's {"error": {"code": "context_length_exceeded", "type":
// "invalid_request_error"}}): a 4xx code other than 408/425/429, or a
// request-error type, cannot be fixed by retrying; anything else (a 5xx
// code, an overload, no code at all) may be.
func errorIsPermanent(code json.RawMessage, typ string, errObj json.RawMessage) bool {
	var inner struct {
		Code json.RawMessage `json:"code"`
		Type string          `json:"type"`
	}
	if len(errObj) > 0 && json.Unmarshal(errObj, &inner) == nil {
		if len(code) == 0 || string(code) == "null" {
			code = inner.Code
		}
		if typ == "" {
			typ = inner.Type
		}
	}
	var n int
	if json.Unmarshal(code, &n) != nil {
		var s string
		if json.Unmarshal(code, &s) == nil {
			if v, err := strconv.Atoi(s); err == nil {
				n = v
			} else if s == "context_length_exceeded" || s == "invalid_request_error" {
				return true
			}
		}
	}
	if n != 0 {
		return n >= 400 && n < 500 && !transientStatus(n)
	}
	switch strings.ToLower(typ) {
	case "badrequesterror", "invalid_request_error", "notfounderror", "not_found_error",
		"authenticationerror", "authentication_error", "permissiondeniederror", "permission_error":
		return true
	}
	return false
}

// finishReason reads finish_reason, which OpenAI sends as a string or null
// and some servers as an object {"type": "stop", ...}, in OpenAI's words
// (normalFinish).
func finishReason(raw json.RawMessage) string {
	if len(raw) == 0 || string(raw) == "null" {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return normalFinish(s)
	}
	var o struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(raw, &o) == nil {
		return normalFinish(o.Type)
	}
	return string(raw)
}

// normalFinish writes other servers' words for a finish reason in
// OpenAI's, the ones merge and the dataset use: TGI's "eos_token" and
// "stop_sequence" and Anthropic-style "end_turn" are "stop";
// "max_tokens", "max_length" and "max_new_tokens" are "length". Case
// and spaces do not matter; any other value is kept (lower-cased).
func normalFinish(s string) string {
	s = strings.ToLower(strings.TrimSpace(s))
	switch s {
	case "eos", "eos_token", "stop_sequence", "end_turn":
		return "stop"
	case "max_tokens", "max_length", "max_new_tokens":
		return "length"
	}
	return s
}
