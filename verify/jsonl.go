package verify

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"golang.org/x/sync/errgroup"
)

// Pair is one input line of RunJSONL.
type Pair struct {
	ID   json.RawMessage `json:"id"`
	Gold string          `json:"gold"`
	Pred string          `json:"pred"`
}

// Record is one output line of RunJSONL: the pair's id and its Result.
type Record struct {
	ID json.RawMessage `json:"id"`
	Result
}

// JSONLOptions configure RunJSONL.
type JSONLOptions struct {
	Workers     int           // parallel checkers; < 1 means 1
	PairTimeout time.Duration // deadline of one pair; 0 means none beyond the limits
	Limits      Limits
}

// JSONLStats counts what RunJSONL did.
type JSONLStats struct {
	Pairs     int
	Equal     int
	Different int
	Unsure    int
	BadLines  int    // lines that were not a JSON object; written as unsure
	FirstBad  string // the first bad line's problem, for the user
}

// maxLineBytes bounds one input line: a whole generation of a long
// reasoning trace is well under 1 MiB; 64 MiB leaves room for anything real.
const maxLineBytes = 64 << 20

// RunJSONL reads {"id","gold","pred"} lines from r, checks them with
// opts.Workers goroutines and writes {"id","verdict","reason","gold_parsed",
// "pred_parsed"} lines to w in input order. A line that is not valid JSON is
// counted and answered with an unsure record; only read and write errors
// stop the run.
func RunJSONL(ctx context.Context, r io.Reader, w io.Writer, opts JSONLOptions) (JSONLStats, error) {
	var st JSONLStats
	workers := max(opts.Workers, 1)
	if opts.Limits == (Limits{}) {
		opts.Limits = DefaultLimits()
	}
	ch := NewChecker(opts.Limits)

	type job struct {
		seq  int
		line int
		pair Pair
		bad  error
	}
	type done struct {
		seq int
		rec Record
		bad error
	}
	// Small buffers: enough to keep workers busy while the writer catches up.
	jobs := make(chan job, workers*4)
	results := make(chan done, workers*4)

	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error { // producer
		defer close(jobs)
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64<<10), maxLineBytes)
		seq, line := 0, 0
		for sc.Scan() {
			line++
			b := sc.Bytes()
			if len(trimSpaceBytes(b)) == 0 {
				continue
			}
			j := job{seq: seq, line: line}
			if err := json.Unmarshal(b, &j.pair); err != nil {
				j.bad = fmt.Errorf("input line %d is not a {\"id\",\"gold\",\"pred\"} object: %w", line, err)
			}
			seq++
			select {
			case jobs <- j:
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		if err := sc.Err(); err != nil {
			return fmt.Errorf("reading input line %d: %w", line+1, err)
		}
		return nil
	})
	wg, _ := errgroup.WithContext(gctx)
	for range workers {
		wg.Go(func() error {
			for j := range jobs {
				d := done{seq: j.seq, bad: j.bad}
				d.rec.ID = j.pair.ID
				if len(d.rec.ID) == 0 {
					d.rec.ID = json.RawMessage("null")
				}
				if j.bad != nil {
					d.rec.Result = Result{Verdict: Unsure, Reason: j.bad.Error()}
				} else {
					pctx, cancel := gctx, context.CancelFunc(func() {})
					if opts.PairTimeout > 0 {
						pctx, cancel = context.WithTimeout(gctx, opts.PairTimeout)
					}
					d.rec.Result = ch.Check(pctx, j.pair.Gold, j.pair.Pred)
					cancel()
				}
				select {
				case results <- d:
				case <-gctx.Done():
					return gctx.Err()
				}
			}
			return nil
		})
	}
	g.Go(func() error {
		err := wg.Wait()
		close(results)
		return err
	})
	g.Go(func() error { // writer: restores input order
		bw := bufio.NewWriter(w)
		pending := map[int]done{}
		next := 0
		enc := json.NewEncoder(bw)
		enc.SetEscapeHTML(false)
		for d := range results {
			pending[d.seq] = d
			for {
				x, ok := pending[next]
				if !ok {
					break
				}
				delete(pending, next)
				next++
				st.Pairs++
				if x.bad != nil {
					st.BadLines++
					if st.FirstBad == "" {
						st.FirstBad = x.bad.Error()
					}
				}
				switch x.rec.Verdict {
				case Equal:
					st.Equal++
				case Different:
					st.Different++
				default:
					st.Unsure++
				}
				if err := enc.Encode(x.rec); err != nil {
					return fmt.Errorf("writing output: %w", err)
				}
			}
		}
		if err := bw.Flush(); err != nil {
			return fmt.Errorf("writing output: %w", err)
		}
		return nil
	})
	err := g.Wait()
	return st, err
}

func trimSpaceBytes(b []byte) []byte {
	i, j := 0, len(b)
	for i < j && (b[i] == ' ' || b[i] == '\t' || b[i] == '\r') {
		i++
	}
	for j > i && (b[j-1] == ' ' || b[j-1] == '\t' || b[j-1] == '\r') {
		j--
	}
	return b[i:j]
}
