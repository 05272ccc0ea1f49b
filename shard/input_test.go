package shard

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"testing"
)

// One encoder reused across shards (as the planner does) writes the same
// files as a new encoder for each: the reset leaves nothing of the shard
// before in the next.
func TestShardEncoderReuseWritesTheSameFiles(t *testing.T) {
	dir := t.TempDir()
	enc, err := newShardEncoder()
	if err != nil {
		t.Fatal(err)
	}
	for i, n := range []int{300, 1, 40, 300} {
		var ps []Problem
		for j := range n {
			ps = append(ps, Problem{UUID: fmt.Sprintf("u%d-%d", i, j), Problem: fmt.Sprintf("What is %d+%d? %s", i, j, bytes.Repeat([]byte("x"), j%97)), Answer: fmt.Sprint(i + j)})
		}
		reused, fresh := filepath.Join(dir, fmt.Sprintf("reused-%d", i)), filepath.Join(dir, fmt.Sprintf("fresh-%d", i))
		sumR, err := enc.write(reused, ps)
		if err != nil {
			t.Fatal(err)
		}
		sumF, err := WriteInput(fresh, ps)
		if err != nil {
			t.Fatal(err)
		}
		a, _ := os.ReadFile(reused)
		b, _ := os.ReadFile(fresh)
		if sumR != sumF || !bytes.Equal(a, b) || len(a) == 0 {
			t.Fatalf("shard %d: reused encoder wrote %d bytes (sha %s), a new one %d (sha %s)", i, len(a), sumR, len(b), sumF)
		}
		back, sum, err := ReadInput(reused)
		if err != nil || sum != sumR || len(back) != n || back[n-1].UUID != ps[n-1].UUID {
			t.Fatalf("shard %d read back: %d problems, sha %s, %v", i, len(back), sum, err)
		}
	}
}
