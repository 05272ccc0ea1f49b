package shard

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/klauspost/compress/zstd"
)

// TestReadOutputForeignRecords reads an output shard another writer made:
// one zstd frame (as `zstd FILE` writes it) of records with extra fields,
// missing optional fields and optional fields of other types. Every record
// is read, none is taken for a torn tail; a record without a usable uuid
// or index still is.
func TestReadOutputForeignRecords(t *testing.T) {
	lines := []string{
		`{"uuid":"u1","index":0,"text":"a \\boxed{1}","finish_reason":"stop","rule_grader":true,"extra":{"x":[1,2]}}`,
		`{"uuid":"u1","index":1,"text":"b","finish_reason":null}`,
		`{"uuid":"u1","index":2.0,"text":"c","finish_reason":"length","latency_ms":1234.6,"prompt_tokens":"17","started_at":1700000000.5,"finished_at":""}`,
		`{"uuid":"u2","index":0,"text":"d","finish_reason":"stop","completion_tokens":null,"model":7,"host":null,"attempts":1.0}`,
		`{"uuid":"u4","text":"e","finish_reason":"stop"}`,
	}
	tests := []struct {
		name    string
		lines   []string
		records int
		torn    bool
	}{
		{"foreign but usable", lines, 5, false},
		{"index not a whole number", append(lines[:1:1], `{"uuid":"u3","index":1.5,"text":"x"}`), 1, true},
		{"text not text", append(lines[:1:1], `{"uuid":"u3","index":0,"text":["x"]}`), 1, true},
		{"no uuid", append(lines[:1:1], `{"index":0,"text":"x","latency_ms":1.5}`), 1, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "shard-00000.jsonl.zst")
			// One frame of whole lines, then a second one, as `cat a b | zstd` would not but appending writers do.
			content := zstded(t, []byte(lines[0]+"\n"))
			content = append(content, zstded(t, []byte(strings.Join(tc.lines[1:], "\n")+"\n"))...)
			if err := os.WriteFile(path, content, 0o644); err != nil {
				t.Fatal(err)
			}
			var got []Generation
			info, err := ReadOutput(path, func(g *Generation) error { got = append(got, *g); return nil })
			if err != nil {
				t.Fatal(err)
			}
			if info.Records != tc.records || (info.TornBytes > 0) != tc.torn {
				t.Fatalf("records %d torn %d, want %d torn=%v", info.Records, info.TornBytes, tc.records, tc.torn)
			}
			if tc.name != "foreign but usable" {
				return
			}
			g := got[2]
			if g.Index != 2 || g.LatencyMS != 1235 || g.PromptTokens != 17 || !g.StartedAt.Equal(time.Unix(1700000000, 5e8)) || !g.FinishedAt.IsZero() {
				t.Errorf("record 2 = %+v", g)
			}
			if got[1].FinishReason != "" || got[3].Model != "" || got[3].Attempts != 1 || got[4].Index != 0 || got[0].Text != `a \boxed{1}` {
				t.Errorf("records = %+v", got)
			}
		})
	}
}

// TestReadOutputFramesSplitLines reads a shard whose frames cut lines
// anywhere, as pzstd writes a file compressed in chunks: every record is
// read. When the file ends inside a line, the records after the last frame
// that ends a line are the torn tail, and OpenOutput cuts back to there.
func TestReadOutputFramesSplitLines(t *testing.T) {
	var jsonl []byte
	for i := range 40 {
		jsonl = append(jsonl, fmt.Sprintf(`{"uuid":"u%d","index":%d,"text":"%s","finish_reason":"stop"}`+"\n", i/4, i%4, strings.Repeat("x", i*7))...)
	}
	enc, _ := zstd.NewWriter(nil)
	defer enc.Close()
	frames := func(b []byte, size int) (out []byte) {
		for len(b) > 0 {
			n := min(size, len(b))
			out = enc.EncodeAll(b[:n], out)
			b = b[n:]
		}
		return out
	}
	for _, size := range []int{1, 37, 100, len(jsonl)} {
		t.Run(fmt.Sprintf("chunks of %d bytes", size), func(t *testing.T) {
			content := frames(jsonl, size)
			path := filepath.Join(t.TempDir(), "out.jsonl.zst")
			os.WriteFile(path, content, 0o644)
			info, err := ReadOutput(path, nil)
			if err != nil || info.Records != 40 || info.TornBytes != 0 {
				t.Fatalf("records %d torn %d err %v, want 40, 0", info.Records, info.TornBytes, err)
			}
		})
	}
	t.Run("ends inside a line", func(t *testing.T) {
		// 20 whole lines in one frame, then frames of 50 bytes that end
		// inside line 22: the last frame that ends a line is the first.
		line21 := bytes.Index(jsonl, []byte(`{"uuid":"u5"`))
		cut := bytes.Index(jsonl, []byte(`{"uuid":"u5","index":1`)) + 10
		content := append(frames(jsonl[:line21], line21), frames(jsonl[line21:cut], 50)...)
		path := filepath.Join(t.TempDir(), "out.jsonl.zst")
		os.WriteFile(path, content, 0o644)
		w, info, err := OpenOutput(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		w.Close()
		if info.Records != 20 || info.TornBytes == 0 {
			t.Fatalf("records %d torn %d: want the lines up to the last frame ending a line, and a torn tail", info.Records, info.TornBytes)
		}
		again, _ := ReadOutput(path, nil)
		if again.Records != info.Records || again.TornBytes != 0 {
			t.Fatalf("after OpenOutput cut the tail: records %d torn %d, want %d, 0", again.Records, again.TornBytes, info.Records)
		}
	})
}

// TestReadOutputNumbersRecordsWithoutIndex: another writer's records
// without an index (the real generations file has none) are numbered per
// uuid in file order, around the indexes that records do have.
func TestReadOutputNumbersRecordsWithoutIndex(t *testing.T) {
	lines := `{"uuid":"a","text":"a0"}
{"uuid":"b","text":"b0"}
{"uuid":"a","index":1,"text":"a1"}
{"uuid":"a","text":"a2"}
{"uuid":"a","index":null,"text":"a3","latency_ms":2.5}
{"uuid":"b","text":"b1"}
`
	path := filepath.Join(t.TempDir(), "out.jsonl.zst")
	os.WriteFile(path, zstded(t, []byte(lines)), 0o644)
	got := map[string]int{}
	info, err := ReadOutput(path, func(g *Generation) error { got[g.Text] = g.Index; return nil })
	if err != nil || info.Records != 6 || info.Duplicates != 0 {
		t.Fatalf("records %d duplicates %d err %v", info.Records, info.Duplicates, err)
	}
	want := map[string]int{"a0": 0, "b0": 0, "a1": 1, "a2": 2, "a3": 3, "b1": 1}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Fatalf("indexes %v, want %v", got, want)
	}
}
