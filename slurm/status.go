package slurm

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/distillery-hpc/distillery/shard"
)

// Shard states, as `distillery status` prints them.
const (
	StatePending = "pending" // queued in Slurm, or not submitted yet
	StateRunning = "running" // a Slurm task runs it, or a runner holds a fresh lease
	StatePartial = "partial" // some output, nothing runs it: resume
	StateDone    = "done"    // the done marker exists
	StateFailed  = "failed"  // submitted, ended, no output: resume
	// StateUnknown: submitted, not done, and Slurm did not answer (squeue
	// failed or is not installed here), so whether a task still runs it
	// cannot be told; neither status nor resume guesses.
	StateUnknown = "unknown"
)

// States lists every shard state, in the order status prints them.
var States = [...]string{StateDone, StateRunning, StatePending, StatePartial, StateFailed, StateUnknown}

// StatusSchema is the version of the `status --json` document: fields are
// only ever added within a version.
const StatusSchema = 1

// ShardStatus is one shard's line of `distillery status`.
type ShardStatus struct {
	ID                 int    `json:"id"`
	State              string `json:"state"`
	Problems           int    `json:"problems"`
	ProblemsDone       int    `json:"problems_done"`
	Generations        int    `json:"generations"` // generations written
	GenerationsPlanned int    `json:"generations_planned"`
	// Jobs are the Slurm array tasks that ran or will run the shard, as
	// "ARRAY_TASK STATE", newest last.
	Jobs []string `json:"jobs,omitempty"`
	// Active is true when Slurm may still run the shard (pending/running).
	Active    bool   `json:"active"`
	Submitted bool   `json:"submitted"`
	Lease     *Lease `json:"lease,omitempty"`
	Note      string `json:"note,omitempty"`
}

// addNote adds a remark to the shard's note.
func (ss *ShardStatus) addNote(s string) {
	if ss.Note != "" {
		ss.Note += "; "
	}
	ss.Note += s
}

// Lease is what status reads from a shard's lease file.
type Lease struct {
	Host      string    `json:"host,omitempty"`
	JobID     string    `json:"job_id,omitempty"`
	Heartbeat time.Time `json:"heartbeat"`
	Fresh     bool      `json:"fresh"`
}

// Status is the state of a run.
type Status struct {
	Schema             int            `json:"schema_version"`
	RunDir             string         `json:"run_dir"`
	Time               time.Time      `json:"time"`
	Shards             []ShardStatus  `json:"shards"`
	Counts             map[string]int `json:"counts"`
	Problems           int            `json:"problems"`
	ProblemsDone       int            `json:"problems_done"`
	Generations        int            `json:"generations_planned"`
	GenerationsDone    int            `json:"generations_done"`
	GenerationsPerHour float64        `json:"generations_per_hour"`
	ETASeconds         float64        `json:"eta_seconds,omitempty"`
	Since              time.Time      `json:"since,omitzero"`
	Slurm              bool           `json:"slurm"`      // squeue answered
	Accounting         bool           `json:"accounting"` // sacct answered
	// ActiveArrays are generate array job ids with tasks still pending or
	// running; PendingMerges are merge jobs not started yet, RunningMerges
	// those running.
	ActiveArrays  []string `json:"active_arrays,omitempty"`
	PendingMerges []string `json:"pending_merges,omitempty"`
	RunningMerges []string `json:"running_merges,omitempty"`
	// Dataset: a merge wrote the dataset (its card exists).
	Dataset  bool     `json:"dataset"`
	Warnings []string `json:"warnings,omitempty"`
	// Adopted are the unconfirmed submissions (sbatch failed, but Slurm
	// may have taken the job) that squeue shows after all, with their job
	// ids: resume records them in submissions.jsonl.
	Adopted []Submission `json:"adopted,omitempty"`
}

// Done reports whether every shard is done.
func (s *Status) Done() bool { return s.Counts[StateDone] == len(s.Shards) }

// NeedsResume lists the shards that are neither done nor pending/running
// in Slurm (nor held by a fresh lease): what `resume` submits. Unknown
// shards are not in it: Slurm may still run them.
func (s *Status) NeedsResume() []int {
	var ids []int
	for _, sh := range s.Shards {
		if sh.State != StateDone && sh.State != StateUnknown && !sh.Active && (sh.Lease == nil || !sh.Lease.Fresh) {
			ids = append(ids, sh.ID)
		}
	}
	return ids
}

