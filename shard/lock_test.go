package shard

import (
	"context"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// TestHoldIsExclusiveAndWaits: a held lock refuses a second holder, who
// can wait for it instead; waiting ends with ctx.
func TestHoldIsExclusiveAndWaits(t *testing.T) {
	path := filepath.Join(t.TempDir(), "submit.lease")
	ctx := context.Background()
	a, err := Hold(ctx, path, LeaseOptions{Host: "login1", PID: 11, TTL: time.Minute}, false)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Hold(ctx, path, LeaseOptions{Host: "login2", PID: 12, TTL: time.Minute}, false); !errors.Is(err, ErrLeaseHeld) || !strings.Contains(err.Error(), "login1") {
		t.Fatalf("second holder: %v, want held by login1", err)
	}
	short, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	if _, err := Hold(short, path, LeaseOptions{Host: "login2", PID: 12, TTL: time.Minute}, true); !errors.Is(err, ErrLeaseHeld) || !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("waiting past ctx: %v", err)
	}
	got := make(chan error, 1)
	go func() {
		b, err := Hold(ctx, path, LeaseOptions{Host: "login2", PID: 12, TTL: time.Minute}, true)
		if err == nil {
			if li := b.Info(); li.Host != "login2" {
				err = errors.New("held by " + li.Host)
			}
			err = errors.Join(err, b.Release())
		}
		got <- err
	}()
	time.Sleep(200 * time.Millisecond)
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatalf("the waiting holder: %v", err)
	}
	if err := a.Release(); err != nil {
		t.Errorf("a second Release: %v", err)
	}
	if left, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}

// TestHoldKeepsFresh: the heartbeat keeps a lock alive past its TTL, and a
// holder whose lock was taken over learns so from Check.
func TestHoldKeepsFresh(t *testing.T) {
	path := filepath.Join(t.TempDir(), ".merge.lease")
	ctx := context.Background()
	a, err := Hold(ctx, path, LeaseOptions{Host: "n1", PID: 1, TTL: 300 * time.Millisecond}, false)
	if err != nil {
		t.Fatal(err)
	}
	first := a.Info().Heartbeat
	time.Sleep(time.Second) // three TTLs
	if _, err := Hold(ctx, path, LeaseOptions{Host: "n2", PID: 2, TTL: time.Minute}, false); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("a lock kept fresh was taken: %v", err)
	}
	if !a.Info().Heartbeat.After(first) {
		t.Error("no heartbeat")
	}
	if err := a.Check(); err != nil {
		t.Fatal(err)
	}
	// Someone deletes the lease and takes it (as after a hang past the
	// TTL): the old holder's Check and Release say it is lost.
	os.Remove(path)
	b, err := Hold(ctx, path, LeaseOptions{Host: "n2", PID: 2, TTL: time.Minute}, false)
	if err != nil {
		t.Fatal(err)
	}
	defer b.Release()
	if err := a.Check(); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Check after a takeover: %v", err)
	}
	if err := a.Release(); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("Release after a takeover: %v", err)
	}
	if err := b.Check(); err != nil {
		t.Errorf("the new holder lost it: %v", err)
	}
}

