package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/distillery-hpc/distillery/runner/openai/openaitest"
	"github.com/distillery-hpc/distillery/shard"
)

// flakyServer is a bare OpenAI-style proxy (runner/openai/openaitest's
// Proxy dialect: only /v1/chat/completions and /v1/models, like a bare
// vLLM or a proxy in front of one). A share of the requests meet a random
// fault: 5xx, an HTML 502, 429 or 503 with Retry-After (seconds or a
// date), a connection reset, a truncated body, a hang, finish_reason
// "abort", no choices, a keep-alive connection closed under the client, a
// chunked answer with no Content-Type, an answer with the reasoning split
// off and cut by length, or an error object with status 200.
type flakyServer struct {
	*openaitest.Server
	faults atomic.Int64
}

func newFlakyServer(t *testing.T, faultRate float64) *flakyServer {
	s := &flakyServer{}
	faults := []func() openaitest.Reply{
		func() openaitest.Reply {
			return openaitest.Reply{Status: 500, Header: map[string]string{"Content-Type": "text/plain"}, Body: "Internal Server Error"}
		},
		func() openaitest.Reply {
			return openaitest.Reply{Status: 502, Header: map[string]string{"Content-Type": "text/html"}, Body: "<html><body><h1>502 Bad Gateway</h1></body></html>"}
		},
		func() openaitest.Reply {
			return openaitest.Reply{Status: 429, Header: map[string]string{"Retry-After": "1"}, Error: "Rate limit reached"}
		},
		func() openaitest.Reply {
			return openaitest.Reply{Status: 503, Header: map[string]string{"Retry-After": time.Now().Add(time.Second).UTC().Format(http.TimeFormat)}, Error: "Service Unavailable"}
		},
		func() openaitest.Reply { return openaitest.Reply{Fault: openaitest.Reset} },
		func() openaitest.Reply { return openaitest.Reply{Fault: openaitest.Truncate} },
		func() openaitest.Reply { return openaitest.Reply{Fault: openaitest.Hang} }, // until the client's request_timeout
		func() openaitest.Reply { return openaitest.Reply{Finish: "abort"} },
		func() openaitest.Reply { return openaitest.Reply{NoChoices: true} },
		func() openaitest.Reply { return openaitest.Reply{Fault: openaitest.CloseAfter} }, // answered, then the keep-alive connection dies
		func() openaitest.Reply { return openaitest.Reply{Fault: openaitest.Chunked} },
		func() openaitest.Reply { return openaitest.Reply{Reasoning: "thinking", Finish: "length"} }, // content null
		func() openaitest.Reply {
			return openaitest.Reply{Body: `{"object":"error","message":"The server is overloaded","type":"ServiceUnavailableError","code":503}`}
		},
	}
	s.Server = openaitest.New(t, openaitest.Config{Dialect: openaitest.Proxy, Model: "test/model", Reply: func(*openaitest.Request) openaitest.Reply {
		if rand.Float64() < faultRate {
			s.faults.Add(1)
			return faults[rand.N(len(faults))]()
		}
		return openaitest.Reply{}
	}})
	return s
}

// TestRunCommandAgainstFlakyServer: the built binary, pointed at a server
// that is not ours and fails half of the requests in random ways, is
// run again after every non-zero exit until it exits 0; the shards then
// hold every (uuid, index) exactly once, with done markers.
func TestRunCommandAgainstFlakyServer(t *testing.T) {
	bin := buildDistillery(t)
	srv := newFlakyServer(t, 0.5)
	sizes := []int{40, 25}
	cfg, l := writeRunDir(t, t.TempDir(), srv.URL()+"/v1/", sizes, "request_timeout = \"300ms\"\n")
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
		if code != 1 || !strings.Contains(last, srv.URL()) {
			t.Fatalf("run %d: exit %d, last line %q\n%s", runs, code, last, e.String())
		}
		for id := range sizes {
			if _, err := os.Stat(l.Lease(id)); !os.IsNotExist(err) {
				t.Fatalf("run %d left shard %d's lease behind", runs, id)
			}
		}
	}
	t.Logf("%d runs (%d stopped by the retry budget); server: %d answers, %d faults, %d pairs", runs, fails, srv.Answered(), srv.faults.Load(), want)

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
