package shard

import (
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

func gen(u string, i int) *Generation {
	return &Generation{UUID: u, Index: i, Text: fmt.Sprintf("text %s %d \\boxed{%d}", u, i, i), FinishReason: "stop"}
}

func TestOutputRoundTripAndTornTail(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shard-00000.jsonl.zst")
	w, info, err := OpenOutput(path, nil)
	if err != nil {
		t.Fatal(err)
	}
	if info.Records != 0 {
		t.Fatalf("new file has %d records", info.Records)
	}
	for f := 0; f < 3; f++ {
		for i := 0; i < 4; i++ {
			if err := w.Add(gen(fmt.Sprintf("u%d", f), i)); err != nil {
				t.Fatal(err)
			}
		}
		if err := w.Flush(); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	full, _ := os.ReadFile(path)

	// Every cut of the file reads as a prefix of whole frames.
	for cut := 0; cut <= len(full); cut++ {
		if err := os.WriteFile(path, full[:cut], 0o644); err != nil {
			t.Fatal(err)
		}
		info, err := ReadOutput(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if info.Records%4 != 0 || info.GoodBytes+info.TornBytes != int64(cut) {
			t.Fatalf("cut %d: %+v", cut, info)
		}
		if cut == len(full) && (info.Records != 12 || info.TornBytes != 0) {
			t.Fatalf("full file: %+v", info)
		}
		// The read hashes the whole file, torn tail included: what a done
		// marker's output_sha256 is of.
		if size, sum, _ := FileSHA256(path); info.Size != size || info.SHA256 != sum {
			t.Fatalf("cut %d: read says %d bytes %s, the file is %d bytes %s", cut, info.Size, info.SHA256, size, sum)
		}
	}

	// Reopening a torn file cuts the tail and appends after the last frame.
	if err := os.WriteFile(path, full[:len(full)-3], 0o644); err != nil {
		t.Fatal(err)
	}
	seen := map[Key]bool{}
	w, info, err = OpenOutput(path, func(g *Generation) error { seen[g.Key()] = true; return nil })
	if err != nil {
		t.Fatal(err)
	}
	if info.Records != 8 || len(seen) != 8 {
		t.Fatalf("after torn tail: %+v, seen %d", info, len(seen))
	}
	for i := 0; i < 4; i++ {
		w.Add(gen("u2", i))
		w.Add(gen("u0", i)) // duplicates are skipped by readers
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	info, err = ReadOutput(path, nil)
	if err != nil || info.Records != 12 || info.Duplicates != 4 || info.TornBytes != 0 {
		t.Fatalf("after resume: %+v %v", info, err)
	}
}

func TestInputRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "in.jsonl.zst")
	ps := []Problem{{UUID: "a", Problem: "1+1 <b>", Answer: "2"}, {UUID: "b", Problem: "x", Answer: `\frac{1}{2}`}}
	sum, err := WriteInput(path, ps)
	if err != nil {
		t.Fatal(err)
	}
	got, sum2, err := ReadInput(path)
	if err != nil || sum != sum2 || len(got) != 2 || got[1].Answer != `\frac{1}{2}` || got[0].Problem != "1+1 <b>" {
		t.Fatalf("got %+v %v %s %s", got, err, sum, sum2)
	}
}
