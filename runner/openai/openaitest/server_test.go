package openaitest

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"
)

func post(t *testing.T, c *http.Client, url, body string) (*http.Response, []byte, error) {
	t.Helper()
	resp, err := c.Post(url+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp, b, err
}

const hello = `{"model":"m","messages":[{"role":"system","content":"be brief"},{"role":"user","content":"What is 3+4?"}]}`

// TestDialects: an answer has each dialect's fields, in its order, and
// the endpoints are the ones that server has.
func TestDialects(t *testing.T) {
	for _, tc := range []struct {
		d        Dialect
		want     []string // substrings of the answer, in order
		paths    map[string]int
		errShape string
	}{
		{SGLang, []string{`"object":"chat.completion"`, `"model":"m"`, `"content":"So the answer is \\boxed{7}."`, `"reasoning_content":"hmm"`, `"finish_reason":"stop","matched_stop":151645`, `"usage":{"prompt_tokens"`, `"metadata":{"weight_version":"default"}`},
			map[string]int{"/health": 200, "/health_generate": 200, "/v1/models": 200, "/get_model_info": 200, "/get_server_info": 200, "/nope": 404}, `{"object":"error","message":"too long","type":"BadRequestError","param":null,"code":400}`},
		{VLLM, []string{`"content":"So the answer is \\boxed{7}."`, `"reasoning":"hmm"`, `"finish_reason":"stop","stop_reason":null`, `"prompt_logprobs":null`},
			map[string]int{"/health": 200, "/health_generate": 404, "/v1/models": 200, "/get_model_info": 404}, `{"object":"error"`},
		{Proxy, []string{`"content":"So the answer is \\boxed{7}.","refusal":null`, `"finish_reason":"stop"}`},
			map[string]int{"/health": 404, "/health_generate": 404, "/v1/models": 200, "/get_server_info": 404}, `{"error":{"message":"too long"`},
	} {
		s := New(t, Config{Dialect: tc.d, Reply: func(r *Request) Reply {
			if r.Attempt > 0 {
				return Reply{Status: 400, Error: "too long"}
			}
			return Reply{Content: DefaultContent, Reasoning: "hmm"}
		}})
		_, b, err := post(t, http.DefaultClient, s.URL(), hello)
		if err != nil {
			t.Fatal(err)
		}
		rest := string(b)
		for _, w := range tc.want {
			i := strings.Index(rest, w)
			if i < 0 {
				t.Errorf("dialect %d: %s lacks %s (or not in order)", tc.d, b, w)
				continue
			}
			rest = rest[i+len(w):]
		}
		resp, b, err := post(t, http.DefaultClient, s.URL(), hello)
		if err != nil || resp.StatusCode != 400 || !strings.HasPrefix(string(b), tc.errShape) {
			t.Errorf("dialect %d: error answer %v %s, want 400 %s", tc.d, err, b, tc.errShape)
		}
		for p, code := range tc.paths {
			resp, err := http.Get(s.URL() + p)
			if err != nil || resp.StatusCode != code {
				t.Errorf("dialect %d: GET %s: %v %v, want %d", tc.d, p, resp.Status, err, code)
			}
			resp.Body.Close()
		}
		if s.Answered() != 1 || s.Requests() != 2 || s.AnsweredFor()["What is 3+4?"] != 1 {
			t.Errorf("dialect %d: answered %d of %d, per prompt %v", tc.d, s.Answered(), s.Requests(), s.AnsweredFor())
		}
	}
}

// TestStream: a streamed answer is chat.completion.chunk events whose
// deltas join to the answer, the usage chunk when asked for, then [DONE];
// StreamCut ends it before the finish.
func TestStream(t *testing.T) {
	s := New(t, Config{Reply: func(r *Request) Reply {
		rep := Reply{Content: "The answer is \\boxed{12} after all.", Reasoning: "adding things up carefully", Finish: "length"}
		if r.Attempt > 0 {
			rep.Fault = StreamCut
		}
		return rep
	}})
	body := `{"model":"m","stream":true,"stream_options":{"include_usage":true},"messages":[{"role":"user","content":"q"}]}`
	for attempt := range 2 {
		resp, err := http.Post(s.URL()+"/v1/chat/completions", "application/json", strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		if ct := resp.Header.Get("Content-Type"); ct != "text/event-stream" {
			t.Errorf("Content-Type %q", ct)
		}
		var content, reasoning, finish string
		var usage, done bool
		sc := bufio.NewScanner(resp.Body)
		for sc.Scan() {
			line, ok := strings.CutPrefix(sc.Text(), "data: ")
			if !ok {
				continue
			}
			if line == "[DONE]" {
				done = true
				continue
			}
			var c struct {
				Object  string
				Choices []struct {
					Delta        struct{ Content, Reasoning_content string }
					FinishReason *string `json:"finish_reason"`
				}
				Usage *struct{ Completion_tokens int }
			}
			if err := json.Unmarshal([]byte(line), &c); err != nil || c.Object != "chat.completion.chunk" {
				t.Fatalf("chunk %q: %v", line, err)
			}
			for _, ch := range c.Choices {
				content += ch.Delta.Content
				reasoning += ch.Delta.Reasoning_content
				if ch.FinishReason != nil {
					finish = *ch.FinishReason
				}
			}
			usage = usage || c.Usage != nil && c.Usage.Completion_tokens > 0
		}
		resp.Body.Close()
		if attempt == 0 && (content != "The answer is \\boxed{12} after all." || reasoning != "adding things up carefully" || finish != "length" || !usage || !done) {
			t.Errorf("stream: content %q, reasoning %q, finish %q, usage %v, done %v", content, reasoning, finish, usage, done)
		}
		if attempt == 1 && (finish != "" || done) {
			t.Errorf("cut stream: finish %q, done %v", finish, done)
		}
	}
	if s.Answered() != 1 {
		t.Errorf("answered %d, want 1 (a cut stream is not an answer)", s.Answered())
	}
}

// TestFaults: each fault looks to an HTTP client as it does from a real
// broken server.
func TestFaults(t *testing.T) {
	client := &http.Client{Timeout: 300 * time.Millisecond}
	for _, tc := range []struct {
		name  string
		rep   Reply
		check func(resp *http.Response, body []byte, err error) bool
	}{
		{"reset", Reply{Fault: Reset}, func(_ *http.Response, _ []byte, err error) bool { return err != nil }},
		{"drop", Reply{Fault: Drop}, func(_ *http.Response, _ []byte, err error) bool { return err != nil }},
		{"hang", Reply{Fault: Hang}, func(_ *http.Response, _ []byte, err error) bool {
			return err != nil && strings.Contains(err.Error(), "Timeout")
		}},
		{"headers then hang", Reply{Fault: HeadersThenHang}, func(resp *http.Response, _ []byte, err error) bool {
			return resp != nil && resp.StatusCode == 200 && err != nil
		}},
		{"truncate", Reply{Fault: Truncate}, func(_ *http.Response, b []byte, err error) bool {
			return errors.Is(err, io.ErrUnexpectedEOF) && len(b) > 0
		}},
		{"close after", Reply{Fault: CloseAfter}, func(resp *http.Response, b []byte, err error) bool { return err == nil && json.Valid(b) }},
		{"chunked", Reply{Fault: Chunked}, func(resp *http.Response, b []byte, err error) bool {
			return err == nil && json.Valid(b) && resp.Header.Get("Content-Type") == "" && resp.ContentLength == -1
		}},
		{"drip", Reply{Fault: Drip, Delay: time.Microsecond}, func(resp *http.Response, b []byte, err error) bool { return err == nil && json.Valid(b) }},
		{"429 retry-after", Reply{Status: 429, Header: map[string]string{"Retry-After": "2"}, Error: "slow down"}, func(resp *http.Response, b []byte, err error) bool {
			return err == nil && resp.StatusCode == 429 && resp.Header.Get("Retry-After") == "2" && strings.Contains(string(b), `"slow down"`)
		}},
		{"html 502", Reply{Status: 502, Header: map[string]string{"Content-Type": "text/html"}, Body: "<html>502 Bad Gateway</html>"}, func(resp *http.Response, b []byte, err error) bool {
			return err == nil && resp.StatusCode == 502 && resp.Header.Get("Content-Type") == "text/html" && string(b) == "<html>502 Bad Gateway</html>"
		}},
		{"error object with 200", Reply{Error: "overloaded", ErrorCode: 503}, func(resp *http.Response, b []byte, err error) bool {
			return err == nil && resp.StatusCode == 200 && strings.Contains(string(b), `"code":503`)
		}},
		{"abort", Reply{Finish: "abort"}, func(resp *http.Response, b []byte, err error) bool {
			return err == nil && strings.Contains(string(b), `"content":null`) && strings.Contains(string(b), `"finish_reason":"abort"`)
		}},
		{"no choices", Reply{NoChoices: true}, func(resp *http.Response, b []byte, err error) bool {
			return err == nil && strings.Contains(string(b), `"choices":[]`)
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s := New(t, Config{Reply: func(*Request) Reply { return tc.rep }})
			var resp *http.Response
			var body []byte
			r, err := client.Post(s.URL()+"/v1/chat/completions", "application/json", strings.NewReader(hello))
			if err == nil {
				resp = r
				body, err = io.ReadAll(r.Body)
				r.Body.Close()
			}
			if !tc.check(resp, body, err) {
				t.Errorf("resp %v, body %q, err %v", resp, body, err)
			}
		})
	}
}

// TestStartingLoadingRestart: refused while starting, 503 on health and
// chat while loading, then serving; Stop refuses again and Start serves
// on the same port.
func TestStartingLoadingRestart(t *testing.T) {
	s := New(t, Config{Refuse: 200 * time.Millisecond, Warmup: 200 * time.Millisecond})
	if _, err := http.Get(s.URL() + "/health"); err == nil {
		t.Fatal("connected while starting")
	}
	time.Sleep(300 * time.Millisecond)
	if resp, err := http.Get(s.URL() + "/health_generate"); err != nil || resp.StatusCode != 503 {
		t.Fatalf("while loading: %v %v, want 503", resp, err)
	}
	if resp, _, err := post(t, http.DefaultClient, s.URL(), hello); err != nil || resp.StatusCode != 503 {
		t.Fatalf("chat while loading: %v %v, want 503", resp, err)
	}
	time.Sleep(200 * time.Millisecond)
	if resp, _, err := post(t, http.DefaultClient, s.URL(), hello); err != nil || resp.StatusCode != 200 {
		t.Fatalf("chat when loaded: %v %v", resp, err)
	}
	s.Stop()
	c := &http.Client{Transport: &http.Transport{}}
	if _, _, err := post(t, c, s.URL(), hello); err == nil {
		t.Fatal("answered while stopped")
	}
	s.Start()
	if resp, _, err := post(t, c, s.URL(), hello); err != nil || resp.StatusCode != 200 {
		t.Fatalf("after restart: %v %v", resp, err)
	}
	s.SetHealth(503)
	if resp, err := http.Get(s.URL() + "/v1/models"); err != nil || resp.StatusCode != 503 {
		t.Fatalf("forced health: %v %v", resp, err)
	}
}

// TestScript: Seq and Attempt number the requests, Wait holds an answer
// until released, Stop ends a hang, and the in-flight peak is counted.
func TestScript(t *testing.T) {
	release := make(chan struct{})
	s := New(t, Config{Reply: func(r *Request) Reply {
		if r.Prompt == "hang" {
			return Reply{Fault: Hang}
		}
		return Reply{Content: r.Prompt, Wait: release}
	}})
	var wg sync.WaitGroup
	for _, p := range []string{"a", "b", "a"} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			post(t, http.DefaultClient, s.URL(), `{"messages":[{"role":"user","content":"`+p+`"}]}`)
		}()
	}
	for s.inflight.Load() < 3 {
		time.Sleep(time.Millisecond)
	}
	close(release)
	wg.Wait()
	attempts := map[string][]int{}
	for i, r := range s.Log() {
		if r.Seq != i {
			t.Errorf("request %d has Seq %d", i, r.Seq)
		}
		attempts[r.Prompt] = append(attempts[r.Prompt], r.Attempt)
	}
	if len(attempts["a"]) != 2 || attempts["a"][0]+attempts["a"][1] != 1 || s.MaxInFlight() != 3 || s.Answered() != 3 {
		t.Errorf("attempts %v, max in flight %d, answered %d", attempts, s.MaxInFlight(), s.Answered())
	}
	errc := make(chan error, 1)
	go func() {
		_, _, err := post(t, http.DefaultClient, s.URL(), `{"messages":[{"role":"user","content":"hang"}]}`)
		errc <- err
	}()
	for s.inflight.Load() < 1 {
		time.Sleep(time.Millisecond)
	}
	s.Stop()
	select {
	case err := <-errc:
		if err == nil {
			t.Error("a hang ended by Stop gave an answer")
		}
	case <-time.After(5 * time.Second):
		t.Fatal("Stop did not end a hanging request")
	}
}

// A script's token counts are the usage reported; without them the usage
// is estimated from the text.
func TestScriptedUsage(t *testing.T) {
	s := New(t, Config{Reply: func(r *Request) Reply {
		if r.Attempt == 0 {
			return Reply{PromptTokens: 41, CompletionTokens: 19}
		}
		return Reply{}
	}})
	for i, want := range []string{`"usage":{"prompt_tokens":41,"total_tokens":60,"completion_tokens":19,`, `"completion_tokens":7,`} {
		_, b, err := post(t, http.DefaultClient, s.URL(), hello)
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(string(b), want) {
			t.Errorf("answer %d: %s lacks %s", i, b, want)
		}
	}
}
