package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/distillery-hpc/distillery/shard"
)

// flakyServer is a minimal OpenAI-compatible chat server written for this
// test (not our simulator): only /v1/chat/completions and /v1/models, like
// a bare vLLM or a proxy in front of one. A share of the requests meet a
// random fault: 5xx, an HTML 502, 429 with Retry-After, a connection reset,
// a truncated body, a hang, finish_reason "abort", no choices, a
// keep-alive connection closed under the client, a gzip-encoded or chunked
// answer, or an answer with the reasoning split off.
type flakyServer struct {
	*httptest.Server
	answered atomic.Int64
	faults   atomic.Int64
	mu       sync.Mutex
	perPair  map[string]int // prompt -> answers
}

func newFlakyServer(t *testing.T, faultRate float64) *flakyServer {
	s := &flakyServer{perPair: map[string]int{}}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/v1/models" {
			fmt.Fprint(w, `{"object":"list","data":[{"id":"test/model","object":"model"}]}`)
			return
		}
		if r.URL.Path != "/v1/chat/completions" || r.Method != http.MethodPost {
			http.NotFound(w, r)
			return
		}
		var req struct {
			Model    string `json:"model"`
			Messages []struct {
				Role, Content string
			} `json:"messages"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil || len(req.Messages) == 0 {
			w.WriteHeader(400)
			fmt.Fprint(w, `{"error":{"message":"bad request","type":"invalid_request_error"}}`)
			return
		}
		prompt := req.Messages[len(req.Messages)-1].Content
		body := fmt.Sprintf(`{"id":"x","object":"chat.completion","model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":%q},"finish_reason":"stop"}],"usage":{"prompt_tokens":10,"completion_tokens":20,"total_tokens":30}}`,
			req.Model, "So the answer is \\boxed{7}.")
		if rand.Float64() < faultRate {
			s.faults.Add(1)
			switch rand.N(13) {
			case 0:
				w.WriteHeader(500)
				return
			case 1:
				w.Header().Set("Content-Type", "text/html")
				w.WriteHeader(502)
				fmt.Fprint(w, "<html><body><h1>502 Bad Gateway</h1></body></html>")
				return
			case 2:
				w.Header().Set("Retry-After", "1")
				w.WriteHeader(429)
				return
			case 3:
				w.Header().Set("Retry-After", time.Now().Add(time.Second).UTC().Format(http.TimeFormat))
				w.WriteHeader(503)
				return
			case 4: // reset before headers
				if conn, _, err := w.(http.Hijacker).Hijack(); err == nil {
					conn.(*net.TCPConn).SetLinger(0)
					conn.Close()
				}
				return
			case 5: // truncated JSON
				if conn, bw, err := w.(http.Hijacker).Hijack(); err == nil {
					fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s", len(body), body[:len(body)/2])
					bw.Flush()
					conn.Close()
				}
				return
			case 6: // hang until the client's request_timeout
				<-r.Context().Done()
				return
			case 7:
				fmt.Fprint(w, `{"object":"chat.completion","choices":[{"index":0,"message":{"content":null},"finish_reason":"abort"}]}`)
				return
			case 8:
				fmt.Fprint(w, `{"object":"chat.completion","choices":[]}`)
				return
			case 9: // answered, then the keep-alive connection dies under the client
				if conn, bw, err := w.(http.Hijacker).Hijack(); err == nil {
					s.count(prompt)
					fmt.Fprintf(bw, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(body), body)
					bw.Flush()
					go func() { time.Sleep(time.Millisecond); conn.Close() }()
				}
				return
			case 10: // chunked, no Content-Type
				s.count(prompt)
				w.Header()["Content-Type"] = nil
				for i := 0; i < len(body); i += 50 {
					io.WriteString(w, body[i:min(i+50, len(body))])
					w.(http.Flusher).Flush()
				}
				return
			case 11: // reasoning split off, content null
				s.count(prompt)
				fmt.Fprintf(w, `{"object":"chat.completion","model":%q,"choices":[{"index":0,"message":{"role":"assistant","content":null,"reasoning_content":"thinking"},"finish_reason":"length"}]}`, req.Model)
				return
			case 12: // an error object with status 200
				fmt.Fprint(w, `{"object":"error","message":"The server is overloaded","type":"ServiceUnavailableError","code":503}`)
				return
			}
		}
		s.count(prompt)
		w.Header().Set("Content-Type", "application/json")
		io.WriteString(w, body)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *flakyServer) count(prompt string) {
	s.answered.Add(1)
	s.mu.Lock()
	s.perPair[prompt]++
	s.mu.Unlock()
}

// TestRunCommandAgainstFlakyServer: the built binary, pointed at a server
// that is not ours and fails half of the requests in random ways, is
// run again after every non-zero exit until it exits 0; the shards then
// hold every (uuid, index) exactly once, with done markers.
func TestRunCommandAgainstFlakyServer(t *testing.T) {
	bin := buildDistillery(t)
	srv := newFlakyServer(t, 0.5)
	sizes := []int{40, 25}
	cfg, l := writeRunDir(t, t.TempDir(), srv.URL+"/v1/", sizes, "request_timeout = \"300ms\"\n")
	want := 0
	for _, n := range sizes {
		want += n * 4
	}
	var runs, fails int
	for {
		runs++
		if runs > 30 {
			t.Fatalf("no clean exit after 30 runs")
		}
		cmd := exec.Command(bin, "run", "-c", cfg, "--shard", "0-1")
		cmd.Env = cleanEnv()
		var o, e bytes.Buffer
		cmd.Stdout, cmd.Stderr = &o, &e
		code := exitCode(cmd.Run())
		if code == 0 {
			if !strings.Contains(o.String(), "shards 2/2 done") {
				t.Errorf("summary %q", o.String())
			}
			break
		}
		fails++
		// A failure here may only be the retry budget running out:
		// exit 1, one line naming the endpoint, nothing marked done
		// that is not.
		last := strings.TrimSpace(e.String())
		if i := strings.LastIndexByte(last, '\n'); i >= 0 {
			last = last[i+1:]
		}
		if code != 1 || !strings.Contains(last, srv.URL) {
			t.Fatalf("run %d: exit %d, last line %q\n%s", runs, code, last, e.String())
		}
		for id := range sizes {
			if _, err := os.Stat(l.Lease(id)); !os.IsNotExist(err) {
				t.Fatalf("run %d left shard %d's lease behind", runs, id)
			}
		}
	}
	t.Logf("%d runs (%d stopped by the retry budget); server: %d answers, %d faults, %d pairs", runs, fails, srv.answered.Load(), srv.faults.Load(), want)

	total := 0
	for id, n := range sizes {
		info, err := shard.ReadOutput(l.Output(id), nil)
		if err != nil || info.Duplicates != 0 || info.TornBytes != 0 || info.Records != n*4 {
			t.Fatalf("shard %d: %+v, %v", id, info, err)
		}
		total += info.Records
		f, err := os.Open(l.Output(id))
		if err != nil {
			t.Fatal(err)
		}
		zr, err := zstd.NewReader(f)
		if err != nil {
			t.Fatal(err)
		}
		raw, err := io.ReadAll(zr)
		zr.Close()
		f.Close()
		if err != nil {
			t.Fatalf("shard %d does not decode end to end: %v", id, err)
		}
		checkLines(t, fmt.Sprintf("shard %d", id), raw, n*4)
		seen := map[shard.Key]bool{}
		sc := bufio.NewScanner(bytes.NewReader(raw))
		sc.Buffer(nil, 1<<24)
		for sc.Scan() {
			var g shard.Generation
			json.Unmarshal(sc.Bytes(), &g)
			seen[g.Key()] = true
			if g.Text == "" || g.Model == "" || g.Attempts < 1 {
				t.Errorf("shard %d: record %s/%d incomplete: %+v", id, g.UUID, g.Index, g)
			}
		}
		for i := range n {
			for k := range 4 {
				if !seen[shard.Key{UUID: fmt.Sprintf("p%d-%04d", id, i), Index: k}] {
					t.Errorf("shard %d lacks p%d-%04d/%d", id, id, i, k)
				}
			}
		}
		d, ok, err := shard.ReadDone(l, id)
		if err != nil || !ok || d.Generations != n*4 {
			t.Errorf("shard %d: done marker %+v %v %v", id, d, ok, err)
		}
	}
	if total != want {
		t.Errorf("%d records, want %d", total, want)
	}
}
