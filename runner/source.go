package runner

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/distillery-hpc/distillery/shard"
)

// Source hands a run the shards it is to write, one at a time. The run
// asks for the next shard while the last requests of the previous one are
// still in flight, so the server's batch stays full across shards.
//
// A static list (NewListSource, what `run --shard` uses) is one source;
// pool mode plugs in a source that claims the lowest-numbered shard
// neither done nor leased.
type Source interface {
	// Pending reports whether some shard of the source may still need
	// generations. A run whose source has none waits for no server.
	Pending() (bool, error)
	// Next returns the next shard. ok is false when the source has no
	// shard left for this runner, or ctx ended; err is an infrastructure
	// failure that stops the run (it names the shard).
	Next(ctx context.Context) (c Claim, ok bool, err error)
	// Unstarted names the shards the source had not handed out when it
	// stopped early (for the message that tells the user to run again).
	Unstarted() []int
}

// Claim is one shard a Source hands out: ours to write (Lease set), done
// already (Done), or someone else's right now (Busy).
type Claim struct {
	Info shard.ShardInfo
	// Lease is the shard's lease, taken for this runner; the run
	// heartbeats and releases it. Nil when Done or Busy.
	Lease *shard.Lease
	// Done: the shard was complete already; there is nothing to write.
	Done bool
	// Busy is why the shard is skipped: a live runner holds its lease
	// (it wraps shard.ErrLeaseHeld).
	Busy error
}

// ListSource hands out a fixed list of shards in order. A shard whose
// lease another runner holds is looked at again after the others: either
// its holder is alive (its heartbeat moves: the shard is Busy) or it died
// without releasing it (the lease goes stale within its ttl: the shard is
// taken over).
type ListSource struct {
	layout shard.Layout
	lease  shard.LeaseOptions
	log    *slog.Logger
	infos  []shard.ShardInfo
	next   int               // index into infos of the next shard to try
	held   []shard.ShardInfo // leased by another runner at the first look
	heldAt int               // index into held of the next to look at again
}

var _ Source = (*ListSource)(nil)

