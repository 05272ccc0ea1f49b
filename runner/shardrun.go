package runner

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/distillery-hpc/distillery/shard"
)

// flushEvery and flushBytes bound how many records, and how much text,
// wait in memory for one commit: a fast server (or one answering
// megabytes per generation) must neither grow the buffer unbounded nor
// make one zstd frame larger than a reader accepts.
const (
	flushEvery = 2048
	flushBytes = 64 << 20
)

// commitDelay is the longest a finished generation waits in memory before
// its frame is written (group commit): answers that arrive together share
// a frame (fewer, better-compressed frames), and a kill -9 loses none that
// had arrived more than commitDelay before it. fsync stays periodic
// (flush_interval): a written frame survives the process, the node's crash
// is what the fsync covers.
const commitDelay = 40 * time.Millisecond

// pair is a missing generation: problem index in the shard, generation
// index.
type pair struct{ problem, index int }

// result is a finished job.
type result struct {
	g   shard.Generation
	err error // permanent failure; the record is not written
}

// shardRun is one shard being written. The producer fills it and sends
// its jobs; its writer goroutine (write) is the only one to touch the
// output and the lease.
type shardRun struct {
	r        *run
	log      *slog.Logger
	id       int
	problems []shard.Problem
	inputSum string
	expected int
	missing  []pair // the producer's
	out      *shard.OutputWriter
	lease    *shard.Lease
	res      chan result
	inflight sync.WaitGroup
	// lost is set by the writer when the lease is gone or the output
	// cannot be written: workers skip the shard's jobs and the producer
	// stops sending them.
	lost atomic.Bool

	// The writer's own state.
	have         map[shard.Key]struct{}
	pending      []shard.Generation
	pendingBytes int
	written      int
	failed       int
	firstFail    string
	tokP, tokC   int64
	attempts     int64
	lastLog      time.Time
	commitT      *time.Timer // armed while answers wait for a commit
	leaseChecked time.Time   // last lease check before a commit
}

