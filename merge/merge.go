package merge

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/parquet-go/parquet-go"
	"golang.org/x/sync/errgroup"

	"github.com/distillery-hpc/distillery/runner/openai"
	"github.com/distillery-hpc/distillery/shard"
	"github.com/distillery-hpc/distillery/verify"
)

// Options is everything Run needs.
type Options struct {
	Layout shard.Layout
	Config Config
	Judge  JudgeConfig
	// JudgeClient talks to the judge endpoint; nil means unsure answers are
	// not judged (judging disabled, or no endpoint).
	JudgeClient *openai.Client
	// Generation describes how the generations were made: its prompt
	// template builds the user message of the messages column, the rest
	// goes into the dataset card. Run takes it from plan.json; this one
	// stands in only for a plan of format version 1, which records none
	// of it but num_generations.
	Generation GenerationInfo
	// Check compares a gold answer with a generation; nil means
	// verify.Check. Tests script it.
	Check func(ctx context.Context, gold, pred string) verify.Result
	// Version goes into each parquet file's created_by; empty means
	// Version().
	Version string
	Logger  *slog.Logger
	Now     func() time.Time
	// Owner says who this merge is (host, pid, Slurm job) in its lock and
	// in the owner record of its build directory; the zero value is an
	// owner no other merge can prove gone before the lease's TTL.
	Owner shard.LeaseOptions
}

// GenerationInfo is the generation side of the run: the settings plan.json
// records. Its SystemPrompt, when not empty, becomes the first message of
// the messages column, its PromptTemplate the user message.
type GenerationInfo = shard.Settings

// Summary is what a merge did.
type Summary struct {
	Shards     int   // shards in the plan
	Incomplete []int // shards merged without a done marker (--allow-incomplete)

	Problems                int // problems in the input shards
	ProblemsWithGenerations int
	Generations             int
	OrphanGenerations       int // records whose uuid is not in their shard's input
	DuplicateRecords        int // repeated (uuid, index) records skipped
	// DuplicateProblems counts problems whose uuid an earlier shard (in
	// plan order) already had: a run dir put together by hand. The first
	// one makes the row; the dataset never holds a uuid twice.
	DuplicateProblems int
	TornBytes         int64

	Equal, Different, Unsure int // verifier verdicts
	VerifierPanics           int // verifier crashes, counted as unsure

	// Judged counts generations with a judge ruling (received in this
	// merge or reused from the cache); one ruling may cover several
	// generations of a problem that gave the same answer.
	Judged int
	// JudgedRejected counts, of Judged, the generations the verifier had
	// called different ([judge] judge_rejected); JudgeRecovered, those of
	// them the judge called EQUIVALENT.
	JudgedRejected, JudgeRecovered int
	// JudgeCalls counts judge requests answered in this merge (not the
	// cached ones), with their tokens as the server counted them.
	JudgeCalls                                      int
	JudgePromptTokens, JudgeCompletionTokens        int64
	JudgeEquivalent, JudgeDifferent, JudgeAmbiguous int
	// JudgeEquivalent, JudgeDifferent and JudgeAmbiguous split Judged
	// (generations); JudgeNoVerdict and JudgeCached count rulings (one
	// per judge call, or its cached reply).
	JudgeNoVerdict int // replies without a verdict (counted as ambiguous)
	JudgeCached    int // rulings reused from the judge cache
	JudgeCacheFile string
	JudgeErrors    int // requests that failed after retries
	NotJudged      int // unsure answers with no judge

	Correct           int // generations counted correct
	ReasoningComplete int
	FinishReasons     map[string]int
	Models            map[string]int // generations by the model name the server reported
	// JudgeModels counts the judge replies by the model name the judge
	// server reported.
	JudgeModels map[string]int
	// SettingsFromConfig is set when plan.json (format version 1) records
	// no generation settings and the card's come from Options.Generation.
	SettingsFromConfig bool
	// PerProblem counts the problems with generations by how many they
	// have: one key, the plan's num_generations, for a complete run.
	PerProblem map[int]int
	Kept       int // problems with at least min_correct correct generations
	Dropped    int // problems with generations but too few correct ones
	// InSeveralSplits counts kept rows that went to more than one split;
	// the card has an `all` config only when it is 0.
	InSeveralSplits int
	// Unsplit counts kept rows that no split took.
	Unsplit          int
	RowsJudged       int // kept rows with a non-null correctness_llama
	CompletionTokens int64

	Splits     []SplitSummary
	DatasetDir string
	CardPath   string
	Elapsed    time.Duration
	VerifyTime time.Duration // time spent inside the verifier, summed over workers
}

