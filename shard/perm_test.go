//go:build unix

package shard

import (
	"bufio"
	"context"
	"io/fs"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestFilesFollowUmask: what the shard package creates in a run dir (atomic
// writes such as plan.json and done markers, output shards, leases, the
// submit/merge locks, a merge's build directory, temporary files and
// directories) takes its mode from the umask, not a fixed 0600/0700. The
// umask is the process's: this test sets it and must not run in parallel.
func TestFilesFollowUmask(t *testing.T) {
	for _, tt := range []struct {
		umask     int
		file, dir fs.FileMode
	}{
		{0o022, 0o644, 0o755},
		{0o002, 0o664, 0o775},
		{0o077, 0o600, 0o700},
	} {
		t.Run(fs.FileMode(tt.umask).String(), func(t *testing.T) {
			old := syscall.Umask(tt.umask)
			defer syscall.Umask(old)
			root := t.TempDir()
			l := Layout{Dir: filepath.Join(root, "run")}
			if err := WriteAtomic(l.PlanFile(), func(w *bufio.Writer) error { _, err := w.WriteString("{}\n"); return err }); err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(l.OutputDir(), DirPerm); err != nil {
				t.Fatal(err)
			}
			w, _, err := OpenOutput(l.Output(0), nil)
			if err != nil {
				t.Fatal(err)
			}
			w.Close()
			lease, err := AcquireLease(l.Lease(0), LeaseOptions{Host: "h", PID: 1, TTL: time.Minute})
			if err != nil {
				t.Fatal(err)
			}
			defer lease.Release()
			held, err := Hold(context.Background(), filepath.Join(l.Dir, ".merge.lease"), LeaseOptions{Host: "h", PID: 1}, false)
			if err != nil {
				t.Fatal(err)
			}
			defer held.Release()
			build, owner, err := MkdirOwned(context.Background(), l.Dir, ".dataset.tmp-", LeaseOptions{Host: "h", PID: 1})
			if err != nil {
				t.Fatal(err)
			}
			defer owner.Release()
			f, err := CreateTemp(l.Dir, "x.tmp-")
			if err != nil {
				t.Fatal(err)
			}
			f.Close()
			tmpDir, err := MkdirTemp(l.Dir, "d.tmp-")
			if err != nil {
				t.Fatal(err)
			}
			for path, want := range map[string]fs.FileMode{
				l.Dir: tt.dir, l.PlanFile(): tt.file, l.OutputDir(): tt.dir, l.Output(0): tt.file,
				l.Lease(0): tt.file, filepath.Join(l.Dir, ".merge.lease"): tt.file,
				build: tt.dir, build + OwnerSuffix: tt.file, f.Name(): tt.file, tmpDir: tt.dir,
			} {
				st, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				if got := st.Mode().Perm(); got != want {
					t.Errorf("%s: mode %v, want %v under umask %03o", path, got, want, tt.umask)
				}
			}
		})
	}
}
