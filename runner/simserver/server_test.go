package simserver

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/shard"
)

const instruction = "\n\nPlease reason step by step, and put your final answer within \\boxed{}."

// testProblems are problems across answer shapes.
func testProblems(n int) []shard.Problem {
	golds := []string{"42", "\\frac{1}{2}", "\\frac{2}{3}", "0.25", "\\sqrt{2}", "(1, 2)", "[0, 1)", "B", "x^2+1", "\\{-2, 2\\}", "25\\%", "\\text{yes}", "3\\sqrt{3}", "-7", "1,000"}
	var ps []shard.Problem
	for i := 0; i < n; i++ {
		ps = append(ps, shard.Problem{
			UUID:    fmt.Sprintf("u%04d", i),
			Problem: fmt.Sprintf("Problem %d. A sequence starts with %d and each term adds %d. Find the requested quantity described in part %d.", i, i+3, 2*i+1, i),
			Answer:  golds[i%len(golds)],
		})
	}
	return ps
}

// fastConfig is a simulator that answers in milliseconds, without faults.
func fastConfig() Config {
	c := DefaultConfig()
	c.LoadTime = 0
	c.TimeScale = 1e6
	return c
}

func newTestServer(t *testing.T, cfg Config, problems []shard.Problem) (*Server, *httptest.Server) {
	t.Helper()
	s := New(cfg, problems, nil)
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(func() {
		s.stop()
		ts.CloseClientConnections()
		ts.Close()
	})
	return s, ts
}

type chatReply struct {
	ID      string `json:"id"`
	Object  string `json:"object"`
	Model   string `json:"model"`
	Choices []struct {
		Index   int `json:"index"`
		Message struct {
			Role    string `json:"role"`
			Content string `json:"content"`
		} `json:"message"`
		FinishReason string `json:"finish_reason"`
	} `json:"choices"`
	Usage struct {
		PromptTokens     int `json:"prompt_tokens"`
		CompletionTokens int `json:"completion_tokens"`
		TotalTokens      int `json:"total_tokens"`
	} `json:"usage"`
}

func postJSON(t *testing.T, client *http.Client, url string, body any) (*http.Response, []byte, error) {
	t.Helper()
	b, err := json.Marshal(body)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := client.Post(url, "application/json", bytes.NewReader(b))
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(resp.Body)
	return resp, data, err
}

func chat(t *testing.T, base, prompt string, maxTokens, n int) chatReply {
	t.Helper()
	resp, data, err := postJSON(t, http.DefaultClient, base+"/v1/chat/completions", map[string]any{
		"model": "deepseek-ai/DeepSeek-R1", "messages": []map[string]string{{"role": "user", "content": prompt}},
		"max_tokens": maxTokens, "n": n, "temperature": 0.6, "top_p": 0.95,
	})
	if err != nil {
		t.Fatal(err)
	}
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, data)
	}
	var r chatReply
	if err := json.Unmarshal(data, &r); err != nil {
		t.Fatalf("decoding %s: %v", data, err)
	}
	return r
}

func TestChatCompletionShape(t *testing.T) {
	ps := testProblems(3)
	cfg := fastConfig()
	cfg.LengthSigma = 0
	cfg.MeanCompletionTokens = 500
	_, ts := newTestServer(t, cfg, ps)
	r := chat(t, ts.URL, ps[1].Problem+instruction, 16384, 3)
	// The request names deepseek-ai/DeepSeek-R1; the simulator answers
	// as itself (SGLang would echo the request's name).
	if r.Object != "chat.completion" || !strings.HasPrefix(r.ID, "chatcmpl-") || r.Model != shard.SimulatorModel {
		t.Errorf("object %q id %q model %q", r.Object, r.ID, r.Model)
	}
	if len(r.Choices) != 3 {
		t.Fatalf("%d choices, want 3", len(r.Choices))
	}
	sum := 0
	for i, c := range r.Choices {
		if c.Index != i || c.Message.Role != "assistant" || c.FinishReason != "stop" {
			t.Errorf("choice %d: index %d role %q finish %q", i, c.Index, c.Message.Role, c.FinishReason)
		}
		if !strings.HasPrefix(c.Message.Content, "<think>\n") || !strings.Contains(c.Message.Content, "</think>") {
			t.Errorf("choice %d has no think block: %.80q", i, c.Message.Content)
		}
		sum += countTokens(c.Message.Content)
	}
	if r.Usage.CompletionTokens != sum || r.Usage.TotalTokens != r.Usage.PromptTokens+r.Usage.CompletionTokens || r.Usage.PromptTokens <= countTokens(ps[1].Problem) {
		t.Errorf("usage %+v, completion tokens of the texts %d", r.Usage, sum)
	}
	// The raw JSON keeps < and > as they are, as SGLang's orjson does.
	resp, data, _ := postJSON(t, http.DefaultClient, ts.URL+"/v1/chat/completions", map[string]any{"messages": []map[string]string{{"role": "user", "content": ps[0].Problem}}, "max_tokens": 2000})
	if resp.StatusCode != 200 || !bytes.Contains(data, []byte(`"content":"<think>`)) || !bytes.Contains(data, []byte(`"model":"distillery-sim"`)) {
		t.Errorf("raw response: %.300s", data)
	}
}

