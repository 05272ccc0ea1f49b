package shard

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// writeShardOutput writes n records into shard id's output and returns
// the done marker that vouches for it.
func writeShardOutput(t *testing.T, l Layout, id, n int) Done {
	t.Helper()
	if err := os.MkdirAll(l.OutputDir(), DirPerm); err != nil {
		t.Fatal(err)
	}
	w, _, err := OpenOutput(l.Output(id), nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range n {
		w.Add(&Generation{UUID: "u", Index: i, Text: "x"})
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	size, sum, err := FileSHA256(l.Output(id))
	if err != nil {
		t.Fatal(err)
	}
	return Done{Shard: id, Problems: 1, Generations: n, InputSHA256: "in", OutputBytes: size, OutputSHA: sum}
}

func writeMarker(t *testing.T, l Layout, d Done) {
	t.Helper()
	b, _ := json.Marshal(d)
	if err := os.WriteFile(l.DoneMarker(d.Shard), b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// TestStateOf: every way a shard can look done and not be, and how hard
// each Check looks.
func TestStateOf(t *testing.T) {
	tests := []struct {
		name      string
		setup     func(t *testing.T, l Layout) // shard 0, planned input sha "in"
		check     Check
		want      Kind
		reason    string // substring of Reason
		hasMarker bool
	}{
		{name: "nothing yet", setup: func(*testing.T, Layout) {}, want: KindAbsent, reason: "no output yet"},
		{name: "output without marker", setup: func(t *testing.T, l Layout) { writeShardOutput(t, l, 0, 2) },
			want: KindPartial, reason: "no done marker"},
		{name: "done", setup: func(t *testing.T, l Layout) { writeMarker(t, l, writeShardOutput(t, l, 0, 2)) },
			check: CheckHash, want: KindDone, hasMarker: true},
		{name: "marker of another plan", setup: func(t *testing.T, l Layout) {
			d := writeShardOutput(t, l, 0, 2)
			d.InputSHA256 = "other"
			writeMarker(t, l, d)
		}, want: KindPartial, reason: "another input", hasMarker: true},
		{name: "output missing", setup: func(t *testing.T, l Layout) {
			d := writeShardOutput(t, l, 0, 2)
			writeMarker(t, l, d)
			os.Remove(l.Output(0))
		}, want: KindAbsent, reason: "output file is missing", hasMarker: true},
		{name: "output cut short", setup: func(t *testing.T, l Layout) {
			writeMarker(t, l, writeShardOutput(t, l, 0, 2))
			os.Truncate(l.Output(0), 10)
		}, want: KindPartial, reason: "10 bytes, its done marker says", hasMarker: true},
		{name: "same size, other bytes: CheckSize does not hash", setup: func(t *testing.T, l Layout) {
			d := writeShardOutput(t, l, 0, 2)
			d.OutputSHA = strings.Repeat("0", 64)
			writeMarker(t, l, d)
		}, check: CheckSize, want: KindDone, hasMarker: true},
		{name: "same size, other bytes: CheckHash finds it", setup: func(t *testing.T, l Layout) {
			d := writeShardOutput(t, l, 0, 2)
			d.OutputSHA = strings.Repeat("0", 64)
			writeMarker(t, l, d)
		}, check: CheckHash, want: KindPartial, reason: "SHA-256 differs", hasMarker: true},
		{name: "marker without checksums", setup: func(t *testing.T, l Layout) {
			os.MkdirAll(l.OutputDir(), DirPerm)
			writeMarker(t, l, Done{Shard: 0, Problems: 1, Generations: 2})
		}, check: CheckHash, want: KindDone, hasMarker: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := Layout{Dir: t.TempDir()}
			tt.setup(t, l)
			st, err := StateOf(l, ShardInfo{ID: 0, SHA256: "in"}, tt.check)
			if err != nil {
				t.Fatal(err)
			}
			if st.Kind != tt.want || !strings.Contains(st.Reason, tt.reason) || (st.Marker != nil) != tt.hasMarker {
				t.Errorf("StateOf = %+v, want %s with reason %q (marker %v)", st, tt.want, tt.reason, tt.hasMarker)
			}
			if st.IsDone() != (tt.want == KindDone) || (st.IsDone() && st.Reason != "") {
				t.Errorf("IsDone %v with reason %q", st.IsDone(), st.Reason)
			}
		})
	}
}

func TestStateOfCorruptMarker(t *testing.T) {
	l := Layout{Dir: t.TempDir()}
	os.MkdirAll(l.OutputDir(), DirPerm)
	os.WriteFile(l.DoneMarker(3), []byte("{not json"), 0o644)
	_, err := StateOf(l, ShardInfo{ID: 3}, CheckSize)
	if err == nil || !strings.Contains(err.Error(), l.DoneMarker(3)) || !strings.Contains(err.Error(), "delete it") {
		t.Fatalf("err = %v, want one naming the marker and what to do", err)
	}
}

// TestDoneCheckOutput: what a reader that hashes while it reads (merge)
// asks of the marker StateOf returned.
func TestDoneCheckOutput(t *testing.T) {
	d := Done{OutputBytes: 100, OutputSHA: "abc"}
	for _, tt := range []struct {
		size int64
		sum  string
		want string
	}{
		{100, "abc", ""},
		{99, "abc", "99 bytes, its done marker says 100"},
		{100, "abd", "SHA-256 differs"},
	} {
		if got := d.CheckOutput(tt.size, tt.sum); (tt.want == "") != (got == "") || !strings.Contains(got, tt.want) {
			t.Errorf("CheckOutput(%d, %q) = %q, want %q", tt.size, tt.sum, got, tt.want)
		}
	}
	if got := (&Done{}).CheckOutput(5, "x"); got != "" {
		t.Errorf("a marker without checksums: %q", got)
	}
}

// TestShardInput: ShardInfo.File is honoured, relative to the run dir;
// without it the default name; ReadShardInput refuses a changed input.
func TestShardInput(t *testing.T) {
	l := Layout{Dir: t.TempDir()}
	if got := l.ShardInput(ShardInfo{ID: 7}); got != l.Input(7) {
		t.Errorf("default: %s", got)
	}
	moved := ShardInfo{ID: 7, File: "elsewhere/seven.jsonl.zst"}
	if got := l.ShardInput(moved); got != filepath.Join(l.Dir, "elsewhere", "seven.jsonl.zst") {
		t.Errorf("File: %s", got)
	}
	if err := os.MkdirAll(filepath.Join(l.Dir, "elsewhere"), DirPerm); err != nil {
		t.Fatal(err)
	}
	sum, err := WriteInput(l.ShardInput(moved), []Problem{{UUID: "p1", Problem: "1+1", Answer: "2"}})
	if err != nil {
		t.Fatal(err)
	}
	moved.SHA256 = sum
	ps, got, err := ReadShardInput(l, moved)
	if err != nil || len(ps) != 1 || ps[0].UUID != "p1" || got != sum {
		t.Fatalf("ReadShardInput = %v %s %v", ps, got, err)
	}
	moved.SHA256 = strings.Repeat("f", 64)
	if _, _, err := ReadShardInput(l, moved); err == nil || !strings.Contains(err.Error(), "seven.jsonl.zst does not match plan.json") {
		t.Errorf("changed input: %v", err)
	}
	if _, _, err := ReadShardInput(l, ShardInfo{ID: 7}); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("missing default input: %v", err)
	}
}
