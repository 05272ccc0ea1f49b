package shard

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzReadOutput feeds arbitrary bytes to the output-shard reader, seeded
// with a real two-frame shard: it must never panic, must account for every
// byte (good frames plus torn tail), and a file cut at GoodBytes must read
// back the same records with no tail.
func FuzzReadOutput(f *testing.F) {
	seed := filepath.Join(f.TempDir(), "seed.jsonl.zst")
	w, _, err := OpenOutput(seed, nil)
	if err != nil {
		f.Fatal(err)
	}
	for i := range 3 {
		w.Add(gen("u", i))
		if i == 1 {
			w.Flush()
		}
	}
	if err := w.Close(); err != nil {
		f.Fatal(err)
	}
	b, _ := os.ReadFile(seed)
	f.Add(b)
	f.Add(b[:len(b)/2])
	f.Add([]byte{0x50, 0x2a, 0x4d, 0x18, 0xff, 0xff, 0xff, 0xff})
	f.Fuzz(func(t *testing.T, data []byte) {
		path := filepath.Join(t.TempDir(), "s.jsonl.zst")
		if err := os.WriteFile(path, data, 0o644); err != nil {
			t.Fatal(err)
		}
		info, err := ReadOutput(path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if info.GoodBytes+info.TornBytes != int64(len(data)) {
			t.Fatalf("good %d + torn %d != %d bytes", info.GoodBytes, info.TornBytes, len(data))
		}
		if err := os.WriteFile(path, data[:info.GoodBytes], 0o644); err != nil {
			t.Fatal(err)
		}
		again, err := ReadOutput(path, nil)
		if err != nil || again.Records != info.Records || again.TornBytes != 0 {
			t.Fatalf("after cutting the tail: %+v, %v; before: %+v", again, err, info)
		}
	})
}
