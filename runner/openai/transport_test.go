package openai

// Tests of the client against answers and transport faults seen from
// servers other than ours (SGLang, vLLM, proxies in front of them). The
// servers here are written for these tests: raw handlers on httptest, and
// a raw TCP listener for faults below HTTP.

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

// rawServer is a TCP server that reads one HTTP request per turn and does
// what its script says for that request (numbered from 0 across
// connections), below the level of net/http: resets, truncated bodies,
// silence, keep-alive connections closed at the worst moment.
type rawServer struct {
	ln    net.Listener
	n     atomic.Int64
	conns atomic.Int64
	wg    sync.WaitGroup
	// act handles request i on conn; it returns false to close the
	// connection afterwards.
	act func(i int, conn net.Conn, req *http.Request) bool
}

func newRawServer(t *testing.T, act func(i int, conn net.Conn, req *http.Request) bool) *rawServer {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &rawServer{ln: ln, act: act}
	var mu sync.Mutex
	var open []net.Conn
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			s.conns.Add(1)
			mu.Lock()
			open = append(open, conn)
			mu.Unlock()
			s.wg.Add(1)
			go func() {
				defer s.wg.Done()
				defer conn.Close()
				br := bufio.NewReader(conn)
				for {
					req, err := http.ReadRequest(br)
					if err != nil {
						return
					}
					var body strings.Builder
					bufio.NewReader(req.Body).WriteTo(&body)
					if !s.act(int(s.n.Add(1))-1, conn, req) {
						return
					}
				}
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range open {
			c.Close()
		}
		mu.Unlock()
		s.wg.Wait()
	})
	return s
}

func (s *rawServer) URL() string { return "http://" + s.ln.Addr().String() }

// writeOK writes a complete keep-alive 200 answer.
func writeOK(conn net.Conn) {
	fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(okBody), okBody)
}

// hangConn says nothing until the client gives up (closes the
// connection) or the server shuts down.
func hangConn(conn net.Conn) { io.Copy(io.Discard, conn) }

func resetConn(conn net.Conn) {
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // RST, not FIN
	}
	conn.Close()
}

func TestChatTransportFaults(t *testing.T) {
	type act = func(i int, conn net.Conn, req *http.Request) bool
	// first does f on the first request, then answers normally.
	first := func(f act) act {
		return func(i int, conn net.Conn, req *http.Request) bool {
			if i == 0 {
				return f(i, conn, req)
			}
			writeOK(conn)
			return true
		}
	}
	tests := []struct {
		name     string
		act      act
		retries  int
		timeout  time.Duration
		attempts int // requests the server saw
		wantErr  bool
	}{
		{name: "reset before headers", act: first(func(i int, conn net.Conn, req *http.Request) bool { resetConn(conn); return false }), retries: 2, attempts: 2},
		{name: "closed before headers", act: first(func(i int, conn net.Conn, req *http.Request) bool { return false }), retries: 2, attempts: 2},
		{name: "headers then truncated JSON (Content-Length)", act: first(func(i int, conn net.Conn, req *http.Request) bool {
			fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(okBody), okBody[:len(okBody)/2])
			return false
		}), retries: 2, attempts: 2},
		{name: "headers then reset mid-body", act: first(func(i int, conn net.Conn, req *http.Request) bool {
			fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s", len(okBody), okBody[:40])
			time.Sleep(10 * time.Millisecond)
			resetConn(conn)
			return false
		}), retries: 2, attempts: 2},
		{name: "truncated chunked body", act: first(func(i int, conn net.Conn, req *http.Request) bool {
			fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n%x\r\n%s\r\n", 30, okBody[:30])
			return false
		}), retries: 2, attempts: 2},
		{name: "truncated close-delimited body", act: first(func(i int, conn net.Conn, req *http.Request) bool {
			fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n%s", okBody[:50])
			return false
		}), retries: 2, attempts: 2},
		{name: "not HTTP at all", act: first(func(i int, conn net.Conn, req *http.Request) bool {
			fmt.Fprint(conn, "SSH-2.0-OpenSSH_9.6\r\n")
			return false
		}), retries: 2, attempts: 2},
		{name: "HTTP/1.0 close-delimited answer (Python http.server)", act: func(i int, conn net.Conn, req *http.Request) bool {
			fmt.Fprintf(conn, "HTTP/1.0 200 OK\r\nServer: BaseHTTP/0.6 Python/3.12\r\nContent-Type: application/json\r\n\r\n%s", okBody)
			return false
		}, retries: 0, attempts: 1},
		{name: "slow headers within the timeout", act: func(i int, conn net.Conn, req *http.Request) bool {
			time.Sleep(300 * time.Millisecond)
			writeOK(conn)
			return true
		}, retries: 0, timeout: 2 * time.Second, attempts: 1},
		{name: "silence (hang) bounded by request_timeout, then ok", act: first(func(i int, conn net.Conn, req *http.Request) bool {
			hangConn(conn) // the client gives up after 200ms
			return false
		}), retries: 2, timeout: 200 * time.Millisecond, attempts: 2},
		{name: "silence on every attempt", act: func(i int, conn net.Conn, req *http.Request) bool {
			hangConn(conn)
			return false
		}, retries: 1, timeout: 100 * time.Millisecond, attempts: 2, wantErr: true},
		{name: "headers then silence", act: first(func(i int, conn net.Conn, req *http.Request) bool {
			fmt.Fprintf(conn, "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n{\"id\":", len(okBody))
			hangConn(conn)
			return false
		}), retries: 2, timeout: 200 * time.Millisecond, attempts: 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newRawServer(t, tt.act)
			timeout := tt.timeout
			if timeout == 0 {
				timeout = 2 * time.Second
			}
			c, err := NewClient(Options{Endpoint: s.URL(), MaxRetries: tt.retries, RetryBase: time.Millisecond, RetryMax: 10 * time.Millisecond, RequestTimeout: timeout})
			if err != nil {
				t.Fatal(err)
			}
			res, err := c.Chat(t.Context(), ChatRequest{Model: "m", Messages: []Message{{Role: "user", Content: "q"}}})
			if got := int(s.n.Load()); got != tt.attempts {
				t.Errorf("server saw %d requests, want %d", got, tt.attempts)
			}
			if tt.wantErr {
				if !errors.Is(err, ErrUnavailable) {
					t.Fatalf("err = %v, want ErrUnavailable", err)
				}
				return
			}
			if err != nil {
				t.Fatalf("err = %v", err)
			}
			if res.Text != "ok \\boxed{1}" || res.FinishReason != "stop" {
				t.Errorf("got %+v", res)
			}
		})
	}
}