func TestErrors(t *testing.T) {
	_, ts := newTestServer(t, fastConfig(), testProblems(2))
	user := []map[string]string{{"role": "user", "content": "hi"}}
	tests := []struct {
		name        string
		method      string
		path        string
		contentType string
		body        string
		want        int
		wantInBody  string
	}{
		{"missing messages", "POST", "/v1/chat/completions", "application/json", `{"model":"m"}`, 400, `"object":"error"`},
		{"empty messages", "POST", "/v1/chat/completions", "application/json", `{"messages":[]}`, 400, "Messages cannot be empty"},
		{"bad json", "POST", "/v1/chat/completions", "application/json", `{"messages":`, 400, `"code":400`},
		{"not json content type", "POST", "/v1/chat/completions", "text/plain", `{"messages":[]}`, 400, "application/json"},
		{"bad role", "POST", "/v1/chat/completions", "application/json", `{"messages":[{"role":"wizard","content":"x"}]}`, 400, "role"},
		{"max_tokens zero", "POST", "/v1/chat/completions", "application/json", mustJSON(map[string]any{"messages": user, "max_tokens": 0}), 400, "max_tokens"},
		{"beyond context", "POST", "/v1/chat/completions", "application/json", mustJSON(map[string]any{"messages": user, "max_tokens": 40000}), 400, "maximum context length"},
		{"n zero", "POST", "/v1/chat/completions", "application/json", mustJSON(map[string]any{"messages": user, "n": 0}), 400, "n must be"},
		{"unknown model card", "GET", "/v1/models/nope", "", "", 404, "model_not_found"},
		{"unknown path", "GET", "/v2/whatever", "", "", 404, "Not Found"},
		{"generate without input", "POST", "/generate", "application/json", `{"sampling_params":{}}`, 400, "Either text, input_ids"},
		{"chat with GET", "GET", "/v1/chat/completions", "", "", 405, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, _ := http.NewRequest(tt.method, ts.URL+tt.path, strings.NewReader(tt.body))
			if tt.contentType != "" {
				req.Header.Set("Content-Type", tt.contentType)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			data, _ := io.ReadAll(resp.Body)
			if resp.StatusCode != tt.want || !strings.Contains(string(data), tt.wantInBody) {
				t.Errorf("status %d body %s, want %d with %q", resp.StatusCode, data, tt.want, tt.wantInBody)
			}
		})
	}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

func TestModelEndpoints(t *testing.T) {
	cfg := fastConfig()
	cfg.Model = "distillery-sim/model-7b"
	_, ts := newTestServer(t, cfg, testProblems(1))
	get := func(path string) (int, map[string]any) {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		var m map[string]any
		json.NewDecoder(resp.Body).Decode(&m)
		return resp.StatusCode, m
	}
	code, info := get("/get_model_info")
	if code != 200 || info["model_path"] != "distillery-sim/model-7b" || info["is_generation"] != true {
		t.Errorf("/get_model_info: %d %v", code, info)
	}
	code, list := get("/v1/models")
	data, _ := list["data"].([]any)
	if code != 200 || list["object"] != "list" || len(data) != 1 || data[0].(map[string]any)["id"] != "distillery-sim/model-7b" {
		t.Errorf("/v1/models: %d %v", code, list)
	}
	if code, card := get("/v1/models/distillery-sim/model-7b"); code != 200 || card["id"] != "distillery-sim/model-7b" {
		t.Errorf("/v1/models/distillery-sim/model-7b: %d %v", code, card)
	}
}

func TestHealthGenerateWhileLoading(t *testing.T) {
	cfg := fastConfig()
	cfg.LoadTime = 30 * time.Minute
	cfg.TimeScale = 30 * 60 / 0.3 // 30 simulated minutes take 300 ms
	ps := testProblems(1)
	_, ts := newTestServer(t, cfg, ps)
	status := func(path string) int {
		resp, err := http.Get(ts.URL + path)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for _, p := range []string{"/health_generate", "/health"} {
		if c := status(p); c != 503 {
			t.Errorf("%s while loading: %d, want 503", p, c)
		}
	}
	if c := status("/get_model_info"); c != 200 {
		t.Errorf("/get_model_info while loading: %d", c)
	}
	resp, data, err := postJSON(t, http.DefaultClient, ts.URL+"/v1/chat/completions", map[string]any{"messages": []map[string]string{{"role": "user", "content": ps[0].Problem}}})
	if err != nil || resp.StatusCode != 503 || !strings.Contains(string(data), "loading") {
		t.Errorf("chat while loading: %v %v %s", err, resp, data)
	}
	deadline := time.Now().Add(5 * time.Second)
	for status("/health_generate") != 200 {
		if time.Now().After(deadline) {
			t.Fatal("/health_generate never turned 200")
		}
		time.Sleep(20 * time.Millisecond)
	}
	chat(t, ts.URL, ps[0].Problem+instruction, 1000, 1)
}

func TestSlotsAndQueue(t *testing.T) {
	cfg := fastConfig()
	cfg.MaxRunningRequests = 2
	cfg.LengthSigma = 0
	cfg.MeanCompletionTokens = 300
	cfg.TokensPerSecond = 30
	cfg.TimeScale = 100 // 300 tokens at 30 tok/s = 10 s simulated = 100 ms real
	ps := testProblems(6)
	s, ts := newTestServer(t, cfg, ps)
	began := time.Now()
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			chat(t, ts.URL, p.Problem+instruction, 16384, 1)
		}()
	}
	wg.Wait()
	took := time.Since(began)
	st := s.Stats()
	if st.PeakRunning != 2 {
		t.Errorf("peak running %d, want 2 (the slots)", st.PeakRunning)
	}
	if st.PeakWaiting < 1 {
		t.Errorf("peak waiting %d, want requests queued", st.PeakWaiting)
	}
	// 6 requests, 2 slots, ~100 ms each: three rounds.
	if took < 280*time.Millisecond {
		t.Errorf("6 requests on 2 slots took %s; the queue should make it about 300 ms", took)
	}
	if st.Running != 0 || st.Waiting != 0 || st.Completed != 6 {
		t.Errorf("after: %+v", st)
	}
}