// SplitSummary is one split of the dataset: a config of the dataset
// card, with its one split, train.
type SplitSummary struct {
	Name string
	// Dir is where its files are, relative to the dataset: "data" for the
	// default config, the config's name for the others.
	Dir      string
	Default  bool
	Rows     int
	Bytes    int64    // parquet bytes (the card's download_size)
	NumBytes int64    // uncompressed, as Arrow holds them (num_bytes, dataset_size)
	Files    []string // absolute paths
	Sources  map[string]int
}

// IncompleteError is returned when shards lack a done marker that matches
// their output, and AllowIncomplete is off.
type IncompleteError struct {
	Shards []int // every unfinished shard, Mismatched ones included
	// Mismatched says, per shard, why a done marker that is there does not
	// vouch for the output ("shard-00003: its output is ... bytes ...").
	Mismatched []string
}

func (e *IncompleteError) Error() string {
	ids := make([]string, len(e.Shards))
	for i, s := range e.Shards {
		ids[i] = shard.ShardName(s)
	}
	list := strings.Join(ids, ", ")
	if len(ids) > 8 {
		list = strings.Join(ids[:8], ", ") + fmt.Sprintf(" and %d more", len(ids)-8)
	}
	why := "no done marker"
	if len(e.Mismatched) > 0 {
		why = fmt.Sprintf("no done marker, or one that does not match the output: %s", e.Mismatched[0])
		if len(e.Mismatched) > 1 {
			why += fmt.Sprintf(" and %d more", len(e.Mismatched)-1)
		}
	}
	return fmt.Sprintf("%d of the run's shards are not finished (%s): %s; see `distillery status`, finish them with `distillery resume` (or `distillery run --shard N`, which regenerates only what is missing), or merge what is there with --allow-incomplete", len(e.Shards), why, list)
}

// maxConsecutiveJudgeErrors: one failed judge request is counted, not
// fatal; this many in a row, with nothing answered in between, means the
// judge endpoint itself is gone, and merging on would silently leave every
// unsure answer unjudged.
const maxConsecutiveJudgeErrors = 50

// verifyTimeout bounds one verify.Check call; the verifier has its own
// limits, this is the backstop that keeps one pathological answer from
// stalling a worker.
const verifyTimeout = 10 * time.Second

// Run merges the run's output shards into the dataset at
// <run.dir>/dataset. The dataset is built in a temporary directory beside
// it and swapped in at the end, so a crash leaves the previous dataset (or
// none), never a half one.
func Run(ctx context.Context, opts Options) (Summary, error) {
	m, err := newMerger(opts)
	if err != nil {
		return Summary{}, err
	}
	return m.run(ctx)
}

type merger struct {
	opts    Options
	log     *slog.Logger
	now     func() time.Time
	workers int
	sum     Summary
	splits  []*splitWriter

	cache *judgeCache // nil: no cache
	// written holds the uuids of the problems writeShard has seen, over
	// all shards.
	written map[string]struct{}
	done    map[int]shard.Done // done markers by shard id
	// verifySem bounds the verify.Check calls running at once, over all
	// shards in flight: the verifier is CPU-bound, one per core.
	verifySem chan struct{}
	// judgeSem bounds the judge requests in flight, over all shards: the
	// judge's concurrency (its max running requests) keeps the GPU server
	// busy without a long queue in front of it.
	judgeSem    chan struct{}
	verifyNano  atomic.Int64 // time spent inside verify.Check
	judgeErrRun atomic.Int64 // consecutive judge errors
	mu          sync.Mutex   // guards sum's judge counters during a shard
}