// TestChatStaleKeepAlive: the server keeps connections alive, answers one
// request on each, and closes the connection when the next request
// arrives on it (an idle timeout racing the request, or a proxy recycling
// connections). With no retries allowed, every request must still succeed:
// net/http resends a request that died on a reused connection.
func TestChatStaleKeepAlive(t *testing.T) {
	s := newRawServer(t, nil)
	var served sync.Map // conn -> answered once
	s.act = func(i int, conn net.Conn, req *http.Request) bool {
		if _, again := served.LoadOrStore(conn, true); again {
			return false // close without answering
		}
		writeOK(conn)
		return true
	}
	c, err := NewClient(Options{Endpoint: s.URL(), MaxRetries: 0, RequestTimeout: 2 * time.Second})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 10 {
		res, err := c.Chat(t.Context(), ChatRequest{Model: "m", Messages: []Message{{Role: "user", Content: "q"}}})
		if err != nil {
			t.Fatalf("request %d on a stale pooled connection failed: %v", i, err)
		}
		if res.Attempts != 1 {
			t.Errorf("request %d took %d attempts", i, res.Attempts)
		}
	}
	if s.conns.Load() < 10 {
		t.Errorf("only %d connections for 10 requests: the stale ones were not hit", s.conns.Load())
	}
}

// TestChatRequestShape checks what goes on the wire, as an OpenAI-compatible
// server that validates strictly would see it.
func TestChatRequestShape(t *testing.T) {
	var got map[string]any
	var hdr http.Header
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hdr = r.Header.Clone()
		json.NewDecoder(r.Body).Decode(&got)
		raw(200, okBody)(w, r)
	}))
	defer srv.Close()
	c, err := NewClient(Options{Endpoint: srv.URL + "/v1/", APIKey: "sk-test"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Chat(t.Context(), ChatRequest{Model: "m", Messages: []Message{{Role: "user", Content: "q"}}, Temperature: 0.6, TopP: 0.95, MaxTokens: 100}); err != nil {
		t.Fatal(err)
	}
	if got["n"] != float64(1) || got["stream"] != false || got["model"] != "m" || got["max_tokens"] != float64(100) {
		t.Errorf("body %v", got)
	}
	if hdr.Get("Authorization") != "Bearer sk-test" || hdr.Get("Content-Type") != "application/json" {
		t.Errorf("headers %v", hdr)
	}
	if _, sent := hdr["Idempotency-Key"]; sent {
		t.Errorf("Idempotency-Key sent on the wire: %v", hdr)
	}
}

// TestChatRedirects: a redirect that keeps the POST (307/308) is
// followed; one that would turn it into a GET (301/302/303, an http→https
// redirect of a proxy) fails at once, naming where the server points.
func TestChatRedirects(t *testing.T) {
	for _, code := range []int{301, 302, 303, 307, 308} {
		t.Run(fmt.Sprint(code), func(t *testing.T) {
			var n atomic.Int64
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				switch r.URL.Path {
				case "/v1/chat/completions":
					n.Add(1)
					http.Redirect(w, r, "/new/v1/chat/completions", code)
				case "/new/v1/chat/completions":
					if r.Method != http.MethodPost {
						w.WriteHeader(405)
						return
					}
					raw(200, okBody)(w, r)
				}
			}))
			defer srv.Close()
			c := testClient(t, srv.URL, 3)
			res, err := c.Chat(t.Context(), ChatRequest{Model: "m", Messages: []Message{{Role: "user", Content: "q"}}})
			if code == 307 || code == 308 {
				if err != nil || res.Text != "ok \\boxed{1}" {
					t.Fatalf("%+v, %v", res, err)
				}
				return
			}
			if !errors.Is(err, ErrPermanent) || !strings.Contains(err.Error(), "/new/v1/chat/completions") || !strings.Contains(err.Error(), "generate.endpoint") {
				t.Fatalf("err = %v, want a permanent error naming the new address", err)
			}
			if n.Load() != 1 {
				t.Errorf("%d attempts", n.Load())
			}
		})
	}
}