func TestQueuedRequestLeavesWhenClientGivesUp(t *testing.T) {
	cfg := fastConfig()
	cfg.MaxRunningRequests = 1
	cfg.LengthSigma = 0
	cfg.MeanCompletionTokens = 3000
	cfg.TimeScale = 100 // 100 s simulated = 1 s real
	ps := testProblems(2)
	s, ts := newTestServer(t, cfg, ps)
	ctx, cancel := context.WithTimeout(context.Background(), 150*time.Millisecond)
	defer cancel()
	var wg sync.WaitGroup
	for _, p := range ps {
		wg.Add(1)
		go func() {
			defer wg.Done()
			body := mustJSON(map[string]any{"messages": []map[string]string{{"role": "user", "content": p.Problem}}, "max_tokens": 16000})
			req, _ := http.NewRequestWithContext(ctx, "POST", ts.URL+"/v1/chat/completions", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if resp, err := http.DefaultClient.Do(req); err == nil {
				resp.Body.Close()
				t.Errorf("request finished (%d) although the client gave up", resp.StatusCode)
			}
		}()
	}
	wg.Wait()
	deadline := time.Now().Add(2 * time.Second)
	for {
		st := s.Stats()
		if st.Running == 0 && st.Waiting == 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("slots not released after the clients left: %+v", st)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestLengthCap(t *testing.T) {
	cfg := fastConfig()
	cfg.MeanCompletionTokens = 1000
	cfg.LengthSigma = 0.8
	ps := testProblems(60)
	s, ts := newTestServer(t, cfg, ps)
	const maxTokens = 1200
	cut, stopped := 0, 0
	for _, p := range ps {
		r := chat(t, ts.URL, p.Problem+instruction, maxTokens, 1)
		c := r.Choices[0]
		switch c.FinishReason {
		case "length":
			cut++
			if r.Usage.CompletionTokens != maxTokens {
				t.Errorf("cut completion has %d tokens, want %d", r.Usage.CompletionTokens, maxTokens)
			}
			if strings.Contains(c.Message.Content, "\\boxed") || strings.Contains(c.Message.Content, "</think>") {
				t.Errorf("cut completion has a final answer: ...%q", tail(c.Message.Content, 100))
			}
			if countTokens(c.Message.Content) > maxTokens {
				t.Errorf("cut completion is %d tokens long", countTokens(c.Message.Content))
			}
		case "stop":
			stopped++
			if r.Usage.CompletionTokens > maxTokens {
				t.Errorf("stop completion has %d tokens > max_tokens", r.Usage.CompletionTokens)
			}
		default:
			t.Errorf("finish_reason %q", c.FinishReason)
		}
	}
	// P(length > 1.2 x mean) for sigma 0.8 is about 0.3.
	if cut < 6 || stopped < 20 {
		t.Errorf("%d cut, %d stopped of 60; want both kinds", cut, stopped)
	}
	if st := s.Stats(); st.LengthCut != int64(cut) {
		t.Errorf("stats count %d cut, saw %d", st.LengthCut, cut)
	}
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

func TestAnswerSharesAndKinds(t *testing.T) {
	if testing.Short() {
		t.Skip("many requests")
	}
	cfg := fastConfig()
	cfg.MeanCompletionTokens = 60
	cfg.LengthSigma = 0
	cfg.ShareRight, cfg.ShareWrong, cfg.ShareRewritten, cfg.ShareUnboxed = 0.5, 0.2, 0.2, 0.1
	ps := testProblems(150)
	s, ts := newTestServer(t, cfg, ps)
	counts := map[string]int{}
	total := 0
	for _, p := range ps {
		r := chat(t, ts.URL, "Solve this.\n"+p.Problem+instruction, 4000, 4)
		for _, c := range r.Choices {
			total++
			if c.FinishReason != "stop" {
				t.Fatalf("finish %q", c.FinishReason)
			}
			boxed, ok := lastBoxed(c.Message.Content)
			switch {
			case !ok:
				counts["unboxed"]++
				if !strings.Contains(c.Message.Content, "final answer is "+p.Answer+".") {
					t.Errorf("unboxed answer does not state the gold %q: %q", p.Answer, tail(c.Message.Content, 80))
				}
			case boxed == p.Answer:
				counts["right"]++
			default:
				v := compareAnswers(p.Answer, boxed)
				switch v {
				case VerdictEquivalent:
					counts["rewritten"]++
				case VerdictDifferent:
					counts["wrong"]++
				default:
					t.Errorf("gold %q, boxed %q: the simulator's own judge says %s", p.Answer, boxed, v)
				}
			}
		}
	}
	st := s.Stats()
	want := map[string]float64{"right": 0.5, "wrong": 0.2, "rewritten": 0.2, "unboxed": 0.1}
	stat := map[string]int64{"right": st.Right, "wrong": st.Wrong, "rewritten": st.Rewritten, "unboxed": st.Unboxed}
	for k, w := range want {
		got := float64(counts[k]) / float64(total)
		if got < w-0.06 || got > w+0.06 {
			t.Errorf("share %s = %.3f (%d of %d), want %.2f ± 0.06", k, got, counts[k], total, w)
		}
		if stat[k] != int64(counts[k]) {
			t.Errorf("stats say %d %s, the texts %d", stat[k], k, counts[k])
		}
	}
	if st.Unmatched != 0 {
		t.Errorf("%d prompts matched no problem", st.Unmatched)
	}
}

func TestDeterministic(t *testing.T) {
	ps := testProblems(5)
	run := func(seed int64) []string {
		cfg := fastConfig()
		cfg.Seed = seed
		_, ts := newTestServer(t, cfg, ps)
		var out []string
		for _, p := range ps {
			for _, c := range chat(t, ts.URL, p.Problem+instruction, 16384, 2).Choices {
				out = append(out, c.Message.Content)
			}
		}
		return out
	}
	a, b, c := run(7), run(7), run(8)
	for i := range a {
		if a[i] != b[i] {
			t.Fatalf("generation %d differs between two servers with the same seed", i)
		}
	}
	same := 0
	for i := range a {
		if a[i] == c[i] {
			same++
		}
	}
	if same == len(a) {
		t.Error("a different seed gave the same generations")
	}
}

func TestStream(t *testing.T) {
	ps := testProblems(2)
	cfg := fastConfig()
	cfg.MeanCompletionTokens = 400
	cfg.LengthSigma = 0
	cfg.TimeScale = 30 // 400 tokens at 30 tok/s: ~440 ms per completion
	_, ts := newTestServer(t, cfg, ps)
	body := mustJSON(map[string]any{
		"messages": []map[string]string{{"role": "user", "content": ps[0].Problem}}, "stream": true, "n": 2,
		"stream_options": map[string]bool{"include_usage": true}, "max_tokens": 8000,
	})
	began := time.Now()
	resp, err := http.Post(ts.URL+"/v1/chat/completions", "application/json", strings.NewReader(body))
	if err != nil || resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream") {
		t.Fatalf("%v %v", err, resp)
	}
	defer resp.Body.Close()
	content := map[int]*strings.Builder{0: {}, 1: {}}
	finish := map[int]string{}
	var firstPiece time.Duration
	done, usage := false, 0
	sc := bufio.NewScanner(resp.Body)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			continue
		}
		payload, ok := strings.CutPrefix(line, "data: ")
		if !ok {
			t.Fatalf("not an SSE data line: %q", line)
		}
		if payload == "[DONE]" {
			done = true
			continue
		}
		var ch struct {
			Object  string `json:"object"`
			Choices []struct {
				Index int `json:"index"`
				Delta struct {
					Content string `json:"content"`
				} `json:"delta"`
				FinishReason *string `json:"finish_reason"`
			} `json:"choices"`
			Usage *struct {
				CompletionTokens int `json:"completion_tokens"`
			} `json:"usage"`
		}
		if err := json.Unmarshal([]byte(payload), &ch); err != nil {
			t.Fatal(err)
		}
		if ch.Object != "chat.completion.chunk" {
			t.Errorf("object %q", ch.Object)
		}
		for _, c := range ch.Choices {
			if c.Delta.Content != "" && firstPiece == 0 {
				firstPiece = time.Since(began)
			}
			content[c.Index].WriteString(c.Delta.Content)
			if c.FinishReason != nil {
				finish[c.Index] = *c.FinishReason
			}
		}
		if ch.Usage != nil {
			usage = ch.Usage.CompletionTokens
		}
	}
	total := time.Since(began)
	sum := 0
	for i := 0; i < 2; i++ {
		text := content[i].String()
		sum += countTokens(text)
		if !strings.HasPrefix(text, "<think>") || !strings.Contains(text, "\\boxed{") && !strings.Contains(text, "final answer is") || finish[i] != "stop" {
			t.Errorf("choice %d: finish %q, text %.40q...%q", i, finish[i], text, tail(text, 40))
		}
	}
	if !done || usage != sum {
		t.Errorf("done %v, usage %d, tokens in the texts %d", done, usage, sum)
	}
	if firstPiece > total/2 {
		t.Errorf("first text after %s of %s: the stream should flow while decoding", firstPiece, total)
	}
}

func TestGenerateNative(t *testing.T) {
	ps := testProblems(3)
	cfg := fastConfig()
	cfg.MeanCompletionTokens = 300
	cfg.LengthSigma = 0
	_, ts := newTestServer(t, cfg, ps)
	resp, data, err := postJSON(t, http.DefaultClient, ts.URL+"/generate", map[string]any{
		"text": ps[2].Problem + instruction, "sampling_params": map[string]any{"max_new_tokens": 2000, "temperature": 0.6},
	})
	if err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v %s", err, resp, data)
	}
	var out struct {
		Text     string `json:"text"`
		MetaInfo struct {
			PromptTokens     int `json:"prompt_tokens"`
			CompletionTokens int `json:"completion_tokens"`
			FinishReason     struct {
				Type string `json:"type"`
			} `json:"finish_reason"`
		} `json:"meta_info"`
	}
	if err := json.Unmarshal(data, &out); err != nil {
		t.Fatalf("%s: %v", data, err)
	}
	if out.MetaInfo.FinishReason.Type != "stop" || out.MetaInfo.CompletionTokens != countTokens(out.Text) || out.MetaInfo.PromptTokens == 0 {
		t.Errorf("%+v", out.MetaInfo)
	}
	// Default max_new_tokens is 128, as in SGLang: the trace is cut.
	_, data, _ = postJSON(t, http.DefaultClient, ts.URL+"/generate", map[string]any{"text": []string{ps[0].Problem, ps[1].Problem}})
	var outs []struct {
		MetaInfo struct {
			CompletionTokens int `json:"completion_tokens"`
			FinishReason     struct {
				Type   string `json:"type"`
				Length int    `json:"length"`
			} `json:"finish_reason"`
		} `json:"meta_info"`
	}
	if err := json.Unmarshal(data, &outs); err != nil || len(outs) != 2 {
		t.Fatalf("batch: %v %s", err, data)
	}
	for _, o := range outs {
		if o.MetaInfo.FinishReason.Type != "length" || o.MetaInfo.FinishReason.Length != 128 || o.MetaInfo.CompletionTokens != 128 {
			t.Errorf("batch output %+v", o.MetaInfo)
		}
	}
}