func newMerger(opts Options) (*merger, error) {
	c := opts.Config
	def := DefaultConfig()
	if c.RowsPerFile < 1 {
		c.RowsPerFile = def.RowsPerFile
	}
	if c.MinCorrect < 1 {
		c.MinCorrect = 1
	}
	if c.MaxFileBytes == 0 {
		c.MaxFileBytes = def.MaxFileBytes
	}
	if c.Compression == "" {
		c.Compression = def.Compression
	}
	if c.License == "" {
		c.License = def.License
	}
	if errs := c.Validate(); len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	opts.Config = c
	if opts.Generation.PromptTemplate == "" {
		opts.Generation.PromptTemplate = shard.DefaultPromptTemplate
	}
	if opts.Judge.Concurrency < 1 {
		opts.Judge.Concurrency = 1
	}
	if opts.Check == nil {
		opts.Check = verify.Check
	}
	m := &merger{opts: opts, log: opts.Logger, now: opts.Now, workers: c.Workers}
	if m.log == nil {
		m.log = slog.New(slog.DiscardHandler)
	}
	if m.now == nil {
		m.now = time.Now
	}
	if m.workers < 1 {
		m.workers = runtime.GOMAXPROCS(0)
	}
	m.verifySem = make(chan struct{}, m.workers)
	m.judgeSem = make(chan struct{}, opts.Judge.Concurrency)
	m.sum.FinishReasons = map[string]int{}
	m.sum.Models = map[string]int{}
	m.sum.JudgeModels = map[string]int{}
	m.sum.PerProblem = map[int]int{}
	return m, nil
}

