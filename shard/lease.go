package shard

import (
	"bufio"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"
)

// A shard lease is the file <run.dir>/output/shard-NNNNN.lease. A runner
// takes it before writing the shard's output and keeps it fresh with a
// heartbeat; another runner may take over a lease whose heartbeat is older
// than its TTL (its holder died or hangs). So even a shard submitted twice
// by hand never gets two writers.
//
// Protocol, meant for shared storage (NFS, Lustre, GPFS) where flock is not
// to be trusted:
//   - take: write the lease to a temporary file, then hard-link it to the
//     lease name; link fails when the name exists, so exactly one runner
//     wins, and nobody ever sees a half-written lease.
//   - take over a stale lease: rename the lease aside to a name of our own
//     (rename is atomic: of several runners racing, one gets the file),
//     check that what we moved is the stale lease we judged (same token and
//     heartbeat), delete it and take as above. A runner that moved a fresh
//     lease (another runner took over first) links it back.
//   - heartbeat: check the lease is still ours, rewrite it atomically.
//   - check: before every append the writer reads the lease and compares
//     its token.
//   - release: check it is ours, remove it.
//
// A lease whose holder ran on this host, in this pid namespace, under a pid
// that no longer exists is stale at once: a runner restarted after a crash
// (or `distillery local` run again) takes its shard back without waiting.
// So is a lease from an earlier run of the same Slurm job (same job id,
// lower SLURM_RESTART_COUNT): a requeued task need not wait either.
//
// What it does not do: fence a writer that hangs for longer than the TTL
// between its check and its append. Keep the TTL well above any pause a
// healthy node takes (the default is 5 minutes; a flush takes milliseconds).

// settle is how long a runner that had to race for a lease waits before it
// trusts that it holds it.
const settle = 50 * time.Millisecond

// LeaseInfo is the content of a lease file.
type LeaseInfo struct {
	Host string `json:"host"`
	PID  int    `json:"pid"`
	// PIDNS is the holder's pid namespace: a lease from this host and pid
	// namespace whose pid is gone is stale at once (a crashed runner
	// restarted on the same node need not wait for the TTL).
	PIDNS string `json:"pid_ns,omitempty"`
	JobID string `json:"job_id,omitempty"`
	// Restart is the job's restart count (SLURM_RESTART_COUNT): a lease
	// from an earlier run of the same job, requeued by Slurm, is stale at
	// once, since Slurm runs a job only once at a time.
	Restart int `json:"restart,omitempty"`
	// Token is random per lease: it tells two runners on the same host and
	// pid (a requeued job) apart.
	Token      string    `json:"token"`
	AcquiredAt time.Time `json:"acquired_at"`
	Heartbeat  time.Time `json:"heartbeat"`
	// TTLSeconds is how long after Heartbeat the lease counts as stale.
	TTLSeconds float64 `json:"ttl_seconds"`
}

// TTL is the lease's time to live.
func (li LeaseInfo) TTL() time.Duration {
	return time.Duration(li.TTLSeconds * float64(time.Second))
}

// Stale reports whether the lease's heartbeat is older than its TTL at now.
// modTime, the file's modification time, counts as a heartbeat too, so a
// skewed clock on the holder's node does not make a live lease look stale.
func (li LeaseInfo) Stale(now, modTime time.Time) bool {
	last := li.Heartbeat
	if modTime.After(last) {
		last = modTime
	}
	return now.Sub(last) > li.TTL()
}

// ErrLeaseHeld is returned by AcquireLease when a live runner holds the
// lease; the error names the holder.
var ErrLeaseHeld = errors.New("shard is leased by another runner")

// ErrLeaseLost is returned when a lease we held was taken over or removed.
var ErrLeaseLost = errors.New("shard lease lost")

// LeaseOptions say who takes a lease.
type LeaseOptions struct {
	Host  string
	PID   int
	JobID string
	// Restart is the job's restart count (SLURM_RESTART_COUNT).
	Restart int
	TTL     time.Duration
	Now     func() time.Time // nil: time.Now
}

// Lease is a lease we hold. It is not safe for concurrent use: one
// goroutine (the shard's writer) owns it.
type Lease struct {
	path string
	info LeaseInfo
	now  func() time.Time
	// TookOver is the stale lease this one replaced, if any.
	TookOver *LeaseInfo
}