func TestFaults(t *testing.T) {
	ps := testProblems(1)
	body := map[string]any{"messages": []map[string]string{{"role": "user", "content": ps[0].Problem}}, "max_tokens": 1000}
	t.Run("5xx", func(t *testing.T) {
		cfg := fastConfig()
		cfg.Fault5xx = 1
		_, ts := newTestServer(t, cfg, ps)
		for i := 0; i < 4; i++ {
			resp, data, err := postJSON(t, http.DefaultClient, ts.URL+"/v1/chat/completions", body)
			if err != nil || (resp.StatusCode != 500 && resp.StatusCode != 503) || !strings.Contains(string(data), `"object":"error"`) {
				t.Errorf("%v %v %s", err, resp, data)
			}
		}
	})
	t.Run("429", func(t *testing.T) {
		cfg := fastConfig()
		cfg.Fault429 = 1
		cfg.RetryAfter = 1500 * time.Millisecond
		_, ts := newTestServer(t, cfg, ps)
		resp, _, err := postJSON(t, http.DefaultClient, ts.URL+"/v1/chat/completions", body)
		if err != nil || resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" {
			t.Errorf("%v %v", err, resp)
		}
	})
	t.Run("reset", func(t *testing.T) {
		cfg := fastConfig()
		cfg.FaultReset = 1
		_, ts := newTestServer(t, cfg, ps)
		_, _, err := postJSON(t, http.DefaultClient, ts.URL+"/v1/chat/completions", body)
		if err == nil {
			t.Error("request succeeded over a reset connection")
		}
	})
	t.Run("hang", func(t *testing.T) {
		cfg := fastConfig()
		cfg.FaultHang = 1
		s, ts := newTestServer(t, cfg, ps)
		client := &http.Client{Timeout: 200 * time.Millisecond}
		began := time.Now()
		_, _, err := postJSON(t, client, ts.URL+"/v1/chat/completions", body)
		if err == nil || time.Since(began) < 190*time.Millisecond {
			t.Errorf("hang: err %v after %s", err, time.Since(began))
		}
		if s.Stats().FaultHangs != 1 {
			t.Errorf("stats: %+v", s.Stats())
		}
	})
	t.Run("share", func(t *testing.T) {
		cfg := fastConfig()
		cfg.Fault5xx = 0.3
		_, ts := newTestServer(t, cfg, ps)
		bad := 0
		for i := 0; i < 100; i++ {
			resp, _, err := postJSON(t, http.DefaultClient, ts.URL+"/v1/chat/completions", body)
			if err != nil {
				t.Fatal(err)
			}
			if resp.StatusCode != 200 {
				bad++
			}
		}
		if bad < 15 || bad > 45 {
			t.Errorf("%d of 100 failed with fault_5xx = 0.3", bad)
		}
	})
}

