package merge

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distillery-hpc/distillery/shard"
)

func TestSwapDir(t *testing.T) {
	tests := []struct {
		name     string
		exchange func(a, b string) error
		existing bool
	}{
		{"first dataset", exchangeDirs, false},
		{"atomic exchange", exchangeDirs, true},
		{"fallback: rename aside", func(a, b string) error { return errors.New("not supported") }, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			final := filepath.Join(dir, "dataset")
			if tt.existing {
				os.MkdirAll(filepath.Join(final, "data", "old"), 0o755)
				os.WriteFile(filepath.Join(final, "README.md"), []byte("old"), 0o644)
			}
			tmp := filepath.Join(dir, ".dataset.tmp-1")
			os.MkdirAll(filepath.Join(tmp, "data", "new"), 0o755)
			os.WriteFile(filepath.Join(tmp, "README.md"), []byte("new"), 0o644)
			if err := swapDirWith(tmp, final, tt.exchange); err != nil {
				t.Fatal(err)
			}
			if b, _ := os.ReadFile(filepath.Join(final, "README.md")); string(b) != "new" {
				t.Errorf("dataset/README.md = %q, want the new one", b)
			}
			if _, err := os.Stat(filepath.Join(final, "data", "old")); !errors.Is(err, os.ErrNotExist) {
				t.Error("the old dataset's files survived")
			}
			entries, _ := os.ReadDir(dir)
			if len(entries) != 1 {
				var names []string
				for _, e := range entries {
					names = append(names, e.Name())
				}
				t.Errorf("left in the run dir: %v, want only dataset", names)
			}
		})
	}
}

func TestRunRefusesConcurrentMerge(t *testing.T) {
	l := writeRun(t, t.TempDir(), e2eShards(), nil)
	lock, err := lockRun(context.Background(), l, shard.LeaseOptions{Host: "other-node", PID: 1})
	if err != nil {
		t.Fatal(err)
	}
	defer lock.Release()
	_, err = Run(context.Background(), testOptions(l, nil, ""))
	if err == nil || !strings.Contains(err.Error(), "another merge") {
		t.Fatalf("err = %v, want another merge running", err)
	}
	if _, err := os.Stat(shard.Layout{Dir: l.Dir}.DatasetDir()); !errors.Is(err, os.ErrNotExist) {
		t.Error("dataset written while another merge held the lock")
	}
}