// StatusRequest is what Collect needs.
type StatusRequest struct {
	Layout         shard.Layout
	Plan           *shard.Plan
	NumGenerations int
	// Check is how hard a done marker is checked (shard.StateOf): the
	// zero value, shard.CheckSize, compares the output's size; resume
	// asks for shard.CheckHash.
	Check shard.Check
	Now   time.Time
}

// Collect reads the run's done markers, output shards, leases and
// submissions, and asks squeue (and sacct, when the cluster keeps
// accounting) about the recorded jobs.
func Collect(ctx context.Context, c Client, req StatusRequest) (*Status, error) {
	st := &Status{Schema: StatusSchema, RunDir: req.Layout.Dir, Time: req.Now, Counts: map[string]int{}}
	for _, k := range States {
		st.Counts[k] = 0 // every key present: a stable schema for scripts
	}
	if _, err := os.Stat(filepath.Join(req.Layout.DatasetDir(), "README.md")); err == nil {
		st.Dataset = true
	}
	subs, err := ReadSubmissions(SubmissionsFile(req.Layout))
	if err != nil {
		return nil, err
	}
	unconfirmed, err := ReadSubmissions(UnconfirmedFile(req.Layout))
	if err != nil {
		return nil, err
	}
	adopted, adoptWarn := adopt(ctx, c, subs, unconfirmed)
	if adoptWarn != "" {
		st.Warnings = append(st.Warnings, adoptWarn)
	} else {
		st.Adopted = adopted
		subs = append(subs, adopted...)
	}
	numGen := req.NumGenerations
	if req.Plan.NumGenerations > 0 {
		numGen = req.Plan.NumGenerations
	}
	numGen = max(numGen, 1)

	// Slurm's view: squeue first (live), sacct for what squeue forgot.
	ids := jobIDs(subs, "")
	var jobs []Job
	askedSlurm := len(ids) > 0 || adoptWarn != ""
	if len(ids) > 0 {
		q, err := c.Queue(ctx, ids)
		switch {
		case err == nil:
			st.Slurm = true
			jobs = q
		case errors.Is(err, ErrNotFound):
			st.Warnings = append(st.Warnings, "squeue not found here: the submitted shards that are not done are unknown (run status where Slurm's commands are)")
		default:
			st.Warnings = append(st.Warnings, fmt.Sprintf("%v: the submitted shards that are not done are unknown; try again when the controller answers", err))
		}
		if st.Slurm {
			acct, err := c.Accounting(ctx, ids)
			switch {
			case err == nil:
				st.Accounting = true
				jobs = mergeJobs(jobs, acct)
			case errors.Is(err, ErrNoAccounting), errors.Is(err, ErrNotFound):
			default:
				st.Warnings = append(st.Warnings, err.Error())
			}
		}
	}
	if adoptWarn != "" {
		// Whether the unconfirmed submissions run is unknown, so is
		// everything that is not done: resume must not submit anything.
		st.Slurm, st.Accounting, jobs = false, false, nil
	}
	gen := indexSubmissions(subs)
	shardJobs := map[int][]Job{}
	activeArrays := map[string]bool{}
	for _, j := range jobs {
		m, ok := gen[j.ArrayJobID]
		if !ok {
			continue
		}
		tasks := j.Tasks
		if j.ArrayTaskID >= 0 {
			tasks = []int{j.ArrayTaskID}
		} else if j.TasksCut {
			// Slurm cut the list short: the tasks past the last one
			// listed may be in this record too. Count them in, so that
			// resume never submits a shard a pending task will run.
			last := -1
			if len(tasks) > 0 {
				last = slices.Max(tasks)
			}
			tasks = slices.Clone(tasks)
			for t := range m {
				if t > last {
					tasks = append(tasks, t)
				}
			}
		}
		for _, t := range tasks {
			jt := j
			jt.ArrayTaskID = t
			jt.Tasks = nil
			for _, id := range m[t] {
				shardJobs[id] = append(shardJobs[id], jt)
			}
		}
		if j.Active() {
			activeArrays[j.ArrayJobID] = true
		}
	}
	submitted := map[int]bool{}
	if adoptWarn != "" {
		for _, u := range unconfirmed {
			for _, shards := range u.Map {
				for _, id := range shards {
					submitted[id] = true
				}
			}
		}
	}
	for _, s := range subs {
		for _, shards := range s.Map {
			for _, id := range shards {
				submitted[id] = true
			}
		}
		if s.Kind == "merge" {
			for _, j := range jobs {
				if j.JobID == s.JobID && j.ArrayTaskID < 0 {
					if j.Pending() {
						st.PendingMerges = append(st.PendingMerges, s.JobID)
					} else if j.Running() {
						st.RunningMerges = append(st.RunningMerges, s.JobID)
					}
				}
			}
		}
		if s.Kind == "generate" && activeArrays[s.JobID] {
			st.ActiveArrays = append(st.ActiveArrays, s.JobID)
		}
	}

	// Done markers (checked against the outputs) and the output files of
	// the shards without one, in parallel: hashing and decoding are the
	// slow part of status.
	// Newest last: squeue lists in its own order, so sort the attempts by
	// job id (Slurm's ids grow with submission), then task.
	for _, js := range shardJobs {
		slices.SortStableFunc(js, func(a, b Job) int {
			if c := compareJobIDs(a.ArrayJobID, b.ArrayJobID); c != 0 {
				return c
			}
			return a.ArrayTaskID - b.ArrayTaskID
		})
	}
	st.Shards = make([]ShardStatus, len(req.Plan.Shards))
	for i, info := range req.Plan.Shards {
		ss := ShardStatus{ID: info.ID, Problems: info.Problems, GenerationsPlanned: info.Problems * numGen, Submitted: submitted[info.ID]}
		for _, j := range shardJobs[info.ID] {
			ss.Jobs = append(ss.Jobs, fmt.Sprintf("%s_%d %s", j.ArrayJobID, j.ArrayTaskID, j.State))
			if j.Active() {
				ss.Active = true
			}
		}
		st.Shards[i] = ss
	}
	if err := checkShards(ctx, req.Layout, req.Plan.Shards, st.Shards, numGen, req.Check); err != nil {
		return nil, err
	}
	for i := range st.Shards {
		ss := &st.Shards[i]
		if ss.State == StateDone {
			continue
		}
		if ss.Lease, err = readLease(req.Layout.Lease(ss.ID), req.Now); err != nil {
			return nil, fmt.Errorf("shard %d: %w", ss.ID, err)
		}
		if ss.Lease != nil && ss.Lease.Fresh && st.Slurm {
			if why := leaseEnded(ss.Lease.JobID, gen, jobs); why != "" {
				// The runner was killed without releasing its lease
				// (SIGKILL, node failure); the heartbeat is recent but
				// Slurm says its job is over. The next runner takes the
				// lease over after its TTL.
				ss.Lease.Fresh = false
				ss.addNote("lease of " + why)
			}
		}
		running := false
		pending := false
		for _, j := range shardJobs[ss.ID] {
			running = running || j.Running()
			pending = pending || j.Pending()
		}
		switch {
		case running || (ss.Lease != nil && ss.Lease.Fresh):
			ss.State = StateRunning
		case pending:
			ss.State = StatePending
			if h := heldNote(shardJobs[ss.ID]); h != "" {
				ss.addNote(h)
			} else if w := waitNote(shardJobs[ss.ID]); w != "" {
				ss.addNote(w)
			}
		case askedSlurm && !st.Slurm && ss.Submitted:
			ss.State = StateUnknown
			ss.addNote("Slurm did not answer")
		case ss.Generations > 0:
			ss.State = StatePartial
		case ss.Submitted:
			ss.State = StateFailed
			if len(ss.Jobs) == 0 {
				ss.addNote("its task ended; Slurm no longer remembers how")
			}
		default:
			ss.State = StatePending
			ss.addNote("not submitted")
		}
		if ss.Lease != nil && !ss.Lease.Fresh && !strings.Contains(ss.Note, "lease of") {
			ss.addNote("stale lease")
		}
	}
	for _, ss := range st.Shards {
		st.Counts[ss.State]++
		st.Problems += ss.Problems
		st.ProblemsDone += ss.ProblemsDone
		st.Generations += ss.GenerationsPlanned
		st.GenerationsDone += ss.Generations
	}

	// Rate: generations written since the first generate submission.
	for _, s := range subs {
		if s.Kind == "generate" {
			st.Since = s.Time
			break
		}
	}
	if !st.Since.IsZero() {
		if h := req.Now.Sub(st.Since).Hours(); h > 0 && st.GenerationsDone > 0 {
			st.GenerationsPerHour = float64(st.GenerationsDone) / h
			st.ETASeconds = float64(st.Generations-st.GenerationsDone) / st.GenerationsPerHour * 3600
		}
	}
	return st, nil
}