func TestCrashInProcess(t *testing.T) {
	cfg := fastConfig()
	cfg.CrashAfter = 3
	ps := testProblems(1)
	s := New(cfg, ps, nil)
	in, err := s.Start(context.Background(), "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	body := map[string]any{"messages": []map[string]string{{"role": "user", "content": ps[0].Problem}}, "max_tokens": 1000}
	for i := 0; i < 3; i++ {
		resp, data, err := postJSON(t, http.DefaultClient, in.URL+"/v1/chat/completions", body)
		if err != nil || resp.StatusCode != 200 {
			t.Fatalf("request %d before the crash: %v %v %s", i, err, resp, data)
		}
	}
	if _, _, err := postJSON(t, http.DefaultClient, in.URL+"/v1/chat/completions", body); err == nil {
		t.Fatal("request 4 succeeded; the server should have crashed")
	}
	select {
	case <-in.Done():
	case <-time.After(5 * time.Second):
		t.Fatal("the instance did not stop after the crash")
	}
	if !errors.Is(in.Err(), ErrCrashed) || !s.Stats().Crashed {
		t.Errorf("err %v, stats %+v", in.Err(), s.Stats())
	}
	if _, err := http.Get(in.URL + "/health"); err == nil {
		t.Error("the crashed server still accepts connections")
	}
}

func TestCrashBehindHTTPTest(t *testing.T) {
	cfg := fastConfig()
	cfg.CrashAfter = 1
	ps := testProblems(1)
	s, ts := newTestServer(t, cfg, ps)
	body := map[string]any{"messages": []map[string]string{{"role": "user", "content": ps[0].Problem}}, "max_tokens": 1000}
	if resp, _, err := postJSON(t, http.DefaultClient, ts.URL+"/v1/chat/completions", body); err != nil || resp.StatusCode != 200 {
		t.Fatalf("%v %v", err, resp)
	}
	if _, _, err := postJSON(t, http.DefaultClient, ts.URL+"/v1/chat/completions", body); err == nil {
		t.Fatal("request after crash_after succeeded")
	}
	select {
	case <-s.Crashed():
	default:
		t.Fatal("Crashed() not closed")
	}
	if _, err := http.Get(ts.URL + "/health"); err == nil {
		t.Error("health answered after the crash")
	}
}

func TestServeShutsDownOnCancel(t *testing.T) {
	cfg := fastConfig()
	cfg.FaultHang = 1
	ps := testProblems(1)
	s := New(cfg, ps, nil)
	ctx, cancel := context.WithCancel(context.Background())
	in, err := s.Start(ctx, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() {
		resp, err := http.Post(in.URL+"/v1/chat/completions", "application/json", strings.NewReader(`{"messages":[{"role":"user","content":"x"}]}`))
		if err == nil {
			resp.Body.Close()
		}
	}()
	time.Sleep(50 * time.Millisecond)
	cancel()
	select {
	case <-in.Done():
	case <-time.After(3 * time.Second):
		t.Fatal("a hung request kept the server from shutting down")
	}
	if in.Err() != nil {
		t.Errorf("err after shutdown: %v", in.Err())
	}
}

func TestJudgeMode(t *testing.T) {
	prompt := func(ref, gen string) string {
		return "You are a mathematical answer validator. You will be provided with a mathematical problem and you need to compare the answer in the reference solution, and the final answer in a model's solution to determine if they are equivalent, even if formatted differently.\n\nPROBLEM:\n\nFind the value.\n\nREFERENCE SOLUTION:\n\n" + ref +
			"\n\nMODEL'S SOLUTION:\n\n" + gen +
			"\n\nFocus ONLY on comparing the final mathematical answer provided by the model while ignoring differences in:\n\n- Formatting (e.g., \\boxed{} vs plain text)\n- If the model's answer is nonsense, return \"Verdict: AMBIGUOUS\"\n\nStart with a brief explanation of your comparison (2-3 sentences). Then output your final answer in one of the following formats:\n\n- \"Verdict: EQUIVALENT\"\n- \"Verdict: DIFFERENT\"\n- \"Verdict: AMBIGUOUS\""
	}
	gen := func(ans string) string { return "<think>\nhmm\n</think>\n\nSo \\boxed{" + ans + "}" }
	tests := []struct {
		ref, gen, want string
	}{
		{"\\frac{1}{2}", gen("0.5"), VerdictEquivalent},
		{"\\frac{1}{2}", gen("\\dfrac{1}{2}"), VerdictEquivalent},
		{"3", gen("x = 3"), VerdictEquivalent},
		{"The answer is $\\boxed{42}$.", gen("42"), VerdictEquivalent},
		{"25\\%", gen("0.25"), VerdictEquivalent},
		{"\\{-2, 2\\}", gen("\\{2,-2\\}"), VerdictEquivalent},
		{"B", gen("\\text{B}"), VerdictEquivalent},
		{"7", gen("8"), VerdictDifferent},
		{"\\sqrt{2}", gen("\\sqrt{3}"), VerdictDifferent},
		{"B", gen("C"), VerdictDifferent},
		{"7", "<think>\nI ran out of time", VerdictDifferent},
		{"7", "<think>\n</think>\nTherefore, the final answer is 7.", VerdictEquivalent},
		{"\\sqrt{2}", gen("1.41421356"), VerdictAmbiguous},
		{"x^2+1", gen("(x+i)(x-i)"), VerdictAmbiguous},
	}
	ps := testProblems(1)
	sim, ts := newTestServer(t, fastConfig(), ps)
	for _, tt := range tests {
		t.Run(tt.ref+" vs "+tail(tt.gen, 20), func(t *testing.T) {
			r := chat(t, ts.URL, prompt(tt.ref, tt.gen), 1024, 1)
			out := r.Choices[0].Message.Content
			if !strings.HasSuffix(out, "Verdict: "+tt.want) {
				t.Errorf("judge said %q, want Verdict: %s", out, tt.want)
			}
		})
	}
	if st := sim.Stats(); st.JudgeUnparsed != 0 || st.Judged != int64(len(tests)) {
		t.Errorf("after %d judge prompts with both sections: judged %d, unparsed %d; want all judged, none unparsed", len(tests), st.Judged, st.JudgeUnparsed)
	}
	// A judge prompt without the sections answers AMBIGUOUS, as a real
	// judge might, and is counted apart so that a test can tell.
	r := chat(t, ts.URL, "Please answer with Verdict: EQUIVALENT or something", 1024, 1)
	if out := r.Choices[0].Message.Content; !strings.HasSuffix(out, "Verdict: "+VerdictAmbiguous) {
		t.Errorf("a judge prompt without sections: %q, want Verdict: AMBIGUOUS", out)
	}
	if st := sim.Stats(); st.JudgeUnparsed != 1 {
		t.Errorf("unparsed judge prompts = %d, want 1", st.JudgeUnparsed)
	}
}

func TestProblemMatching(t *testing.T) {
	ps := []shard.Problem{
		{UUID: "a", Problem: "Let $x$ be a real number with  $x^2 = 9$ and $x > 0$.\nFind $x$.", Answer: "3"},
		{UUID: "b", Problem: "Find $x$.", Answer: "1"},
		{UUID: "c", Problem: "Let $x$ be a real number with $x^2 = 9$ and $x > 0$. Find $x$. Then double it.", Answer: "6"},
	}
	ix := newProblemIndex(ps)
	tests := []struct{ prompt, want string }{
		{"Let $x$ be a real number with $x^2 = 9$ and $x > 0$. Find $x$." + instruction, "a"},
		{"System: be careful.\n\nProblem:\n  Let $x$ be a real number with\t$x^2 = 9$ and $x > 0$.\n\nFind $x$.\n\nAnswer below.", "a"},
		{"Let $x$ be a real number with $x^2 = 9$ and $x > 0$. Find $x$. Then double it." + instruction, "c"},
		{"Please, Find $x$.", "b"},
		{"Something else entirely", ""},
	}
	for _, tt := range tests {
		p, ok := ix.lookup(tt.prompt)
		if got := map[bool]string{true: p.UUID, false: ""}[ok]; got != tt.want {
			t.Errorf("lookup(%q) = %q, want %q", tt.prompt, got, tt.want)
		}
	}
}
