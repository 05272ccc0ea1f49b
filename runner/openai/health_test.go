package openai

// Tests of the client against answers and transport faults seen from
// servers other than ours (SGLang, vLLM, proxies in front of them). The
// servers here are written for these tests: raw handlers on httptest, and
// a raw TCP listener for faults below HTTP.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestWaitReady(t *testing.T) {
	t.Run("loading then ready", func(t *testing.T) {
		var n atomic.Int32
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/health_generate" {
				http.NotFound(w, r)
				return
			}
			if n.Add(1) < 3 {
				w.WriteHeader(503)
				return
			}
		}))
		defer srv.Close()
		if err := testClient(t, srv.URL, 0).WaitReady(t.Context(), 5*time.Second); err != nil {
			t.Fatal(err)
		}
		if n.Load() != 3 {
			t.Errorf("probed %d times, want 3", n.Load())
		}
	})
	t.Run("falls back to /v1/models", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path != "/v1/models" {
				http.NotFound(w, r)
				return
			}
			fmt.Fprint(w, `{"data":[]}`)
		}))
		defer srv.Close()
		if err := testClient(t, srv.URL, 0).WaitReady(t.Context(), 5*time.Second); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("unreachable", func(t *testing.T) {
		srv := httptest.NewServer(http.NotFoundHandler())
		url := srv.URL
		srv.Close()
		err := testClient(t, url, 0).WaitReady(t.Context(), 300*time.Millisecond)
		if !errors.Is(err, ErrUnavailable) || !strings.Contains(err.Error(), url) {
			t.Fatalf("err = %v, want ErrUnavailable naming %s", err, url)
		}
	})
}

func TestWaitReadyOtherServers(t *testing.T) {
	tests := []struct {
		name    string
		handler http.HandlerFunc
		ok      bool
	}{
		{name: "only chat completions (404 elsewhere)", handler: func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) }, ok: true},
		{name: "health wants a key (401)", handler: raw(401, `{"error":"Unauthorized"}`), ok: true},
		{name: "405 on GET everywhere", handler: raw(405, `{"detail":"Method Not Allowed"}`), ok: true},
		{name: "503 forever (loading)", handler: raw(503, "loading"), ok: false},
		{name: "502 from a proxy forever", handler: raw(502, "<html>bad gateway</html>"), ok: false},
		{name: "204 on health", handler: raw(204, ""), ok: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := httptest.NewServer(tt.handler)
			defer srv.Close()
			c := testClient(t, srv.URL, 0)
			err := c.WaitReady(t.Context(), 300*time.Millisecond)
			if (err == nil) != tt.ok {
				t.Errorf("WaitReady = %v, want ok=%v", err, tt.ok)
			}
		})
	}
	t.Run("accepts TCP, never speaks HTTP", func(t *testing.T) {
		s := newRawServer(t, func(i int, conn net.Conn, req *http.Request) bool { hangConn(conn); return false })
		c := testClient(t, s.URL(), 0)
		start := time.Now()
		err := c.WaitReady(t.Context(), 300*time.Millisecond)
		if !errors.Is(err, ErrUnavailable) {
			t.Errorf("WaitReady = %v, want ErrUnavailable", err)
		}
		if d := time.Since(start); d > 1500*time.Millisecond {
			t.Errorf("WaitReady took %s, bound 300ms", d)
		}
	})
	t.Run("503 forever is not ready, not unreachable", func(t *testing.T) {
		srv := httptest.NewServer(raw(503, "loading"))
		defer srv.Close()
		err := testClient(t, srv.URL, 0).WaitReady(t.Context(), 200*time.Millisecond)
		if !errors.Is(err, ErrNotReady) || !errors.Is(err, ErrUnavailable) {
			t.Errorf("WaitReady = %v, want ErrNotReady and ErrUnavailable", err)
		}
	})
	t.Run("refused is unreachable, not just not ready", func(t *testing.T) {
		srv := httptest.NewServer(raw(200, ""))
		url := srv.URL
		srv.Close()
		err := testClient(t, url, 0).WaitReady(t.Context(), 200*time.Millisecond)
		if !errors.Is(err, ErrUnavailable) || errors.Is(err, ErrNotReady) {
			t.Errorf("WaitReady = %v, want ErrUnavailable only", err)
		}
	})
	t.Run("health_generate hangs, health answers", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/health_generate" {
				<-r.Context().Done()
			}
		}))
		defer srv.Close()
		start := time.Now()
		if err := testClient(t, srv.URL, 0).WaitReady(t.Context(), 2*time.Second); err != nil {
			t.Errorf("WaitReady = %v", err)
		}
		if d := time.Since(start); d > time.Second {
			t.Errorf("took %s", d)
		}
	})
	t.Run("canceled while waiting", func(t *testing.T) {
		srv := httptest.NewServer(raw(503, "loading"))
		defer srv.Close()
		c := testClient(t, srv.URL, 0)
		ctx, cancel := context.WithTimeout(t.Context(), 100*time.Millisecond)
		defer cancel()
		if err := c.WaitReady(ctx, time.Minute); err == nil || errors.Is(err, ErrUnavailable) {
			t.Errorf("WaitReady = %v, want the context's error", err)
		}
	})
}