// compareJobIDs orders Slurm job ids by submission: numerically, shorter
// ids first (federated or odd ids fall back to text).
func compareJobIDs(a, b string) int {
	na, ea := strconv.ParseUint(a, 10, 64)
	nb, eb := strconv.ParseUint(b, 10, 64)
	if ea == nil && eb == nil {
		return cmp.Compare(na, nb)
	}
	return cmp.Compare(a, b)
}

// checkShards reads every shard's done marker and checks it against the
// output file (shard.StateOf, the rule the runner, merge and submit use:
// a marker from another plan, or an output cut short or changed, is not
// done; with shard.CheckSize only the size is compared), and
// counts the output of the shards that are not done. It runs as many
// workers as there are CPUs: decoding is CPU-bound.
func checkShards(ctx context.Context, l shard.Layout, infos []shard.ShardInfo, shards []ShardStatus, numGen int, check shard.Check) error {
	work := make(chan int)
	errs := make(chan error, len(shards))
	var wg sync.WaitGroup
	for w := 0; w < min(runtime.GOMAXPROCS(0), len(shards)); w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				errs <- checkShard(l, infos[i], &shards[i], numGen, check)
			}
		}()
	}
	var err error
feed:
	for i := range shards {
		select {
		case work <- i:
		case <-ctx.Done():
			err = ctx.Err()
			break feed
		}
	}
	close(work)
	wg.Wait()
	close(errs)
	for e := range errs {
		if e != nil && err == nil {
			err = e
		}
	}
	return err
}