func (m *merger) run(ctx context.Context) (sum Summary, err error) {
	start := m.now()
	l := m.opts.Layout
	plan, err := shard.ReadPlan(l)
	if err != nil {
		return Summary{}, err
	}
	m.sum.Shards = len(plan.Shards)
	// The rows and the card say how the generations were made: as the
	// plan recorded it, not as the config of the moment says.
	if plan.HasSettings() {
		m.opts.Generation = plan.Settings
	} else {
		m.log.Warn("plan.json records no generation settings (format version 1): the messages column and the dataset card take the prompt and sampling settings from the config", "plan", l.PlanFile())
		m.sum.SettingsFromConfig = true
		if plan.NumGenerations > 0 {
			m.opts.Generation.NumGenerations = plan.NumGenerations
		}
	}

	var missing []int
	var mismatched []string
	m.done = map[int]shard.Done{}
	for _, s := range plan.Shards {
		// A done marker vouches only for the output it was written for:
		// here its input and the output's size; the output's SHA-256 is
		// compared when prepareShard reads it, so that each output shard
		// is read once.
		if err := ctx.Err(); err != nil {
			return Summary{}, err
		}
		st, err := shard.StateOf(l, s, shard.CheckSize)
		if err != nil {
			return Summary{}, err
		}
		if !st.IsDone() {
			missing = append(missing, s.ID)
			if st.Marker != nil {
				mismatched = append(mismatched, shard.ShardName(s.ID)+": "+st.Reason)
				m.log.Warn("output shard does not match its done marker", "shard", s.ID, "problem", st.Reason)
			}
			continue
		}
		m.done[s.ID] = *st.Marker
	}
	if len(missing) > 0 {
		if !m.opts.Config.AllowIncomplete {
			return Summary{}, &IncompleteError{Shards: missing, Mismatched: mismatched}
		}
		m.sum.Incomplete = missing
		m.log.Warn("merging an incomplete run", "unfinished_shards", len(missing))
	}

	if m.opts.JudgeClient != nil {
		wait := m.opts.Judge.WaitForServer
		if wait <= 0 {
			wait = 20 * time.Second
		}
		if err := m.opts.JudgeClient.WaitReady(ctx, wait); err != nil {
			if ctx.Err() != nil {
				return Summary{}, ctx.Err()
			}
			return Summary{}, fmt.Errorf("judge endpoint %s is not answering (%v): start the judge server, fix judge.endpoint, or merge without judging (--no-judge)", m.opts.JudgeClient.Endpoint(), err)
		}
	} else {
		m.log.Info("no judge: unsure answers count as not correct")
	}

	lock, err := lockRun(ctx, l, m.opts.Owner)
	if err != nil {
		return Summary{}, err
	}
	defer lock.Release()
	if err := removeStale(l, m.opts.Owner, m.log); err != nil {
		return Summary{}, err
	}
	if err := checkDatasetDir(l.DatasetDir()); err != nil {
		return Summary{}, err
	}

	// The cache is read whenever judging is on, also without a judge
	// endpoint: a re-merge (another min_correct, a few resumed shards)
	// keeps the rulings it already has and leaves only the rest unjudged.
	if m.opts.Judge.Cache && (m.opts.JudgeClient != nil || m.opts.Judge.Enabled && fileExists(JudgeCachePath(l))) {
		m.sum.JudgeCacheFile = JudgeCachePath(l)
		m.cache, err = openJudgeCache(JudgeCachePath(l))
		if err != nil {
			return Summary{}, err
		}
		defer func() {
			if cerr := m.cache.close(); cerr != nil && err == nil {
				err = cerr
			}
		}()
		if n := len(m.cache.seen); n > 0 {
			m.log.Info("reusing earlier judge rulings", "cached", n, "file", JudgeCachePath(l))
		}
	}

	tmp, owner, err := shard.MkdirOwned(ctx, l.Dir, ".dataset.tmp-", m.opts.Owner)
	if err != nil {
		return Summary{}, fmt.Errorf("creating the temporary dataset directory: %w", err)
	}
	defer owner.Release() // after the directory is renamed into place or removed
	defer func() {
		if err != nil {
			for _, s := range m.splits {
				s.abort()
			}
			os.RemoveAll(tmp)
		}
	}()
	wc, err := m.writerConfig()
	if err != nil {
		return Summary{}, err
	}
	// A row group's encoded pages wait on disk, not in memory, until the
	// row group is written (parquet-go keeps them in memory by default:
	// segmentio/parquet-go#118); they go before the swap.
	pages := filepath.Join(tmp, ".pages")
	if err := os.Mkdir(pages, shard.DirPerm); err != nil {
		return Summary{}, fmt.Errorf("creating the page buffer directory: %w", err)
	}
	wc.pageBuffers = parquet.NewFileBufferPool(pages, "page-*")
	def := DefaultSplit(m.opts.Config.Splits)
	for i, sp := range m.opts.Config.Splits {
		m.splits = append(m.splits, newSplitWriter(sp.Name, filepath.Join(tmp, SplitDir(m.opts.Config.Splits, i)), m.opts.Config, wc))
		m.splits[i].isDefault = i == def
	}

	if err := m.mergeShards(ctx, plan.Shards); err != nil {
		return Summary{}, err
	}
	sort.Ints(m.sum.Incomplete)

	m.sum.VerifyTime = time.Duration(m.verifyNano.Load())

	final := l.DatasetDir()
	for _, s := range m.splits {
		files, err := s.finish()
		if err != nil {
			return Summary{}, err
		}
		ss := SplitSummary{Name: s.name, Dir: filepath.Base(s.dir), Default: s.isDefault, Rows: s.rows, Bytes: s.bytes, NumBytes: s.numBytes, Sources: s.sources}
		for _, f := range files {
			rel, _ := filepath.Rel(tmp, f)
			ss.Files = append(ss.Files, filepath.Join(final, rel))
		}
		m.sum.Splits = append(m.sum.Splits, ss)
	}
	if err := os.RemoveAll(pages); err != nil {
		return Summary{}, fmt.Errorf("removing the page buffer directory: %w", err)
	}

	m.sum.DatasetDir = final
	m.sum.CardPath = filepath.Join(final, "README.md")
	m.sum.Elapsed = m.now().Sub(start)
	card, err := renderCard(m.opts, &m.sum, m.now())
	if err != nil {
		return Summary{}, err
	}
	if err := writeFile(filepath.Join(tmp, "README.md"), card); err != nil {
		return Summary{}, err
	}
	if err := shard.SyncDir(tmp); err != nil {
		return Summary{}, err
	}
	if err := lock.Check(); err != nil {
		return Summary{}, fmt.Errorf("the merge lock of %s was taken over while this merge ran (it hung for longer than its lease's TTL?); the dataset is left as it was: %w", l.Dir, err)
	}
	if err := swapDir(tmp, final); err != nil {
		return Summary{}, err
	}
	m.sum.Elapsed = m.now().Sub(start)
	return m.sum, nil
}

