package shard

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"
)

// claimLayout is a run dir with n planned shards (ids 0..n-1) and its
// output directory.
func claimLayout(t *testing.T, n int) (Layout, []ShardInfo) {
	t.Helper()
	l := Layout{Dir: t.TempDir()}
	if err := os.MkdirAll(l.OutputDir(), 0o755); err != nil {
		t.Fatal(err)
	}
	var infos []ShardInfo
	for i := n - 1; i >= 0; i-- { // out of order: the claimer sorts
		infos = append(infos, ShardInfo{ID: i, Problems: 1})
	}
	return l, infos
}

// markDone writes a done marker without output checksums (StateOf: done),
// atomically as the runner does.
func markDone(t *testing.T, l Layout, id int) {
	t.Helper()
	b, _ := json.Marshal(Done{Shard: id, Problems: 1, Generations: 1})
	if err := WriteAtomic(l.DoneMarker(id), func(w *bufio.Writer) error { _, err := w.Write(b); return err }); err != nil {
		t.Error(err)
	}
}

// TestClaimOrder: the claimer takes the lowest-numbered shard that is
// neither done nor leased by a live runner; a stale lease is taken over;
// a shard done between the look and the lease is passed over; none left
// is ok = false, with Remaining naming the shards live runners hold.
func TestClaimOrder(t *testing.T) {
	l, infos := claimLayout(t, 6)
	now := time.Now()
	markDone(t, l, 0)
	// Shard 1: a live runner on another host holds it.
	live, err := AcquireLease(l.Lease(1), LeaseOptions{Host: "other", PID: 1, JobID: "7_1", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	// Shard 2: its holder stopped heartbeating long ago.
	stale := LeaseInfo{Host: "dead", PID: 2, Token: "t", Heartbeat: now.Add(-time.Hour), TTLSeconds: 60}
	b, _ := json.Marshal(stale)
	os.WriteFile(l.Lease(2), b, 0o644)
	old := now.Add(-time.Hour)
	os.Chtimes(l.Lease(2), old, old)

	c, err := NewClaimer(l, infos, LeaseOptions{Host: "me", PID: os.Getpid(), JobID: "9_0", TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var got []int
	for {
		info, lease, ok, err := c.Claim()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		if lease.Check() != nil || lease.Info().JobID != "9_0" {
			t.Fatalf("shard %d: the claimer does not hold its lease", info.ID)
		}
		got = append(got, info.ID)
		if info.ID == 3 {
			// Someone else finishes shard 4 meanwhile.
			markDone(t, l, 4)
		}
		markDone(t, l, info.ID)
		lease.Release()
	}
	if want := []int{2, 3, 5}; !slices.Equal(got, want) {
		t.Errorf("claimed %v, want %v (0 done, 1 leased by a live runner, 2 stale, 4 done meanwhile)", got, want)
	}
	if st := c.Stats(); st.Claimed != 3 || st.TookOver != 1 || st.Busy < 1 {
		t.Errorf("stats %+v", st)
	}
	if rem := c.Remaining(); !slices.Equal(rem, []int{1}) {
		t.Errorf("Remaining %v, want [1]", rem)
	}
	// Once the live runner lets go without finishing, shard 1 is free.
	live.Release()
	info, lease, ok, err := c.Claim()
	if err != nil || !ok || info.ID != 1 {
		t.Fatalf("after release: %v %v %v", info.ID, ok, err)
	}
	lease.Release()
}

// TestClaimConcurrent: claimers racing over one run dir (goroutines, each
// its own runner identity) take every shard exactly once, each claimer's
// shards in ascending order.
func TestClaimConcurrent(t *testing.T) {
	const shards, claimers = 60, 8
	l, infos := claimLayout(t, shards)
	var mu sync.Mutex
	owner := map[int][]int{} // shard -> claimers
	var wg sync.WaitGroup
	for w := range claimers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c, err := NewClaimer(l, infos, LeaseOptions{Host: fmt.Sprintf("node%d", w), PID: 1000 + w, TTL: time.Minute})
			if err != nil {
				t.Error(err)
				return
			}
			last := -1
			for {
				info, lease, ok, err := c.Claim()
				if err != nil {
					t.Error(err)
					return
				}
				if !ok {
					return
				}
				if info.ID <= last {
					t.Errorf("claimer %d took shard %d after %d", w, info.ID, last)
				}
				last = info.ID
				mu.Lock()
				owner[info.ID] = append(owner[info.ID], w)
				mu.Unlock()
				time.Sleep(time.Millisecond) // the shard's work
				if err := lease.Check(); err != nil {
					t.Errorf("claimer %d lost shard %d: %v", w, info.ID, err)
				}
				markDone(t, l, info.ID)
				lease.Release()
			}
		}()
	}
	wg.Wait()
	for id := range shards {
		if len(owner[id]) != 1 {
			t.Errorf("shard %d claimed by %v, want exactly one claimer", id, owner[id])
		}
	}
}

// TestClaimProcesses: the same race between processes (this test binary
// run as claimers), which is how workers on several nodes meet on shared
// storage: each shard exactly once.
func TestClaimProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP: starts processes; not in -short")
	}
	const shards, procs = 40, 4
	l, _ := claimLayout(t, shards)
	var cmds []*exec.Cmd
	outs := make([]string, procs)
	for p := range procs {
		outs[p] = filepath.Join(t.TempDir(), "claimed")
		cmd := exec.Command(os.Args[0], "-test.run=^TestClaimHelperProcess$")
		cmd.Env = append(os.Environ(), "DISTILLERY_CLAIM_HELPER="+l.Dir, "DISTILLERY_CLAIM_SHARDS="+strconv.Itoa(shards), "DISTILLERY_CLAIM_OUT="+outs[p])
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	count := map[int]int{}
	for p, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("claimer process %d: %v", p, err)
		}
		b, _ := os.ReadFile(outs[p])
		var ids []int
		json.Unmarshal(b, &ids)
		for _, id := range ids {
			count[id]++
		}
	}
	for id := range shards {
		if count[id] != 1 {
			t.Errorf("shard %d claimed %d times by the processes", id, count[id])
		}
	}
}

// TestClaimHelperProcess is one claimer process of TestClaimProcesses.
func TestClaimHelperProcess(t *testing.T) {
	dir := os.Getenv("DISTILLERY_CLAIM_HELPER")
	if dir == "" {
		return
	}
	n, _ := strconv.Atoi(os.Getenv("DISTILLERY_CLAIM_SHARDS"))
	l := Layout{Dir: dir}
	var infos []ShardInfo
	for i := range n {
		infos = append(infos, ShardInfo{ID: i, Problems: 1})
	}
	host, _ := os.Hostname()
	c, err := NewClaimer(l, infos, LeaseOptions{Host: host, PID: os.Getpid(), TTL: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	var ids []int
	for {
		info, lease, ok, err := c.Claim()
		if err != nil {
			t.Fatal(err)
		}
		if !ok {
			break
		}
		ids = append(ids, info.ID)
		time.Sleep(2 * time.Millisecond)
		markDone(t, l, info.ID)
		if err := lease.Release(); err != nil {
			t.Fatal(err)
		}
	}
	b, _ := json.Marshal(ids)
	os.WriteFile(os.Getenv("DISTILLERY_CLAIM_OUT"), b, 0o644)
}
