package shard

import (
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestLeaseExclusive(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shard-00001.lease")
	a, err := AcquireLease(path, LeaseOptions{Host: "a", PID: 1, JobID: "5_1", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	_, err = AcquireLease(path, LeaseOptions{Host: "b", PID: 2, TTL: time.Minute})
	if !errors.Is(err, ErrLeaseHeld) || !strings.Contains(err.Error(), "held by a (pid 1, job 5_1)") {
		t.Fatalf("second acquire: %v", err)
	}
	if err := a.Heartbeat(); err != nil {
		t.Fatal(err)
	}
	li, _, ok, err := ReadLease(path)
	if err != nil || !ok || li.Host != "a" || li.Token != a.Info().Token || li.TTL() != time.Minute {
		t.Fatalf("lease file %+v %v %v", li, ok, err)
	}
	if err := a.Release(); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Fatal("release left the file")
	}
	b, err := AcquireLease(path, LeaseOptions{Host: "b", PID: 2, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	// a no longer holds it: its checks fail and its release leaves b's
	// lease alone.
	if err := a.Check(); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("a.Check = %v", err)
	}
	if err := a.Heartbeat(); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("a.Heartbeat = %v", err)
	}
	if err := a.Release(); !errors.Is(err, ErrLeaseLost) {
		t.Errorf("a.Release = %v", err)
	}
	if err := b.Check(); err != nil {
		t.Errorf("b lost its lease: %v", err)
	}
	leftovers, _ := filepath.Glob(filepath.Join(filepath.Dir(path), ".*"))
	if len(leftovers) > 0 {
		t.Errorf("temporary files left: %v", leftovers)
	}
}

func TestLeaseStaleTakeover(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shard-00001.lease")
	past := time.Now().Add(-time.Hour)
	old, err := AcquireLease(path, LeaseOptions{Host: "dead", PID: 1, TTL: time.Minute, Now: func() time.Time { return past }})
	if err != nil {
		t.Fatal(err)
	}
	// The file's mtime counts as a heartbeat too: while it is fresh the
	// lease is not stale, whatever the holder's clock said.
	if _, err := AcquireLease(path, LeaseOptions{Host: "new", PID: 2, TTL: time.Minute}); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("took a lease with a fresh mtime: %v", err)
	}
	os.Chtimes(path, past, past)
	l, err := AcquireLease(path, LeaseOptions{Host: "new", PID: 2, TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	if l.TookOver == nil || l.TookOver.Host != "dead" {
		t.Errorf("TookOver = %+v", l.TookOver)
	}
	if err := old.Check(); !errors.Is(err, ErrLeaseLost) || !strings.Contains(err.Error(), "new") {
		t.Errorf("old holder's check: %v", err)
	}
}

func TestLeaseUnreadableCountsByMtime(t *testing.T) {
	path := filepath.Join(t.TempDir(), "shard-00001.lease")
	os.WriteFile(path, []byte("{half"), 0o644)
	if _, err := AcquireLease(path, LeaseOptions{Host: "b", TTL: time.Minute}); !errors.Is(err, ErrLeaseHeld) {
		t.Fatalf("took a fresh unreadable lease: %v", err)
	}
	past := time.Now().Add(-time.Hour)
	os.Chtimes(path, past, past)
	if _, err := AcquireLease(path, LeaseOptions{Host: "b", TTL: time.Minute}); err != nil {
		t.Fatalf("stale unreadable lease: %v", err)
	}
}

// Many runners race for one stale lease: exactly one wins, and the lease
// file is the winner's.
func TestLeaseRaceForStale(t *testing.T) {
	for round := range 20 {
		path := filepath.Join(t.TempDir(), "shard-00001.lease")
		past := time.Now().Add(-time.Hour)
		if _, err := AcquireLease(path, LeaseOptions{Host: "dead", TTL: time.Minute, Now: func() time.Time { return past }}); err != nil {
			t.Fatal(err)
		}
		os.Chtimes(path, past, past)
		const n = 12
		var wg sync.WaitGroup
		leases := make([]*Lease, n)
		errs := make([]error, n)
		start := make(chan struct{})
		for i := range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				<-start
				leases[i], errs[i] = AcquireLease(path, LeaseOptions{Host: "racer", PID: i, TTL: time.Minute})
			}()
		}
		close(start)
		wg.Wait()
		var winners []*Lease
		for i := range n {
			if errs[i] == nil {
				winners = append(winners, leases[i])
			} else if !errors.Is(errs[i], ErrLeaseHeld) {
				t.Fatalf("round %d racer %d: %v", round, i, errs[i])
			}
		}
		if len(winners) != 1 {
			// Several "winners" is acceptable only if all but one have
			// already lost theirs (a racer put a moved lease back over a
			// later one); what must never happen is two valid holders.
			valid := 0
			for _, w := range winners {
				if w.Check() == nil {
					valid++
				}
			}
			if valid != 1 {
				t.Fatalf("round %d: %d winners, %d hold a valid lease", round, len(winners), valid)
			}
		} else if err := winners[0].Check(); err != nil {
			t.Fatalf("round %d: the winner's lease is not in place: %v", round, err)
		}
		leftovers, _ := filepath.Glob(path + ".stale-*")
		if len(leftovers) > 0 {
			t.Errorf("round %d: left %v", round, leftovers)
		}
	}
}

// A lease left by a dead process on this host is taken at once; one from
// a live process on this host, or from another host, is not.
func TestLeaseDeadHolderOnSameHost(t *testing.T) {
	if pidNamespace() == "" {
		t.Skip("SKIP: no /proc/self/ns/pid here; the dead-pid shortcut is off")
	}
	cmd := exec.Command("sh", "-c", "exit 0")
	if err := cmd.Run(); err != nil {
		t.Skipf("SKIP: cannot run sh: %v", err)
	}
	dead := cmd.Process.Pid
	tests := []struct {
		name   string
		host   string
		pid    int
		wantOK bool
	}{
		{"dead pid same host", "h1", dead, true},
		{"live pid same host", "h1", os.Getppid(), false},
		{"dead pid other host", "h2", dead, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "shard-00001.lease")
			if _, err := AcquireLease(path, LeaseOptions{Host: tt.host, PID: tt.pid, TTL: time.Hour}); err != nil {
				t.Fatal(err)
			}
			_, err := AcquireLease(path, LeaseOptions{Host: "h1", PID: os.Getpid(), TTL: time.Hour})
			if (err == nil) != tt.wantOK {
				t.Fatalf("acquire: %v, want ok=%v", err, tt.wantOK)
			}
		})
	}
}

func TestLeaseRequeuedJob(t *testing.T) {
	tests := []struct {
		name          string
		holderJob     string
		holderRestart int
		ourJob        string
		ourRestart    int
		wantTakeover  bool
	}{
		{"requeued", "10_3", 0, "10_3", 1, true},
		{"same run of the job", "10_3", 1, "10_3", 1, false},
		{"other job", "10_4", 0, "10_3", 2, false},
		{"no job", "", 0, "", 1, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "shard-00001.lease")
			if _, err := AcquireLease(path, LeaseOptions{Host: "n1", PID: 1, JobID: tt.holderJob, Restart: tt.holderRestart, TTL: time.Hour}); err != nil {
				t.Fatal(err)
			}
			_, err := AcquireLease(path, LeaseOptions{Host: "n2", PID: 1, JobID: tt.ourJob, Restart: tt.ourRestart, TTL: time.Hour})
			if (err == nil) != tt.wantTakeover {
				t.Fatalf("acquire: %v, want takeover %v", err, tt.wantTakeover)
			}
		})
	}
}