// item is one problem of a shard with its generations.
type item struct {
	p     *shard.Problem
	gens  []shard.Generation
	res   []verify.Result
	llama []*bool // nil: no generation judged
}

// shardsInFlight is how many shards are read, verified and judged at
// once. While the judge answers the last, slowest requests of one shard
// the next ones already keep the verifier and the judge busy; rows are
// still written in plan order. Memory is about this many shards.
const shardsInFlight = 3

// shardWork is one shard, read, verified and judged, ready to be written.
type shardWork struct {
	id       int
	problems int
	records  int
	orphans  int
	info     shard.OutputInfo
	items    []item
	// mismatch says why the shard's done marker does not vouch for the
	// output read (with allow_incomplete; "" when it does).
	mismatch string
}

// mergeShards runs prepareShard on up to shardsInFlight shards at once
// and writes their rows in plan order.
func (m *merger) mergeShards(ctx context.Context, shards []shard.ShardInfo) error {
	results := make([]chan *shardWork, len(shards))
	for i := range results {
		results[i] = make(chan *shardWork, 1)
	}
	slots := make(chan struct{}, shardsInFlight)
	g, gctx := errgroup.WithContext(ctx)
	g.Go(func() error {
		for i, si := range shards {
			if err := acquire(gctx, slots); err != nil {
				return err
			}
			g.Go(func() error {
				w, err := m.prepareShard(gctx, si)
				if err != nil {
					return err
				}
				results[i] <- w
				return nil
			})
		}
		return nil
	})
	g.Go(func() error {
		for i := range shards {
			select {
			case w := <-results[i]:
				if err := m.writeShard(w); err != nil {
					return err
				}
				<-slots
			case <-gctx.Done():
				return gctx.Err()
			}
		}
		return nil
	})
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// acquire takes a slot of sem, or gives up when ctx ends.
func acquire(ctx context.Context, sem chan struct{}) error {
	select {
	case sem <- struct{}{}:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// prepareShard reads one shard's problems and generations, verifies every
// generation and sends the unsure ones to the judge.
func (m *merger) prepareShard(ctx context.Context, si shard.ShardInfo) (*shardWork, error) {
	l := m.opts.Layout
	problems, _, err := shard.ReadShardInput(l, si)
	if err != nil {
		return nil, err
	}
	w := &shardWork{id: si.ID, problems: len(problems), items: make([]item, len(problems))}
	byUUID := make(map[string]int, len(problems))
	for i := range problems {
		w.items[i].p = &problems[i]
		byUUID[problems[i].UUID] = i
	}
	w.info, err = shard.ReadOutput(l.Output(si.ID), func(g *shard.Generation) error {
		i, ok := byUUID[g.UUID]
		if !ok {
			w.orphans++
			return nil
		}
		w.items[i].gens = append(w.items[i].gens, *g)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", l.Output(si.ID), err)
	}
	// The rest of the done check: the output read is the one its marker
	// was written for.
	if d, ok := m.done[si.ID]; ok {
		if why := d.CheckOutput(w.info.Size, w.info.SHA256); why != "" {
			why = shard.ShardName(si.ID) + ": " + why
			if !m.opts.Config.AllowIncomplete {
				return nil, &IncompleteError{Shards: []int{si.ID}, Mismatched: []string{why}}
			}
			w.mismatch = why
		}
	}

	// Verify every generation against its problem's answer.
	g, gctx := errgroup.WithContext(ctx)
	for i := range w.items {
		it := &w.items[i]
		if len(it.gens) == 0 {
			continue
		}
		sort.Slice(it.gens, func(a, b int) bool { return it.gens[a].Index < it.gens[b].Index })
		it.res = make([]verify.Result, len(it.gens))
		for j := range it.gens {
			if err := acquire(gctx, m.verifySem); err != nil {
				break
			}
			g.Go(func() error {
				defer func() { <-m.verifySem }()
				it.res[j] = m.check(gctx, it.p.Answer, it.gens[j].Text)
				return nil
			})
		}
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}

	// Send the unsure ones to the judge (or, with no judge, look them up
	// in the rulings cached by an earlier merge).
	if m.opts.JudgeClient != nil || m.cache != nil {
		if err := m.judgeShard(ctx, w.items, m.log.With("shard", si.ID)); err != nil {
			return nil, err
		}
	}
	return w, nil
}

// writeShard builds the rows of a prepared shard and routes them to the
// splits. It runs on one goroutine, in plan order.
func (m *merger) writeShard(w *shardWork) error {
	m.sum.Problems += w.problems
	m.sum.OrphanGenerations += w.orphans
	m.sum.DuplicateRecords += w.info.Duplicates
	m.sum.TornBytes += w.info.TornBytes
	log := m.log.With("shard", w.id)
	if w.mismatch != "" {
		m.sum.Incomplete = append(m.sum.Incomplete, w.id)
		log.Warn("output shard does not match its done marker; merged what is there", "problem", w.mismatch)
	}
	if w.info.TornBytes > 0 {
		log.Warn("output shard has a torn tail; merged the records before it", "torn_bytes", w.info.TornBytes)
	}
	if d, ok := m.done[w.id]; ok && d.Generations > 0 && w.info.Records < d.Generations {
		log.Warn("output shard has fewer records than its done marker counts; merged what is there", "records", w.info.Records, "done_marker", d.Generations)
	}
	if w.orphans > 0 {
		log.Warn("output shard has records of problems that are not in its input; skipped them", "records", w.orphans)
	}
	kept, dups := 0, 0
	if m.written == nil {
		m.written = map[string]struct{}{}
	}
	for i := range w.items {
		it := &w.items[i]
		if _, dup := m.written[it.p.UUID]; dup {
			dups++
			continue
		}
		m.written[it.p.UUID] = struct{}{}
		if len(it.gens) == 0 {
			continue
		}
		row, completeCorrect, ok := m.buildRow(it)
		if !ok {
			m.sum.Dropped++
			continue
		}
		m.sum.Kept++
		kept++
		in := 0
		for j, sp := range m.opts.Config.Splits {
			if splitMatches(sp, row, completeCorrect) {
				in++
				if err := m.splits[j].write(row); err != nil {
					return err
				}
			}
		}
		switch {
		case in == 0:
			m.sum.Unsplit++
		case in > 1:
			m.sum.InSeveralSplits++
		}
	}
	if dups > 0 {
		m.sum.DuplicateProblems += dups
		log.Warn("shard has problems an earlier shard had (same uuid); kept the earlier ones", "problems", dups)
	}
	log.Info("merged shard", "problems", w.problems, "generations", w.info.Records, "kept", kept)
	return nil
}

// check runs the verifier on one pair; a verifier panic is one failed item
// (counted, unsure), not the end of the merge.
func (m *merger) check(ctx context.Context, gold, pred string) (res verify.Result) {
	defer func() {
		if r := recover(); r != nil {
			m.mu.Lock()
			m.sum.VerifierPanics++
			m.mu.Unlock()
			res = verify.Result{Verdict: verify.Unsure, Reason: fmt.Sprintf("verifier panicked: %v", r)}
		}
	}()
	cctx, cancel := context.WithTimeout(ctx, verifyTimeout)
	defer cancel()
	t0 := time.Now()
	defer func() { m.verifyNano.Add(int64(time.Since(t0))) }()
	return m.opts.Check(cctx, gold, pred)
}

// buildRow turns a problem and its checked generations into a dataset
// row; ok is false when it has fewer than min_correct correct generations.
// completeCorrect counts the correct generations with complete reasoning.
func (m *merger) buildRow(it *item) (r *Row, completeCorrect int, ok bool) {
	n := len(it.gens)
	r = &Row{
		Problem:               it.p.Problem,
		Solution:              it.p.Solution,
		Answer:                it.p.Answer,
		ProblemType:           it.p.ProblemType,
		QuestionType:          it.p.QuestionType,
		Source:                it.p.Source,
		UUID:                  it.p.UUID,
		IsReasoningComplete:   make([]bool, n),
		Generations:           make([]string, n),
		CorrectnessMathVerify: make([]bool, n),
		FinishReasons:         make([]string, n),
		CorrectnessLlama:      it.llama,
	}
	m.sum.ProblemsWithGenerations++
	m.sum.PerProblem[n]++
	chosen, chosenComplete := -1, false
	for j := range it.gens {
		g := &it.gens[j]
		m.sum.Generations++
		m.sum.FinishReasons[g.FinishReason]++
		if g.Model != "" {
			m.sum.Models[g.Model]++
		}
		m.sum.CompletionTokens += int64(g.CompletionTokens)
		r.Generations[j] = g.Text
		r.FinishReasons[j] = g.FinishReason
		r.IsReasoningComplete[j] = ReasoningComplete(g.Text, g.FinishReason)
		if r.IsReasoningComplete[j] {
			m.sum.ReasoningComplete++
		}
		switch it.res[j].Verdict {
		case verify.Equal:
			m.sum.Equal++
		case verify.Different:
			m.sum.Different++
		default:
			m.sum.Unsure++
			if m.opts.JudgeClient == nil && (it.llama == nil || it.llama[j] == nil) {
				m.sum.NotJudged++
			}
		}
		r.CorrectnessMathVerify[j] = it.res[j].Verdict == verify.Equal
		correct := r.CorrectnessMathVerify[j] || (it.llama != nil && it.llama[j] != nil && *it.llama[j])
		if correct {
			r.CorrectnessCount++
			if r.IsReasoningComplete[j] {
				completeCorrect++
			}
			m.sum.Correct++
			// The assistant message is the first correct generation whose
			// reasoning is complete, else the first correct one.
			if chosen < 0 || (!chosenComplete && r.IsReasoningComplete[j]) {
				chosen, chosenComplete = j, r.IsReasoningComplete[j]
			}
		}
	}
	if r.CorrectnessCount < int64(m.opts.Config.MinCorrect) || chosen < 0 {
		return nil, 0, false
	}
	if r.CorrectnessLlama != nil {
		m.sum.RowsJudged++
	}
	gi := m.opts.Generation
	if gi.SystemPrompt != "" {
		r.Messages = append(r.Messages, Message{Role: "system", Content: gi.SystemPrompt})
	}
	r.Messages = append(r.Messages,
		Message{Role: "user", Content: strings.ReplaceAll(gi.PromptTemplate, "{problem}", it.p.Problem)},
		Message{Role: "assistant", Content: it.gens[chosen].Text},
	)
	return r, completeCorrect, true
}

// JudgeCachePath is the file where merge keeps the judge's rulings.
func JudgeCachePath(l shard.Layout) string { return filepath.Join(l.Dir, "judge", "verdicts.jsonl") }

// ReasoningComplete reports whether a generation finished on its own
// (finish_reason "stop") with its think block closed.
func ReasoningComplete(text, finishReason string) bool {
	if finishReason != "stop" {
		return false
	}
	if strings.Contains(text, "<think>") && !strings.Contains(text, "</think>") {
		return false
	}
	return true
}

// writerConfig is the parquet configuration of this merge's files.
func (m *merger) writerConfig() (writerConfig, error) {
	codec, err := codecFor(m.opts.Config.Compression)
	if err != nil {
		return writerConfig{}, fmt.Errorf("merge.compression: %w", err)
	}
	v := m.opts.Version
	if v == "" {
		v = Version()
	}
	return writerConfig{codec: codec, createdBy: createdBy(v), hfMetadata: huggingfaceMetadata()}, nil
}

// lockRun takes <run.dir>/.merge.lease so that two merges of one run do
// not build over each other, also from different nodes: a lease, not a
// flock, which NFS, Lustre and GPFS do not honour across nodes (see
// shard.Held for its limits).
func lockRun(ctx context.Context, l shard.Layout, o shard.LeaseOptions) (*shard.Held, error) {
	path := filepath.Join(l.Dir, ".merge.lease")
	h, err := shard.Hold(ctx, path, o, false)
	if errors.Is(err, shard.ErrLeaseHeld) {
		return nil, fmt.Errorf("another merge of %s is running (%w): wait for it to finish", l.Dir, err)
	}
	if err != nil {
		return nil, fmt.Errorf("taking the merge lock: %w", err)
	}
	return h, nil
}

// removeStale deletes the temporary dataset directories a crashed merge
// left: a build directory only once its owner record shows its merge is
// gone (shard.RemoveAbandoned), so that a merge on another node never
// deletes a live build; a .dataset.old-* (the previous dataset, moved
// aside during a swap that crashed) because we hold the merge lock,
// under which alone swaps happen.
func removeStale(l shard.Layout, o shard.LeaseOptions, log *slog.Logger) error {
	removed, unowned, err := shard.RemoveAbandoned(l.Dir, ".dataset.tmp-", o)
	for _, d := range removed {
		log.Info("removed what an interrupted merge left", "path", d)
	}
	for _, d := range unowned {
		log.Warn("a temporary dataset directory without an owner record (left by an older version?) is kept: delete it when no merge runs", "path", d)
	}
	if err != nil {
		return err
	}
	old, _ := filepath.Glob(filepath.Join(l.Dir, ".dataset.old-*"))
	for _, d := range old {
		log.Info("removing what an interrupted merge left", "path", d)
		if err := os.RemoveAll(d); err != nil {
			return fmt.Errorf("removing %s, which an interrupted merge left: %w", d, err)
		}
	}
	return nil
}

// checkDatasetDir makes sure that replacing <run.dir>/dataset loses
// nothing but an earlier merge's output: README.md, data/, and directories
// holding nothing but train-NNNNN-of-NNNNN.parquet files (the other
// configs; or an empty directory). Anything else there is the user's, and
// merge refuses rather than delete it at the swap.
func checkDatasetDir(final string) error {
	st, err := os.Lstat(final)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("checking the dataset directory: %w", err)
	}
	if !st.IsDir() {
		return fmt.Errorf("%s exists and is not a directory: merge writes the dataset there; move it away, then merge again", final)
	}
	entries, err := os.ReadDir(final)
	if err != nil {
		return fmt.Errorf("reading the dataset directory: %w", err)
	}
	for _, e := range entries {
		if e.Name() == "README.md" || (e.Name() == "data" && e.IsDir()) {
			continue
		}
		if e.IsDir() && onlyParquetParts(filepath.Join(final, e.Name())) {
			continue
		}
		return fmt.Errorf("%s holds %s, which merge did not write and would delete when it replaces the dataset: move it away, then merge again", final, e.Name())
	}
	return nil
}

var partNameRE = regexp.MustCompile(`^train-[0-9]{5}-of-[0-9]{5}\.parquet$`)

// onlyParquetParts reports whether dir holds nothing but the parquet files
// a merge names.
func onlyParquetParts(dir string) bool {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return false
	}
	for _, e := range entries {
		if !e.Type().IsRegular() || !partNameRE.MatchString(e.Name()) {
			return false
		}
	}
	return true
}

// writeFile writes a small file durably into a directory that is swapped
// in later (the swap fsyncs the directory).
func writeFile(path string, data []byte) error {
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating %s: %w", path, err)
	}
	if _, err := f.Write(data); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("syncing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", path, err)
	}
	return nil
}

// fileExists reports whether path names an existing file.
func fileExists(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir()
}