func checkShard(l shard.Layout, info shard.ShardInfo, ss *ShardStatus, numGen int, check shard.Check) error {
	st, err := shard.StateOf(l, info, check)
	if err != nil {
		return err
	}
	switch {
	case st.IsDone():
		ss.State = StateDone
		ss.ProblemsDone = st.Marker.Problems
		ss.Generations = st.Marker.Generations
		return nil
	case st.Marker != nil:
		ss.Note = "not done: " + st.Reason
	}
	if st.Kind == shard.KindAbsent {
		return nil
	}
	return countOutput(l, ss, numGen)
}

// waitNote gives Slurm's reason why a pending task of a shard waits when
// it is out of the ordinary (a drained or down node, a requeued task's
// delay, a reservation, a limit): "" for the everyday ones (its turn, free
// resources, the array's throttle).
func waitNote(jobs []Job) string {
	for _, j := range jobs {
		if !j.Pending() {
			continue
		}
		switch r := strings.TrimSpace(j.Reason); r {
		case "", "None", "Priority", "Resources", "JobArrayTaskLimit", "Dependency":
		case "BeginTime":
			return "Slurm: BeginTime (a requeued task waits out its requeue delay)"
		default:
			return "Slurm: " + r
		}
	}
	return ""
}

// heldNote says so when every pending task of a shard is held, so that it
// waits until someone releases it (a requeue after a failed launch holds
// the task; so do scontrol hold and --hold): "" when one is not.
func heldNote(jobs []Job) string {
	var held []string
	for _, j := range jobs {
		if !j.Pending() {
			continue
		}
		r := strings.ToLower(j.Reason)
		if j.State != "REQUEUE_HOLD" && j.State != "SPECIAL_EXIT" && !strings.Contains(r, "held") {
			return ""
		}
		held = append(held, fmt.Sprintf("%s_%d", j.ArrayJobID, j.ArrayTaskID))
	}
	if len(held) == 0 {
		return ""
	}
	return fmt.Sprintf("held by Slurm: `scontrol release %s` lets it run (or scancel it and resume)", strings.Join(held, " "))
}