// NewListSource checks ids against the plan (an unknown id is an error
// naming it, before any server is asked) and returns a source that hands
// them out in order, once each.
func NewListSource(l shard.Layout, plan *shard.Plan, ids []int, lease shard.LeaseOptions, log *slog.Logger) (*ListSource, error) {
	infos, err := planShards(plan, ids)
	if err != nil {
		return nil, err
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if lease.Now == nil {
		lease.Now = time.Now
	}
	return &ListSource{layout: l, lease: lease, log: log, infos: infos}, nil
}

// Len is the number of shards in the list.
func (s *ListSource) Len() int { return len(s.infos) }

// Pending reports whether some shard of the list is not done.
func (s *ListSource) Pending() (bool, error) {
	for _, info := range s.infos {
		ok, err := doneMatches(s.layout, info)
		if err != nil {
			return false, fmt.Errorf("shard %d: %w", info.ID, err)
		}
		if !ok {
			return true, nil
		}
	}
	return false, nil
}

// Next returns the next shard of the list: first each in order, then the
// ones another runner held at the first look.
func (s *ListSource) Next(ctx context.Context) (Claim, bool, error) {
	for s.next < len(s.infos) {
		if ctx.Err() != nil {
			return Claim{}, false, nil
		}
		info := s.infos[s.next]
		s.next++
		c, err := s.take(info)
		switch {
		case err != nil && errors.Is(err, shard.ErrLeaseHeld):
			s.log.Info("shard leased by another runner; will look again after the others", "shard", info.ID, "err", err)
			s.held = append(s.held, info)
			continue
		case err != nil:
			return Claim{}, false, fmt.Errorf("shard %d: %w", info.ID, err)
		}
		return c, true, nil
	}
	for s.heldAt < len(s.held) {
		if ctx.Err() != nil {
			return Claim{}, false, nil
		}
		info := s.held[s.heldAt]
		if err := waitLease(ctx, s.layout.Lease(info.ID), s.lease.Now, s.log); err != nil {
			if ctx.Err() != nil {
				return Claim{}, false, nil
			}
			s.heldAt++
			return s.busy(info, err), true, nil
		}
		s.heldAt++
		c, err := s.take(info)
		switch {
		case err != nil && errors.Is(err, shard.ErrLeaseHeld):
			return s.busy(info, err), true, nil
		case err != nil:
			return Claim{}, false, fmt.Errorf("shard %d: %w", info.ID, err)
		}
		return c, true, nil
	}
	return Claim{}, false, nil
}

func (s *ListSource) busy(info shard.ShardInfo, err error) Claim {
	s.log.Warn("skipping shard: another runner holds its lease", "shard", info.ID, "err", err)
	return Claim{Info: info, Busy: err}
}

// Unstarted names the shards not handed out yet.
func (s *ListSource) Unstarted() []int {
	var ids []int
	for _, info := range s.infos[s.next:] {
		ids = append(ids, info.ID)
	}
	for _, info := range s.held[s.heldAt:] {
		ids = append(ids, info.ID)
	}
	return ids
}

// take claims one shard: done already, or its lease taken for us. An
// error wrapping shard.ErrLeaseHeld says another runner holds it.
func (s *ListSource) take(info shard.ShardInfo) (Claim, error) {
	if ok, err := doneMatches(s.layout, info); err != nil {
		return Claim{}, err
	} else if ok {
		s.log.Info("shard already done", "shard", info.ID)
		return Claim{Info: info, Done: true}, nil
	}
	lease, err := shard.AcquireLease(s.layout.Lease(info.ID), s.lease)
	if err != nil {
		return Claim{}, err
	}
	if lease.TookOver != nil {
		s.log.Warn("took over a stale shard lease", "shard", info.ID, "holder", lease.TookOver.Host,
			"pid", lease.TookOver.PID, "job", lease.TookOver.JobID, "heartbeat", lease.TookOver.Heartbeat)
	}
	// Another runner may have finished the shard between our look at the
	// marker and the lease.
	if ok, err := doneMatches(s.layout, info); err != nil || ok {
		if rerr := lease.Release(); rerr != nil {
			s.log.Warn("releasing shard lease", "shard", info.ID, "err", rerr)
		}
		if ok {
			return Claim{Info: info, Done: true}, nil
		}
		return Claim{}, err
	}
	return Claim{Info: info, Lease: lease}, nil
}

// waitLease watches a lease another runner holds. It returns nil once the
// lease is gone or stale (the caller then tries to take it), and an error
// wrapping shard.ErrLeaseHeld as soon as the holder shows it is alive: its
// heartbeat moves or another runner takes the lease.
func waitLease(ctx context.Context, path string, now func() time.Time, log *slog.Logger) error {
	first, _, ok, err := shard.ReadLease(path)
	if err != nil || !ok {
		return err
	}
	// Poll often enough to see a heartbeat (every ttl/3) soon after it
	// happens, rarely enough not to load shared storage.
	poll := min(max(first.TTL()/20, 10*time.Millisecond), 5*time.Second)
	log.Info("waiting to see whether the shard's lease is alive", "lease", path, "holder", first.Host, "job", first.JobID, "ttl", first.TTL())
	for {
		t := time.NewTimer(poll)
		select {
		case <-ctx.Done():
			t.Stop()
			return ctx.Err()
		case <-t.C:
		}
		cur, mod, ok, err := shard.ReadLease(path)
		switch {
		case err != nil:
			return err
		case !ok:
			return nil
		case cur.Token != first.Token || !cur.Heartbeat.Equal(first.Heartbeat):
			return fmt.Errorf("%w: %s held by %s (pid %d, job %s), which is alive (its heartbeat moves)",
				shard.ErrLeaseHeld, path, cur.Host, cur.PID, cur.JobID)
		case cur.Stale(now(), mod):
			return nil
		}
	}
}

// planShards finds the plan's entries for ids, in order; an unknown id is
// an error naming it.
func planShards(plan *shard.Plan, ids []int) ([]shard.ShardInfo, error) {
	if len(ids) == 0 {
		return nil, fmt.Errorf("no shard given: name one with --shard (the plan has %d, ids 0 to %d)", len(plan.Shards), len(plan.Shards)-1)
	}
	byID := make(map[int]shard.ShardInfo, len(plan.Shards))
	for _, s := range plan.Shards {
		byID[s.ID] = s
	}
	seen := map[int]bool{}
	var out []shard.ShardInfo
	for _, id := range ids {
		s, ok := byID[id]
		if !ok {
			return nil, fmt.Errorf("shard %d is not in the plan: it has %d shards (ids 0 to %d)", id, len(plan.Shards), len(plan.Shards)-1)
		}
		if seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, s)
	}
	return out, nil
}

// doneMatches reports whether the shard is done: shard.StateOf with the
// full hash check, the rule merge, status and submit use too.
func doneMatches(l shard.Layout, info shard.ShardInfo) (bool, error) {
	st, err := shard.StateOf(l, info, shard.CheckHash)
	return st.IsDone(), err
}