// ReadLease reads the lease file at path. ok is false when there is none.
// A lease file that does not decode (written by something else) reads
// with a zero heartbeat, so only its modification time keeps it alive.
func ReadLease(path string) (li LeaseInfo, modTime time.Time, ok bool, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return li, modTime, false, nil
		}
		return li, modTime, false, fmt.Errorf("reading lease: %w", err)
	}
	st, err := os.Stat(path)
	if err == nil {
		modTime = st.ModTime()
	} else if errors.Is(err, fs.ErrNotExist) {
		return li, modTime, false, nil
	}
	if json.Unmarshal(b, &li) != nil || li.Token == "" {
		li = LeaseInfo{TTLSeconds: DefaultLeaseTTL.Seconds()}
	}
	return li, modTime, true, nil
}

// AcquireLease takes the lease at path, taking over a stale one. When a
// live runner holds it, the error wraps ErrLeaseHeld and names the holder.
func AcquireLease(path string, o LeaseOptions) (*Lease, error) {
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.TTL <= 0 {
		return nil, errors.New("lease ttl must be positive")
	}
	var tok [12]byte
	if _, err := rand.Read(tok[:]); err != nil {
		return nil, err
	}
	now := o.Now()
	l := &Lease{path: path, now: o.Now, info: LeaseInfo{
		Host: o.Host, PID: o.PID, PIDNS: pidNamespace(), JobID: o.JobID, Restart: o.Restart, Token: hex.EncodeToString(tok[:]),
		AcquiredAt: now.UTC(), Heartbeat: now.UTC(), TTLSeconds: o.TTL.Seconds(),
	}}
	// A few rounds: each lost race re-reads the lease and decides again.
	for round := range 5 {
		err := l.create()
		if err == nil {
			if round == 0 {
				return l, nil
			}
			// We raced others for this lease. A racer that moved our
			// fresh lease aside by mistake puts it back within
			// microseconds, unless a third took the name meanwhile: wait
			// a moment and make sure the lease is still ours before
			// anyone writes under it.
			time.Sleep(settle)
			if l.Check() == nil {
				return l, nil
			}
			continue
		}
		if !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		cur, mod, ok, err := ReadLease(path)
		if err != nil {
			return nil, err
		}
		if !ok {
			continue // released meanwhile
		}
		if !cur.Stale(o.Now(), mod) && !l.holderGone(cur) {
			return nil, fmt.Errorf("%w: %s held by %s (pid %d, job %s), heartbeat %s ago",
				ErrLeaseHeld, path, cur.Host, cur.PID, orDash(cur.JobID), o.Now().Sub(cur.Heartbeat).Round(time.Second))
		}
		if took, err := l.moveAsideIfSame(cur); err != nil {
			return nil, err
		} else if took {
			c := cur
			l.TookOver = &c
		}
	}
	return nil, fmt.Errorf("%w: %s: lost the race for it several times", ErrLeaseHeld, path)
}

// holderGone reports whether the holder of cur is known to be dead: a
// process on our host and in our pid namespace that no longer exists, or
// an earlier run of our own Slurm job (requeued: same job id, lower
// restart count).
func (l *Lease) holderGone(cur LeaseInfo) bool { return holderGone(l.info, cur) }

