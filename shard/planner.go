package shard

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"

	"golang.org/x/sync/errgroup"
)

// planShards reads p.Inputs row by row, keeps the problems that the [input]
// filters and the de-duplication let through, and writes them as input
// shards of o.Shard.ProblemsPerShard while it reads. It fills in p's row,
// problem and drop counts, each input's row count and p.Shards.
//
// Memory holds the 16-byte hashes of the problems and uuids kept so far and
// at most three shards' problems (one filling, one queued, one being
// written), never the problem set: planning NuminaMath-1.5's 900k rows
// stays flat (see `make bench-plan`).
func planShards(ctx context.Context, l Layout, o PlanOptions, p *Plan) error {
	per := o.Shard.ProblemsPerShard
	g, gctx := errgroup.WithContext(ctx)
	// One full shard may wait while the writer compresses and fsyncs the
	// one before: reading goes on during the fsync, and no more than that
	// is held.
	full := make(chan []Problem, 1)
	enc, err := newShardEncoder()
	if err != nil {
		return err
	}
	g.Go(func() error {
		for batch := range full {
			if err := gctx.Err(); err != nil {
				return err
			}
			id := len(p.Shards)
			sum, err := enc.write(l.Input(id), batch)
			if err != nil {
				return err
			}
			p.Shards = append(p.Shards, ShardInfo{ID: id, Problems: len(batch), SHA256: sum, File: "input/" + ShardName(id) + ".jsonl.zst"})
		}
		return nil
	})
	g.Go(func() error {
		defer close(full)
		f := newRowFilter(o.Input)
		batch := make([]Problem, 0, min(per, 4096))
		send := func() error {
			select {
			case full <- batch:
			case <-gctx.Done():
				return gctx.Err()
			}
			batch = make([]Problem, 0, min(per, 4096))
			return nil
		}
		for i := range p.Inputs {
			rows := 0
			err := readRows(p.Inputs[i].Path, o.Input.Columns, func(r Row) error {
				rows++
				if rows%4096 == 0 && gctx.Err() != nil {
					return gctx.Err()
				}
				pr, reason := f.keep(r)
				switch {
				case reason != "":
					p.Dropped[reason]++
				case o.Input.Limit > 0 && p.Problems >= o.Input.Limit:
					// Still counted as seen (a later copy is a duplicate, not
					// over the limit), as when the limit cut the kept list.
					p.Dropped[DropOverLimit]++
				default:
					p.Problems++
					if batch = append(batch, pr); len(batch) == per {
						return send()
					}
				}
				return nil
			})
			if err != nil {
				return err
			}
			if rows == 0 {
				return fmt.Errorf("input file %s has no rows: remove it from [input] paths", p.Inputs[i].Path)
			}
			p.Inputs[i].Rows = rows
			p.Rows += rows
		}
		if p.Problems == 0 {
			return fmt.Errorf("no problems left to plan: %d rows read, all dropped (%s); check [input] filters and columns", p.Rows, formatDropped(p.Dropped))
		}
		if len(batch) > 0 {
			return send()
		}
		return nil
	})
	return g.Wait()
}

// rowFilter applies the [input] filters and the de-duplication to rows in
// input order. A duplicate is known by the hash of its normalised text (or
// of its uuid), not by the text: 16 bytes a problem.
type rowFilter struct {
	in                                    InputConfig
	dropAnswers, sources, exclude, qtypes map[string]bool
	seenText, seenUUID                    map[[16]byte]struct{}
}

func newRowFilter(in InputConfig) *rowFilter {
	set := func(xs []string) map[string]bool {
		m := map[string]bool{}
		for _, x := range xs {
			m[x] = true
		}
		return m
	}
	f := &rowFilter{in: in, dropAnswers: map[string]bool{}, sources: set(in.Sources), exclude: set(in.ExcludeSources),
		qtypes: set(in.QuestionTypes), seenText: map[[16]byte]struct{}{}, seenUUID: map[[16]byte]struct{}{}}
	for _, a := range in.DropAnswers {
		f.dropAnswers[strings.ToLower(strings.TrimSpace(a))] = true
	}
	return f
}

// keep returns the problem of row r, or the reason it is dropped. A kept
// problem without a uuid gets its ContentUUID.
func (f *rowFilter) keep(r Row) (Problem, string) {
	pr := ProblemFromRow(r)
	norm := NormalizeProblem(pr.Problem)
	switch {
	case norm == "":
		return pr, DropEmptyProblem
	case f.dropAnswers[strings.ToLower(pr.Answer)]:
		return pr, DropUncheckable
	case f.in.RequireValid && (isFalse(pr.ProblemIsValid) || isFalse(pr.SolutionIsValid)):
		return pr, DropInvalid
	case f.in.DropSynthetic && pr.Synthetic != nil && *pr.Synthetic:
		return pr, DropSynthetic
	case len(f.sources) > 0 && !f.sources[pr.Source], f.exclude[pr.Source]:
		return pr, DropSource
	case len(f.qtypes) > 0 && !f.qtypes[pr.QuestionType]:
		return pr, DropQuestionType
	}
	text := textHash(norm)
	if _, dup := f.seenText[text]; dup {
		return pr, DropDuplicate
	}
	if pr.UUID == "" {
		pr.UUID = uuidText(text)
	}
	id := sha256.Sum256([]byte(pr.UUID))
	uuid := [16]byte(id[:16])
	if _, dup := f.seenUUID[uuid]; dup {
		return pr, DropDuplicateUUID
	}
	f.seenText[text] = struct{}{}
	f.seenUUID[uuid] = struct{}{}
	return pr, ""
}

// textHash is the first 16 bytes of the SHA-256 of normalised problem text:
// what de-duplication compares, and what ContentUUID spells.
func textHash(norm string) [16]byte {
	s := sha256.Sum256([]byte(norm))
	return [16]byte(s[:16])
}

// uuidText spells a text hash as a UUID.
func uuidText(h [16]byte) string {
	x := hex.EncodeToString(h[:])
	return x[0:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:32]
}
