package shard

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
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