// leaseEnded says whose lease it is when the lease names an array task of
// this run's submissions that Slurm reports as ended or no longer knows
// (gone after MinJobAge), "" when the job may still run or is not ours.
func leaseEnded(jobID string, gen generateIndex, jobs []Job) string {
	arr, task, ok := strings.Cut(jobID, "_")
	if !ok {
		return ""
	}
	t, err := strconv.Atoi(task)
	if err != nil {
		return ""
	}
	if _, ours := gen[arr]; !ours {
		return ""
	}
	for _, j := range jobs {
		if j.ArrayJobID != arr {
			continue
		}
		if j.ArrayTaskID == t || (j.ArrayTaskID < 0 && slices.Contains(j.Tasks, t)) {
			if j.Active() {
				return ""
			}
			return fmt.Sprintf("%s, which ended (%s)", jobID, j.State)
		}
	}
	return fmt.Sprintf("%s, which Slurm no longer knows (ended)", jobID)
}

// adopt looks up the unconfirmed submissions (sbatch failed in a way that
// leaves open whether Slurm took the job) that no recorded submission
// covers, by their script in squeue, and returns those Slurm has, with
// their job ids. warn is set when squeue could not be asked.
func adopt(ctx context.Context, c Client, subs, unconfirmed []Submission) (adopted []Submission, warn string) {
	have := map[string]bool{}
	for _, s := range subs {
		have[s.Script] = true
	}
	for _, u := range unconfirmed {
		if u.Script == "" || have[u.Script] {
			continue
		}
		have[u.Script] = true
		ids, err := c.findSubmitted(ctx, SubmitKey{Script: u.Script})
		if errors.Is(err, ErrNotFound) {
			return nil, ""
		}
		if err != nil {
			return nil, fmt.Sprintf("could not tell whether the unconfirmed submission %s was queued: %v", u.Script, err)
		}
		if len(ids) > 0 {
			u.JobID = ids[0]
			adopted = append(adopted, u)
		}
	}
	return adopted, ""
}

// countOutput counts the generations in a shard's output file and the
// problems that have all their generations.
func countOutput(l shard.Layout, ss *ShardStatus, numGen int) error {
	perProblem := map[string]int{}
	info, err := shard.ReadOutput(l.Output(ss.ID), func(g *shard.Generation) error {
		perProblem[g.UUID]++
		return nil
	})
	if err != nil {
		return fmt.Errorf("shard %d: %w", ss.ID, err)
	}
	ss.Generations = info.Records
	for _, n := range perProblem {
		if n >= numGen {
			ss.ProblemsDone++
		}
	}
	return nil
}

// readLease reads a shard's lease (shard.ReadLease, the reader the
// runner's lease protocol uses), nil when there is none. Fresh follows the
// lease's own TTL and heartbeat, the file's mtime counting as one.
func readLease(path string, now time.Time) (*Lease, error) {
	li, mod, ok, err := shard.ReadLease(path)
	if err != nil || !ok {
		return nil, err
	}
	hb := li.Heartbeat
	if mod.After(hb) {
		hb = mod
	}
	return &Lease{Host: li.Host, JobID: li.JobID, Heartbeat: hb, Fresh: !li.Stale(now, mod)}, nil
}

// mergeJobs adds sacct's records for tasks squeue no longer shows.
func mergeJobs(queue, acct []Job) []Job {
	key := func(j Job) string {
		if j.ArrayJobID != "" {
			return fmt.Sprintf("%s_%d", j.ArrayJobID, j.ArrayTaskID)
		}
		return j.JobID
	}
	seen := map[string]bool{}
	for _, j := range queue {
		if j.ArrayTaskID >= 0 || j.ArrayJobID == "" {
			seen[key(j)] = true
		}
		for _, t := range j.Tasks {
			seen[fmt.Sprintf("%s_%d", j.ArrayJobID, t)] = true
		}
	}
	out := append([]Job(nil), queue...)
	for _, j := range acct {
		if len(j.Tasks) > 0 {
			var rest []int
			for _, t := range j.Tasks {
				if !seen[fmt.Sprintf("%s_%d", j.ArrayJobID, t)] {
					rest = append(rest, t)
				}
			}
			if len(rest) > 0 {
				j.Tasks = rest
				out = append(out, j)
			}
			continue
		}
		if !seen[key(j)] {
			out = append(out, j)
		}
	}
	return out
}