// writeOwner writes the owner record of dir as a lease of holder, its
// mtime its heartbeat.
func writeOwner(t *testing.T, dir string, li LeaseInfo) {
	t.Helper()
	b, _ := json.Marshal(li)
	if err := os.WriteFile(dir+OwnerSuffix, b, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chtimes(dir+OwnerSuffix, li.Heartbeat, li.Heartbeat); err != nil {
		t.Fatal(err)
	}
}

// TestRemoveAbandoned: a build directory goes only when its owner is
// provably gone; two merges on different nodes never delete each other's
// build.
func TestRemoveAbandoned(t *testing.T) {
	cmd := exec.Command("sh", "-c", "exit 0")
	if err := cmd.Run(); err != nil {
		t.Skipf("SKIP: cannot run sh: %v", err)
	}
	dead := cmd.Process.Pid
	now := time.Now()
	me := LeaseOptions{Host: "n1", PID: os.Getpid(), TTL: time.Minute}
	tests := []struct {
		name        string
		owner       *LeaseInfo // nil: no owner record
		wantRemoved bool
		wantUnowned bool
	}{
		{name: "live merge on another node", owner: &LeaseInfo{Host: "n2", PID: 4242, Token: "t", Heartbeat: now, TTLSeconds: 60}},
		{name: "stale heartbeat on another node", owner: &LeaseInfo{Host: "n2", PID: 4242, Token: "t", Heartbeat: now.Add(-time.Hour), TTLSeconds: 60}, wantRemoved: true},
		{name: "dead pid on this host", owner: &LeaseInfo{Host: "n1", PID: dead, PIDNS: pidNamespace(), Token: "t", Heartbeat: now, TTLSeconds: 60}, wantRemoved: pidNamespace() != ""},
		{name: "live pid on this host", owner: &LeaseInfo{Host: "n1", PID: os.Getppid(), PIDNS: pidNamespace(), Token: "t", Heartbeat: now, TTLSeconds: 60}},
		{name: "dead pid number on another host", owner: &LeaseInfo{Host: "n2", PID: dead, PIDNS: pidNamespace(), Token: "t", Heartbeat: now, TTLSeconds: 60}},
		{name: "no owner record", wantUnowned: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, ".dataset.tmp-x")
			if err := os.MkdirAll(filepath.Join(dir, "data"), DirPerm); err != nil {
				t.Fatal(err)
			}
			if tt.owner != nil {
				writeOwner(t, dir, *tt.owner)
			}
			removed, unowned, err := RemoveAbandoned(parent, ".dataset.tmp-", me)
			if err != nil {
				t.Fatal(err)
			}
			_, statErr := os.Stat(dir)
			if gone := errors.Is(statErr, os.ErrNotExist); gone != tt.wantRemoved || (len(removed) == 1) != tt.wantRemoved {
				t.Errorf("removed %v (dir gone %v), want removed %v", removed, gone, tt.wantRemoved)
			}
			if (len(unowned) == 1) != tt.wantUnowned {
				t.Errorf("unowned %v, want %v", unowned, tt.wantUnowned)
			}
			if _, err := os.Stat(dir + OwnerSuffix); tt.owner != nil && errors.Is(err, os.ErrNotExist) != tt.wantRemoved {
				t.Errorf("owner record there: %v, want removed %v", err == nil, tt.wantRemoved)
			}
		})
	}
}

// TestMkdirOwned: two builders (two merges on two nodes) each get their
// own directory, neither removes the other's while both live, and a
// released owner leaves nothing behind.
func TestMkdirOwned(t *testing.T) {
	parent := t.TempDir()
	ctx := context.Background()
	a, ownA, err := MkdirOwned(ctx, parent, ".dataset.tmp-", LeaseOptions{Host: "n1", PID: 1, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	b, ownB, err := MkdirOwned(ctx, parent, ".dataset.tmp-", LeaseOptions{Host: "n2", PID: 2, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if a == b {
		t.Fatal("one directory for two builders")
	}
	for _, o := range []LeaseOptions{{Host: "n1", PID: 1}, {Host: "n2", PID: 2}, {Host: "n3", PID: 3}} {
		removed, unowned, err := RemoveAbandoned(parent, ".dataset.tmp-", o)
		if err != nil || len(removed)+len(unowned) > 0 {
			t.Fatalf("RemoveAbandoned as %s: removed %v, unowned %v, %v", o.Host, removed, unowned, err)
		}
	}
	for _, d := range []string{a, b} {
		if st, err := os.Stat(d); err != nil || !st.IsDir() {
			t.Fatalf("%s: %v", d, err)
		}
	}
	os.Remove(a)
	if err := ownA.Release(); err != nil {
		t.Fatal(err)
	}
	os.Remove(b)
	if err := ownB.Release(); err != nil {
		t.Fatal(err)
	}
	if left, _ := filepath.Glob(filepath.Join(parent, "*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
	// And a hidden glob: owner records and lease temporaries start with a dot.
	if left, _ := filepath.Glob(filepath.Join(parent, ".*")); len(left) > 0 {
		t.Errorf("left behind: %v", left)
	}
}
