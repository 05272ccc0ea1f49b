package shard

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"
)

// DefaultLeaseTTL is the time to live of a lease whose holder does not
// say otherwise (and of a lease file that does not decode).
const DefaultLeaseTTL = 5 * time.Minute

// holdPoll is how often Hold asks again for a lease another holds: the
// submit lock is held for seconds, so a short poll costs little.
const holdPoll = 100 * time.Millisecond

// Held is a lease kept fresh by a goroutine until Release: the run's
// merge and submit locks and the owner records of a merge's build
// directories. These are leases, not flock(2) locks, because flock is not
// to be trusted across the nodes of NFS, Lustre or GPFS; their limits are
// the lease protocol's (see lease.go): a holder that hangs for longer than
// its TTL loses the lease to the next taker, and learns so at its next
// heartbeat or Check.
type Held struct {
	mu    sync.Mutex // guards lease (Lease is not safe for concurrent use) and lost
	lease *Lease
	lost  error
	stop  chan struct{}
	done  chan struct{}
}

// Hold takes the lease at path (AcquireLease: a stale one, or one whose
// holder is gone from this host, is taken over) and keeps it fresh, with
// a heartbeat every third of its TTL, until Release. When wait is true
// and a live holder has it, Hold asks again until ctx ends; otherwise it
// returns the error wrapping ErrLeaseHeld, which names the holder.
func Hold(ctx context.Context, path string, o LeaseOptions, wait bool) (*Held, error) {
	if o.TTL <= 0 {
		o.TTL = DefaultLeaseTTL
	}
	for {
		l, err := AcquireLease(path, o)
		if err == nil {
			h := &Held{lease: l, stop: make(chan struct{}), done: make(chan struct{})}
			go h.keep(o.TTL / 3)
			return h, nil
		}
		if !wait || !errors.Is(err, ErrLeaseHeld) {
			return nil, err
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("%w (stopped waiting: %w)", err, ctx.Err())
		case <-time.After(holdPoll):
		}
	}
}

func (h *Held) keep(every time.Duration) {
	defer close(h.done)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-h.stop:
			return
		case <-t.C:
		}
		h.mu.Lock()
		err := h.lease.Heartbeat()
		if errors.Is(err, ErrLeaseLost) {
			h.lost = err
			h.mu.Unlock()
			return
		}
		// Another error (a file server's hiccup) is tried again at the
		// next tick: the TTL leaves room for two misses.
		h.mu.Unlock()
	}
}

// Info is the lease as last written.
func (h *Held) Info() LeaseInfo {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.lease.Info()
}

// Check returns an error wrapping ErrLeaseLost unless the lease file is
// still ours. Check before a step that must not run under a lost lock (a
// merge's swap of the dataset).
func (h *Held) Check() error {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lost != nil {
		return h.lost
	}
	return h.lease.Check()
}

// Release stops the heartbeat and removes the lease when it is still
// ours. It may be called more than once.
func (h *Held) Release() error {
	select {
	case <-h.stop:
		return nil
	default:
	}
	close(h.stop)
	<-h.done
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.lost != nil {
		return h.lost
	}
	return h.lease.Release()
}

// OwnerSuffix ends the name of a build directory's owner record: the
// lease <dir>.owner beside the directory.
const OwnerSuffix = ".owner"

// MkdirOwned creates a new directory parent/prefix<random> (DirPerm
// narrowed by the umask) for a build that nobody else may delete while it
// runs. Beside it, <dir>.owner is a lease naming its owner (host, pid,
// pid namespace, Slurm job) and kept fresh until owner.Release, which the
// caller calls once the directory is gone or renamed into place.
// RemoveAbandoned deletes the directory only when that lease is stale or
// its holder is gone from this host.
func MkdirOwned(ctx context.Context, parent, prefix string, o LeaseOptions) (dir string, owner *Held, err error) {
	for range 100 {
		dir = filepath.Join(parent, prefix+randomSuffix())
		// The owner record first: a directory without one is never
		// taken for abandoned.
		owner, err := Hold(ctx, dir+OwnerSuffix, o, false)
		if errors.Is(err, ErrLeaseHeld) {
			continue
		} else if err != nil {
			return "", nil, fmt.Errorf("creating the owner record of %s: %w", dir, err)
		}
		if err := os.Mkdir(dir, DirPerm); err != nil {
			owner.Release()
			if errors.Is(err, fs.ErrExist) {
				continue
			}
			return "", nil, fmt.Errorf("creating %s: %w", dir, err)
		}
		return dir, owner, nil
	}
	return "", nil, fmt.Errorf("creating a directory %s* in %s: every name tried exists", prefix, parent)
}

// RemoveAbandoned deletes the directories parent/prefix* that MkdirOwned
// made and whose owner is provably gone: it takes over their owner record
// by the lease protocol (which succeeds only for a stale lease, or one
// whose holder is gone from this host and pid namespace, or from an
// earlier run of our Slurm job), deletes the directory, then the record.
// A directory whose owner is alive is left alone, and so is one without
// an owner record (an older version's, or not ours): its owner cannot be
// proven gone, so it is returned in unowned for the caller to report.
// Owner records whose directory is gone are cleaned up the same way.
func RemoveAbandoned(parent, prefix string, o LeaseOptions) (removed, unowned []string, err error) {
	if o.TTL <= 0 {
		o.TTL = DefaultLeaseTTL
	}
	matches, err := filepath.Glob(filepath.Join(parent, prefix+"*"))
	if err != nil {
		return nil, nil, err
	}
	for _, m := range matches {
		dir, record := m, m+OwnerSuffix
		if strings.HasSuffix(m, OwnerSuffix) {
			dir, record = strings.TrimSuffix(m, OwnerSuffix), m
			if _, err := os.Lstat(dir); err == nil {
				continue // handled with its directory
			}
		} else if st, err := os.Lstat(m); err != nil || !st.IsDir() {
			continue // a lease's temporary file, or gone meanwhile
		}
		if _, _, ok, err := ReadLease(record); err != nil {
			return removed, unowned, err
		} else if !ok {
			if dir == m {
				unowned = append(unowned, dir)
			}
			continue
		}
		l, err := AcquireLease(record, o)
		if errors.Is(err, ErrLeaseHeld) {
			continue // its owner lives
		} else if err != nil {
			return removed, unowned, err
		}
		rmErr := os.RemoveAll(dir)
		relErr := l.Release()
		if err := errors.Join(rmErr, relErr); err != nil {
			return removed, unowned, fmt.Errorf("removing %s, which a crashed build left: %w", dir, err)
		}
		if dir == m {
			removed = append(removed, dir)
		}
	}
	return removed, unowned, nil
}