// openShard reads a claimed shard's input and the generations already
// written, and lists the missing ones. On an error the lease is released.
func (r *run) openShard(c Claim) (_ *shardRun, err error) {
	l, info, lease := r.o.Layout, c.Info, c.Lease
	log := r.log.With("shard", info.ID)
	defer func() {
		if err != nil {
			if rerr := lease.Release(); rerr != nil {
				log.Warn("releasing shard lease", "err", rerr)
			}
		}
	}()
	problems, sum, err := shard.ReadShardInput(l, info)
	if err != nil {
		return nil, err
	}
	n := r.o.Generate.NumGenerations
	want := make(map[shard.Key]struct{}, len(problems)*n)
	for i := range problems {
		for k := range n {
			want[shard.Key{UUID: problems[i].UUID, Index: k}] = struct{}{}
		}
	}
	// Drop the done marker if it exists but does not match the output:
	// the output changed after it was written; it is rebuilt below.
	if _, ok, _ := shard.ReadDone(l, info.ID); ok {
		log.Warn("done marker does not match the output file; checking the shard again")
		if err := os.Remove(l.DoneMarker(info.ID)); err != nil && !os.IsNotExist(err) {
			return nil, fmt.Errorf("removing stale done marker: %w", err)
		}
	}
	have := make(map[shard.Key]struct{}, len(want))
	extra := 0
	out, oinfo, err := shard.OpenOutput(l.Output(info.ID), func(g *shard.Generation) error {
		k := g.Key()
		if _, ok := want[k]; ok {
			have[k] = struct{}{}
		} else {
			extra++
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if oinfo.TornBytes > 0 {
		log.Warn("cut a torn tail off the output shard (a crash mid-write)", "bytes", oinfo.TornBytes)
	}
	if extra > 0 || oinfo.Duplicates > 0 {
		log.Warn("output shard holds records outside the plan or repeated", "extra", extra, "duplicates", oinfo.Duplicates)
	}
	var missing []pair
	seenUUID := make(map[string]bool, len(problems))
	for i := range problems {
		// A uuid twice in one input shard would make two writers of one
		// (uuid, index): generate it once.
		if seenUUID[problems[i].UUID] {
			log.Warn("input shard repeats a uuid; generating it once", "uuid", problems[i].UUID)
			continue
		}
		seenUUID[problems[i].UUID] = true
		for k := range n {
			if _, ok := have[shard.Key{UUID: problems[i].UUID, Index: k}]; !ok {
				missing = append(missing, pair{i, k})
			}
		}
	}
	log.Info("shard opened", "problems", len(problems), "have", len(have), "missing", len(missing))
	return &shardRun{
		r: r, log: log, id: info.ID, problems: problems, inputSum: sum, expected: len(want), have: have, missing: missing,
		out: out, lease: lease, res: make(chan result, 64),
	}, nil
}

// send sends the shard's missing (uuid, index) pairs, in input order,
// until intake ends or the lease is lost. The shard's results channel
// closes once every job sent has finished.
func (sr *shardRun) send(intake context.Context, jobs chan<- job) {
	defer func() { go func() { sr.inflight.Wait(); close(sr.res) }() }()
	for _, m := range sr.missing {
		if sr.lost.Load() {
			return
		}
		sr.inflight.Add(1)
		select {
		case <-intake.Done():
			sr.inflight.Done()
			return
		case jobs <- job{sr: sr, p: &sr.problems[m.problem], index: m.index}:
		}
	}
}

// write is the single writer of the shard: it appends each group of
// answers as one frame within commitDelay of the first (group commit),
// fsyncs every flush_interval, checks the lease before writing (at most
// once a flush_interval) and heartbeats it every ttl/3 and, when the
// shard's jobs are all back, writes the done marker (when complete) and
// releases the lease. An error writing the output stops the run (it is
// returned to the run's errgroup).
func (sr *shardRun) write() error {
	g := &sr.r.o.Generate
	syncT := time.NewTicker(g.FlushInterval)
	defer syncT.Stop()
	hbT := time.NewTicker(max(g.LeaseTTL/3, time.Millisecond))
	defer hbT.Stop()
	sr.commitT = time.NewTimer(commitDelay)
	sr.commitT.Stop()
	defer sr.commitT.Stop()
	sr.lastLog = time.Now()

	ioErr := sr.collect(syncT.C, hbT.C)
	if ioErr != nil {
		// Stop sending work we cannot write, and take what is still in
		// flight off the workers' hands.
		sr.lost.Store(true)
		go func() {
			for range sr.res {
			}
		}()
	}
	if err := sr.out.Close(); err != nil && ioErr == nil {
		ioErr = err
	}
	return sr.finish(ioErr)
}

// collect gathers the shard's results until its channel closes,
// committing, syncing and heartbeating on the timers. It returns the
// first error writing the output.
func (sr *shardRun) collect(sync, heartbeat <-chan time.Time) error {
	for {
		select {
		case r, ok := <-sr.res:
			if !ok {
				return sr.commit()
			}
			if err := sr.add(r); err != nil {
				return err
			}
		case <-sr.commitT.C:
			if err := sr.commit(); err != nil {
				return err
			}
		case <-sync:
			if err := sr.commit(); err != nil {
				return err
			}
			if err := sr.out.Sync(); err != nil {
				return err
			}
		case <-heartbeat:
			sr.heartbeat()
		}
	}
}

// add takes one finished job: a failure is counted, an answer waits for
// the next commit, which starts commitDelay after the first answer of a
// group (or at once when the group is large).
func (sr *shardRun) add(r result) error {
	if r.err != nil {
		sr.failed++
		if sr.firstFail == "" {
			sr.firstFail = fmt.Sprintf("uuid %s index %d: %v", r.g.UUID, r.g.Index, r.err)
		}
		sr.log.Error("generation failed permanently", "uuid", r.g.UUID, "index", r.g.Index, "err", r.err)
		return nil
	}
	if sr.lost.Load() {
		return nil
	}
	sr.pending = append(sr.pending, r.g)
	sr.pendingBytes += len(r.g.Text)
	if len(sr.pending) >= flushEvery || sr.pendingBytes >= flushBytes {
		return sr.commit()
	}
	if len(sr.pending) == 1 {
		sr.commitT.Reset(commitDelay)
	}
	return nil
}

// commit appends the pending records as one frame (write(2), no fsync),
// after checking that the lease is still ours.
func (sr *shardRun) commit() error {
	sr.commitT.Stop()
	if len(sr.pending) == 0 || sr.lost.Load() {
		return nil
	}
	if now := time.Now(); now.Sub(sr.leaseChecked) >= sr.r.o.Generate.FlushInterval {
		if err := sr.lease.Check(); err != nil {
			sr.loseLease(err)
			return nil
		}
		sr.leaseChecked = now
	}
	for i := range sr.pending {
		if err := sr.out.Add(&sr.pending[i]); err != nil {
			return err
		}
	}
	if err := sr.out.Write(); err != nil {
		return err
	}
	for i := range sr.pending {
		p := &sr.pending[i]
		sr.have[p.Key()] = struct{}{}
		sr.tokP += int64(p.PromptTokens)
		sr.tokC += int64(p.CompletionTokens)
		sr.attempts += int64(p.Attempts)
	}
	sr.written += len(sr.pending)
	sr.pending = sr.pending[:0]
	sr.pendingBytes = 0
	if time.Since(sr.lastLog) > 30*time.Second {
		sr.log.Info("progress", "have", len(sr.have), "of", sr.expected)
		sr.lastLog = time.Now()
	}
	return nil
}

func (sr *shardRun) heartbeat() {
	if sr.lost.Load() {
		return
	}
	if err := sr.lease.Heartbeat(); err != nil {
		if errors.Is(err, shard.ErrLeaseLost) {
			sr.loseLease(err)
		} else {
			sr.log.Warn("lease heartbeat failed; will retry", "err", err)
		}
	}
}

// loseLease stops writes to the shard: another runner has it now.
func (sr *shardRun) loseLease(err error) {
	sr.lost.Store(true)
	sr.pending = nil
	sr.log.Error("lost the shard lease: stopping writes to this shard", "err", err)
}

// finish writes the done marker when the shard is complete, releases the
// lease (unless another runner has it now) and accounts for the shard.
func (sr *shardRun) finish(ioErr error) error {
	lost := sr.lost.Load() && ioErr == nil
	complete := len(sr.have) == sr.expected && sr.failed == 0 && !lost && ioErr == nil
	var doneErr error
	if complete {
		doneErr = sr.writeDone()
	}
	if !lost {
		if err := sr.lease.Release(); err != nil {
			sr.log.Warn("releasing shard lease", "err", err)
		}
	}
	o := shardOutcome{written: sr.written, failed: sr.failed, tokP: sr.tokP, tokC: sr.tokC, attempts: sr.attempts}
	switch {
	case ioErr != nil:
		o.kind, o.note = outcomePartial, fmt.Sprintf("shard %d partial (%d/%d generations)", sr.id, len(sr.have), sr.expected)
	case complete && doneErr == nil:
		o.kind = outcomeDone
		sr.log.Info("shard done", "generations", sr.expected, "new", sr.written)
	case sr.failed > 0:
		o.kind, o.note = outcomeFailed, fmt.Sprintf("shard %d: %d failed, first %s", sr.id, sr.failed, sr.firstFail)
	case lost:
		o.kind, o.note = outcomeBusy, fmt.Sprintf("shard %d lease lost (%d/%d generations)", sr.id, len(sr.have), sr.expected)
	default:
		o.kind, o.note = outcomePartial, fmt.Sprintf("shard %d partial (%d/%d generations)", sr.id, len(sr.have), sr.expected)
		sr.log.Info("shard left partial", "have", len(sr.have), "of", sr.expected)
	}
	sr.r.account(o)
	switch {
	case ioErr != nil:
		return fmt.Errorf("shard %d: %w", sr.id, ioErr)
	case doneErr != nil:
		return fmt.Errorf("shard %d: %w", sr.id, doneErr)
	}
	return nil
}

// writeDone writes the shard's done marker, with counts and checksums
// read back from the output file.
func (sr *shardRun) writeDone() error {
	o := &sr.r.o
	l := o.Layout
	var tokens int64
	model := ""
	n := 0
	if _, err := shard.ReadOutput(l.Output(sr.id), func(g *shard.Generation) error {
		tokens += int64(g.CompletionTokens)
		if model == "" {
			model = g.Model
		}
		n++
		return nil
	}); err != nil {
		return err
	}
	size, sum, err := shard.FileSHA256(l.Output(sr.id))
	if err != nil {
		return err
	}
	d := shard.Done{
		Shard: sr.id, Problems: len(sr.problems), Generations: sr.expected, InputSHA256: sr.inputSum,
		OutputBytes: size, OutputSHA: sum, Tokens: tokens, Model: model, Host: o.Host, JobID: o.JobID,
		CompletedAt: o.Now().UTC(),
	}
	if model == "" {
		d.Model = o.Generate.Model
	}
	return shard.WriteAtomic(l.DoneMarker(sr.id), func(w *bufio.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(&d)
	})
}
