package shard

import (
	"errors"
	"fmt"
	"slices"
	"time"
)

// Claiming is how a pool-mode worker (`distillery run --claim`) finds its
// next shard: the lowest-numbered one that is neither done nor leased by a
// live runner. It adds no protocol of its own: taking the shard is taking
// its lease (AcquireLease), which makes it exclusive even when several
// workers on several nodes claim at the same moment, and a lease whose
// holder died goes stale and is taken over like any other. So a static
// array task and a pool worker that meet on one shard never both write it.

// ClaimStats count what a Claimer saw.
type ClaimStats struct {
	Claimed  int // shards taken
	TookOver int // of those, with a stale lease taken over
	Busy     int // times a shard was skipped because a live runner holds it
}

// Claimer takes shards for one runner. It is not safe for concurrent use:
// a runner has one; runners in other processes (or goroutines) each have
// their own, and the leases keep them apart.
type Claimer struct {
	layout Layout
	shards []ShardInfo // by id
	lease  LeaseOptions
	// done remembers the shards seen done: a done shard stays done, so a
	// long campaign does not stat every finished shard at every claim.
	done  map[int]bool
	stats ClaimStats
}

// NewClaimer returns a Claimer over the planned shards (in any order;
// claimed lowest id first). o says who takes the leases (o.TTL must be
// positive).
func NewClaimer(l Layout, shards []ShardInfo, o LeaseOptions) (*Claimer, error) {
	if o.TTL <= 0 {
		return nil, errors.New("claiming shards: the lease ttl must be positive")
	}
	s := slices.Clone(shards)
	slices.SortFunc(s, func(a, b ShardInfo) int { return a.ID - b.ID })
	return &Claimer{layout: l, shards: s, lease: o, done: map[int]bool{}}, nil
}

// Stats says what the Claimer saw so far.
func (c *Claimer) Stats() ClaimStats { return c.stats }

// Claim takes the lowest-numbered shard that is neither done (StateOf with
// CheckSize: the marker vouches for the output's size) nor leased by a live
// runner, and returns it with its lease, which the caller heartbeats and
// releases. ok is false when there is none: every shard is done or leased
// by a live runner (Remaining tells which). A shard finished by another
// runner between the look and the lease is released and passed over.
func (c *Claimer) Claim() (info ShardInfo, lease *Lease, ok bool, err error) {
	for _, s := range c.shards {
		if c.done[s.ID] {
			continue
		}
		if done, err := c.isDone(s); err != nil {
			return s, nil, false, err
		} else if done {
			continue
		}
		// A look at the lease first: a live holder's lease is the
		// common case in a busy pool, and reading it costs less than a
		// failed take.
		path := c.layout.Lease(s.ID)
		if cur, mod, held, err := ReadLease(path); err != nil {
			return s, nil, false, fmt.Errorf("shard %d: %w", s.ID, err)
		} else if held && !cur.Stale(c.now(), mod) && !holderGone(c.me(), cur) {
			c.stats.Busy++
			continue
		}
		l, err := AcquireLease(path, c.lease)
		if errors.Is(err, ErrLeaseHeld) {
			c.stats.Busy++
			continue // another claimer won the race
		} else if err != nil {
			return s, nil, false, fmt.Errorf("shard %d: %w", s.ID, err)
		}
		// Another runner may have finished it between our look and the
		// lease.
		if done, err := c.isDone(s); err != nil || done {
			if rerr := l.Release(); rerr != nil && err == nil {
				err = fmt.Errorf("shard %d: releasing the lease of a done shard: %w", s.ID, rerr)
			}
			if err != nil {
				return s, nil, false, err
			}
			continue
		}
		c.stats.Claimed++
		if l.TookOver != nil {
			c.stats.TookOver++
		}
		return s, l, true, nil
	}
	return ShardInfo{}, nil, false, nil
}

// Remaining lists the shards not seen done at the last look, lowest
// first: after a Claim that found none, the ones live runners hold.
func (c *Claimer) Remaining() []int {
	var ids []int
	for _, s := range c.shards {
		if !c.done[s.ID] {
			ids = append(ids, s.ID)
		}
	}
	return ids
}

func (c *Claimer) isDone(s ShardInfo) (bool, error) {
	st, err := StateOf(c.layout, s, CheckSize)
	if err != nil {
		return false, err
	}
	if st.IsDone() {
		c.done[s.ID] = true
	}
	return st.IsDone(), nil
}

func (c *Claimer) now() time.Time {
	if c.lease.Now != nil {
		return c.lease.Now()
	}
	return time.Now()
}

// me is the lease this claimer would write, for holderGone.
func (c *Claimer) me() LeaseInfo {
	return LeaseInfo{Host: c.lease.Host, PID: c.lease.PID, PIDNS: pidNamespace(), JobID: c.lease.JobID, Restart: c.lease.Restart}
}