// holderGone reports whether, seen from me, the holder of cur is known to
// be dead.
func holderGone(me, cur LeaseInfo) bool {
	if cur.JobID != "" && cur.JobID == me.JobID && cur.Restart < me.Restart {
		return true
	}
	return cur.Host != "" && cur.Host == me.Host && cur.PIDNS != "" && cur.PIDNS == me.PIDNS &&
		cur.PID != me.PID && processGone(cur.PID)
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// create writes our lease to a temporary file and links it to the lease
// name; the error wraps fs.ErrExist when the name is taken.
func (l *Lease) create() error {
	dir := filepath.Dir(l.path)
	tmp, err := l.writeTemp()
	if err != nil {
		return err
	}
	defer os.Remove(tmp)
	if err := os.Link(tmp, l.path); err != nil {
		if errors.Is(err, fs.ErrExist) {
			return err
		}
		// A file system without hard links: fall back to O_EXCL, which
		// is atomic too, though a reader may see the file empty for a
		// moment (it then counts as fresh through its mtime).
		f, err2 := os.OpenFile(l.path, os.O_WRONLY|os.O_CREATE|os.O_EXCL, FilePerm)
		if err2 != nil {
			return err2
		}
		b, _ := json.Marshal(l.info)
		_, werr := f.Write(append(b, '\n'))
		serr := f.Sync()
		cerr := f.Close()
		if err := errors.Join(werr, serr, cerr); err != nil {
			os.Remove(l.path)
			return fmt.Errorf("writing lease %s: %w", l.path, err)
		}
	}
	return SyncDir(dir)
}

// writeTemp writes the lease content to a fresh temporary file next to
// the lease and returns its name.
func (l *Lease) writeTemp() (string, error) {
	b, err := json.Marshal(l.info)
	if err != nil {
		return "", err
	}
	f, err := CreateTemp(filepath.Dir(l.path), "."+filepath.Base(l.path)+".tmp-")
	if err != nil {
		return "", fmt.Errorf("creating lease: %w", err)
	}
	_, werr := f.Write(append(b, '\n'))
	serr := f.Sync()
	cerr := f.Close()
	if err := errors.Join(werr, serr, cerr); err != nil {
		os.Remove(f.Name())
		return "", fmt.Errorf("writing lease %s: %w", l.path, err)
	}
	return f.Name(), nil
}

// moveAsideIfSame renames the lease file aside and deletes it when it is
// still the stale lease stale; when someone replaced it meanwhile, it puts
// the file back. took reports whether the stale lease was removed by us.
func (l *Lease) moveAsideIfSame(stale LeaseInfo) (took bool, err error) {
	aside := l.path + ".stale-" + l.info.Token
	if err := os.Rename(l.path, aside); err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return false, nil // someone else moved it first
		}
		return false, fmt.Errorf("taking over stale lease %s: %w", l.path, err)
	}
	moved, _, ok, err := ReadLease(aside)
	if err != nil {
		return false, err
	}
	if ok && moved.Token == stale.Token && moved.Heartbeat.Equal(stale.Heartbeat) {
		if err := os.Remove(aside); err != nil {
			return false, fmt.Errorf("removing stale lease: %w", err)
		}
		return true, nil
	}
	// We moved a lease that another runner took meanwhile: put it back.
	// If a third runner has taken the name since, the one we moved has
	// lost its lease and will notice at its next check.
	if err := os.Link(aside, l.path); err != nil && !errors.Is(err, fs.ErrExist) {
		os.Rename(aside, l.path)
	}
	os.Remove(aside)
	return false, nil
}

// Info is the lease as last written.
func (l *Lease) Info() LeaseInfo { return l.info }

// Path is the lease file.
func (l *Lease) Path() string { return l.path }

// Check returns an error wrapping ErrLeaseLost unless the lease file is
// still ours.
func (l *Lease) Check() error {
	cur, _, ok, err := ReadLease(l.path)
	if err != nil {
		return err
	}
	if !ok {
		return fmt.Errorf("%w: %s was removed", ErrLeaseLost, l.path)
	}
	if cur.Token != l.info.Token {
		return fmt.Errorf("%w: %s was taken over by %s (pid %d, job %s)", ErrLeaseLost, l.path, cur.Host, cur.PID, orDash(cur.JobID))
	}
	return nil
}

// Heartbeat checks the lease is ours and rewrites it with a fresh
// heartbeat.
func (l *Lease) Heartbeat() error {
	if err := l.Check(); err != nil {
		return err
	}
	info := l.info
	info.Heartbeat = l.now().UTC()
	err := WriteAtomic(l.path, func(w *bufio.Writer) error {
		b, err := json.Marshal(info)
		if err != nil {
			return err
		}
		_, err = w.Write(append(b, '\n'))
		return err
	})
	if err != nil {
		return fmt.Errorf("heartbeat of lease %s: %w", l.path, err)
	}
	l.info = info
	return nil
}

// Release removes the lease when it is still ours.
func (l *Lease) Release() error {
	if err := l.Check(); err != nil {
		return err
	}
	if err := os.Remove(l.path); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("releasing lease: %w", err)
	}
	return SyncDir(filepath.Dir(l.path))
}
