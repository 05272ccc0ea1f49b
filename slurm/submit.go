package slurm

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/distillery-hpc/distillery/shard"
)

// Submission is one line of <run.dir>/slurm/submissions.jsonl: one sbatch
// call that distillery made.
type Submission struct {
	Time    time.Time `json:"time"`
	Command string    `json:"command"` // submit or resume
	Kind    string    `json:"kind"`    // generate or merge
	JobID   string    `json:"job_id"`
	Cluster string    `json:"cluster,omitempty"`
	// Array is the --array spec (generate only).
	Array string `json:"array,omitempty"`
	// Map is array index -> shard ids (generate only).
	Map        map[int][]int `json:"map,omitempty"`
	Dependency string        `json:"dependency,omitempty"`
	Script     string        `json:"script"`
	Argv       []string      `json:"argv"`
	ConfigHash string        `json:"config_hash"`
}

// UnconfirmedFile is <run.dir>/slurm/unconfirmed.jsonl: the sbatch calls
// that failed in a way that leaves open whether Slurm accepted the job
// (Submission records without a job id).
func UnconfirmedFile(l shard.Layout) string {
	return filepath.Join(l.SlurmDir(), "unconfirmed.jsonl")
}

// SubmissionsFile is <run.dir>/slurm/submissions.jsonl.
func SubmissionsFile(l shard.Layout) string {
	return filepath.Join(l.SlurmDir(), "submissions.jsonl")
}

// AppendSubmission appends s as one JSON line and fsyncs the file.
func AppendSubmission(path string, s Submission) error {
	b, err := json.Marshal(s)
	if err != nil {
		return fmt.Errorf("encoding submission: %w", err)
	}
	if err := os.MkdirAll(filepath.Dir(path), shard.DirPerm); err != nil {
		return fmt.Errorf("recording submission: %w", err)
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, shard.FilePerm)
	if err != nil {
		return fmt.Errorf("recording submission: %w", err)
	}
	if _, err := f.Write(append(b, '\n')); err != nil {
		f.Close()
		return fmt.Errorf("recording submission in %s: %w", path, err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("recording submission in %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("recording submission in %s: %w", path, err)
	}
	return nil
}

// ReadSubmissions reads submissions.jsonl; a missing file reads as none, a
// torn last line (a crash while appending) is ignored.
func ReadSubmissions(path string) ([]Submission, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, nil
		}
		return nil, fmt.Errorf("reading submissions: %w", err)
	}
	var subs []Submission
	lines := bytes.Split(b, []byte("\n"))
	for i, line := range lines {
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var s Submission
		if err := json.Unmarshal(line, &s); err != nil {
			if i == len(lines)-1 {
				break // torn tail
			}
			return nil, fmt.Errorf("%s:%d: not a submission record (%v); remove the line", path, i+1, err)
		}
		subs = append(subs, s)
	}
	return subs, nil
}

// SplitArrays packs shards into array tasks of perTask shards each, and
// the tasks into arrays of at most maxArraySize tasks, each indexed from
// 0: MaxArraySize bounds the index, not the number of tasks.
func SplitArrays(shards []int, perTask, maxArraySize int) [][]Task {
	perTask = max(perTask, 1)
	maxArraySize = max(maxArraySize, 1)
	var arrays [][]Task
	var cur []Task
	for i := 0; i < len(shards); i += perTask {
		end := min(i+perTask, len(shards))
		if len(cur) == maxArraySize {
			arrays = append(arrays, cur)
			cur = nil
		}
		cur = append(cur, Task{Index: len(cur), Shards: append([]int(nil), shards[i:end]...)})
	}
	if len(cur) > 0 {
		arrays = append(arrays, cur)
	}
	return arrays
}

// SubmitRequest is one submission: generate arrays for Shards, then
// (unless NoMerge) the merge job.
type SubmitRequest struct {
	Command string // submit or resume, recorded
	Layout  shard.Layout
	Job     JobInput
	Server  ServerConfig
	Judge   *ServerConfig // nil: judge disabled
	Shards  []int
	NoMerge bool
	// WaitFor are array job ids still active from earlier submissions:
	// the merge job waits for them too.
	WaitFor []string
	// CancelMerges are earlier merge jobs, still pending, that the new
	// merge job replaces; they are cancelled after it is submitted.
	CancelMerges []string
	DryRun       bool
	ConfigHash   string
	Now          time.Time
	// Out gets the scripts (dry run) and the sbatch command lines.
	Out io.Writer
}

// SubmitResult says what was submitted.
type SubmitResult struct {
	MaxArraySize     int
	MaxArraySizeFrom string // "scontrol show config" or "slurm.max_array_size"
	Arrays           []Submission
	Merge            *Submission
	Scripts          []string
}

// Submit renders and submits. It records every successful sbatch call in
// submissions.jsonl at once, so that a failure halfway leaves a record of
// what is queued (and `resume` submits the rest).
func Submit(ctx context.Context, c Client, r *Renderer, req SubmitRequest) (*SubmitResult, error) {
	res := &SubmitResult{MaxArraySize: req.Job.Slurm.MaxArraySize, MaxArraySizeFrom: "slurm.max_array_size"}
	if conf, err := c.Config(ctx); err == nil {
		n, err := strconv.Atoi(strings.Fields(conf["MaxArraySize"] + " x")[0])
		switch {
		case err == nil && n > 0:
			res.MaxArraySize, res.MaxArraySizeFrom = n, "scontrol show config"
		case err == nil && len(req.Shards) > 0:
			return nil, errors.New("this cluster does not run job arrays (scontrol show config: MaxArraySize = 0): ask its admins, distillery submits arrays")
		}
	} else if !req.DryRun && !errors.Is(err, ErrNotFound) {
		return nil, fmt.Errorf("asking Slurm for MaxArraySize: %w", err)
	}
	if res.MaxArraySize < 1 {
		res.MaxArraySize = 1001
	}
	out := req.Out
	if out == nil {
		out = io.Discard
	}
	dir := filepath.Join(req.Layout.SlurmDir(), "scripts")
	if req.DryRun {
		dir = filepath.Join(req.Layout.SlurmDir(), "dry-run")
	}
	name := uniqueName(dir, req.Now)
	job := req.Job
	job.Name = name
	if err := os.MkdirAll(job.LogDir, shard.DirPerm); err != nil {
		return nil, fmt.Errorf("creating the log directory: %w", err)
	}
	record := func(s Submission) error {
		s.Time, s.Command, s.ConfigHash = req.Now.UTC(), req.Command, req.ConfigHash
		if req.DryRun {
			return nil
		}
		return AppendSubmission(SubmissionsFile(req.Layout), s)
	}
	var check testOnly
	var ids []string
	for k, tasks := range SplitArrays(req.Shards, job.Slurm.ShardsPerTask, res.MaxArraySize) {
		script, err := r.Generate(GenerateInput{JobInput: job, Server: req.Server, Tasks: tasks})
		if err != nil {
			return res, err
		}
		path := filepath.Join(dir, fmt.Sprintf("%s-generate-%d.sbatch", name, k+1))
		if err := writeScript(path, script); err != nil {
			return res, err
		}
		res.Scripts = append(res.Scripts, path)
		m := map[int][]int{}
		for _, t := range tasks {
			m[t.Index] = t.Shards
		}
		sub := Submission{Kind: "generate", Array: ArraySpec(len(tasks), job.Slurm.Throttle), Map: m,
			Script: path, Argv: []string{"sbatch", "--parsable", path}}
		if req.DryRun {
			check.dryRun(ctx, c, out, path, script, sub.Argv)
			res.Arrays = append(res.Arrays, sub)
			ids = append(ids, fmt.Sprintf("<generate-%d>", k+1))
			continue
		}
		sb, err := c.Sbatch(ctx, []string{path}, SubmitKey{Script: path, JobName: jobName(job.Slurm)})
		notes(out, sb)
		if err != nil {
			return res, submitError(req, res, sub, err)
		}
		sub.JobID, sub.Cluster = sb.JobID, sb.Cluster
		if err := record(sub); err != nil {
			return res, err
		}
		fmt.Fprintf(out, "submitted array %s (--array=%s, %d shards): %s\n", sub.JobID, sub.Array, countShards(tasks), shellLine(sub.Argv))
		res.Arrays = append(res.Arrays, sub)
		ids = append(ids, sub.JobID)
	}
	if req.NoMerge {
		return res, check.err()
	}
	script, err := r.Merge(MergeInput{JobInput: job, Judge: req.Judge})
	if err != nil {
		return res, err
	}
	path := filepath.Join(dir, name+"-merge.sbatch")
	if err := writeScript(path, script); err != nil {
		return res, err
	}
	res.Scripts = append(res.Scripts, path)
	sub := Submission{Kind: "merge", Script: path}
	deps := append(append([]string(nil), ids...), req.WaitFor...)
	sub.Argv = []string{"sbatch", "--parsable"}
	if len(deps) > 0 {
		sub.Dependency = "afterany:" + strings.Join(deps, ":")
		sub.Argv = append(sub.Argv, "--dependency="+sub.Dependency)
	}
	sub.Argv = append(sub.Argv, path)
	if req.DryRun {
		testArgv := sub.Argv
		if len(deps) > 0 {
			testArgv = []string{"sbatch", "--parsable", path} // placeholders are not job ids
		}
		fmt.Fprintf(out, "# %s\n%s\n", path, script)
		fmt.Fprintf(out, "$ %s\n", shellLine(sub.Argv))
		check.test(ctx, c, out, path, testArgv)
		res.Merge = &sub
		return res, check.err()
	}
	sb, err := c.Sbatch(ctx, sub.Argv[2:], SubmitKey{Script: path, JobName: jobName(job.Slurm) + "-merge"})
	notes(out, sb)
	if err != nil {
		return res, submitError(req, res, sub, err)
	}
	sub.JobID, sub.Cluster = sb.JobID, sb.Cluster
	if err := record(sub); err != nil {
		return res, err
	}
	fmt.Fprintf(out, "submitted merge job %s: %s\n", sub.JobID, shellLine(sub.Argv))
	res.Merge = &sub
	if len(req.CancelMerges) > 0 {
		if err := c.Cancel(ctx, req.CancelMerges); err != nil {
			fmt.Fprintf(out, "warning: could not cancel the earlier merge jobs %s: %v\n", strings.Join(req.CancelMerges, ", "), err)
		} else {
			fmt.Fprintf(out, "cancelled the earlier pending merge jobs %s\n", strings.Join(req.CancelMerges, ", "))
		}
	}
	return res, nil
}

func countShards(tasks []Task) int {
	n := 0
	for _, t := range tasks {
		n += len(t.Shards)
	}
	return n
}

// jobName is the --job-name the generate script gets (render.go).
func jobName(c Config) string { return orDefault(c.JobName, "distillery") }

func notes(out io.Writer, sb Sbatched) {
	for _, n := range sb.Notes {
		fmt.Fprintf(out, "note: %s\n", n)
	}
}

// submitError explains a failed sbatch call. When Slurm may have accepted
// the job anyway, the submission is written to unconfirmed.jsonl, so that
// status and resume find the job by its script once squeue answers again
// (and resume does not submit its shards a second time).
func submitError(req SubmitRequest, res *SubmitResult, sub Submission, err error) error {
	if errors.Is(err, ErrMaybeSubmitted) {
		sub.Time, sub.Command, sub.ConfigHash = req.Now.UTC(), req.Command, req.ConfigHash
		if rerr := AppendSubmission(UnconfirmedFile(req.Layout), sub); rerr != nil {
			err = fmt.Errorf("%w (and recording it failed: %w)", err, rerr)
		}
	}
	if len(res.Arrays) == 0 {
		return err
	}
	var ids []string
	for _, a := range res.Arrays {
		ids = append(ids, a.JobID)
	}
	return fmt.Errorf("%w (arrays %s are queued and recorded; run `distillery resume` to submit the rest)", err, strings.Join(ids, ", "))
}

// ErrRejected is returned by a dry run when sbatch --test-only rejects a
// script (a partition, account or GRES the cluster does not have): the
// real submit would fail the same way.
var ErrRejected = errors.New("sbatch --test-only rejected")

// dryRun prints a script and its sbatch line, and lets sbatch --test-only
// check it when sbatch is installed (see dryRunTest).
func (t *testOnly) dryRun(ctx context.Context, c Client, out io.Writer, path string, script []byte, argv []string) {
	fmt.Fprintf(out, "# %s\n%s\n", path, script)
	fmt.Fprintf(out, "$ %s\n", shellLine(argv))
	t.test(ctx, c, out, path, argv)
}

// testOnly collects what sbatch --test-only said about a dry run's
// scripts.
type testOnly struct {
	noSbatch bool     // sbatch is not installed here: nothing is checked
	rejected []string // "script: Slurm's reason"
}

// test runs sbatch --test-only on argv, unless sbatch was found missing.
func (t *testOnly) test(ctx context.Context, c Client, out io.Writer, path string, argv []string) {
	if t.noSbatch {
		return
	}
	msg, err := c.TestOnly(ctx, argv[2:])
	if errors.Is(err, ErrNotFound) {
		fmt.Fprintln(out, "(sbatch not found: the scripts were not checked with sbatch --test-only)")
		t.noSbatch = true
		return
	}
	if err != nil {
		fmt.Fprintf(out, "%v\n", err) // the error names sbatch --test-only
		reason := msg
		if reason == "" {
			reason = err.Error()
		}
		t.rejected = append(t.rejected, fmt.Sprintf("%s: %s", filepath.Base(path), oneLine(reason)))
		return
	}
	fmt.Fprintf(out, "sbatch --test-only: %s\n", msg)
}

// err is the dry run's verdict: nil unless sbatch --test-only rejected a
// script; then it wraps ErrRejected with Slurm's reasons.
func (t *testOnly) err() error {
	if len(t.rejected) == 0 {
		return nil
	}
	return fmt.Errorf("%w %d of the scripts, so a real submit would fail: %s", ErrRejected, len(t.rejected), strings.Join(t.rejected, "; "))
}

// oneLine joins the lines of Slurm's message.
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " ")), " ")
}

// shellLine quotes argv for display, so that it can be pasted.
func shellLine(argv []string) string {
	parts := make([]string, len(argv))
	for i, a := range argv {
		q, err := Quote(a)
		if err != nil {
			q = fmt.Sprintf("%q", a)
		}
		parts[i] = q
	}
	return strings.Join(parts, " ")
}

// uniqueName names a submission by its UTC time, with a suffix when a
// submission in the same second already used the name.
func uniqueName(dir string, now time.Time) string {
	base := now.UTC().Format("20060102T150405Z")
	name := base
	for i := 2; ; i++ {
		m, _ := filepath.Glob(filepath.Join(dir, name+"-*"))
		if len(m) == 0 {
			return name
		}
		name = fmt.Sprintf("%s-%d", base, i)
	}
}

func writeScript(path string, script []byte) error {
	return shard.WriteAtomic(path, func(w *bufio.Writer) error {
		_, err := w.Write(script)
		return err
	})
}

// generateIndex maps (array job id, task index) to shards for every
// generate submission.
type generateIndex map[string]map[int][]int

func indexSubmissions(subs []Submission) generateIndex {
	idx := generateIndex{}
	for _, s := range subs {
		if s.Kind == "generate" && s.JobID != "" {
			idx[s.JobID] = s.Map
		}
	}
	return idx
}

// jobIDs returns the job ids of the submissions of the given kind ("" for
// all), in order.
func jobIDs(subs []Submission, kind string) []string {
	var ids []string
	seen := map[string]bool{}
	for _, s := range subs {
		if (kind == "" || s.Kind == kind) && s.JobID != "" && !seen[s.JobID] {
			seen[s.JobID] = true
			ids = append(ids, s.JobID)
		}
	}
	return ids
}

// submitLeaseTTL is the submit lock's TTL: a submit holds it for seconds
// (its heartbeat every third of this keeps it while sbatch is slow), and
// a submit that crashed on another login node blocks the next for at
// most this long.
const submitLeaseTTL = time.Minute

// LockSubmissions takes <run.dir>/slurm/submit.lease, so that two
// submits or resumes of one run, started at the same time (also on two
// login nodes), take turns: the second then sees in squeue and
// submissions.jsonl what the first submitted, and does not submit it
// again. It is a lease (shard.Hold), not a flock, which NFS, Lustre and
// GPFS do not honour across nodes: a crashed holder on this host is
// known gone at once, one on another host once its heartbeat is older
// than the lease's TTL. It waits for the lock until ctx ends; the
// returned function releases it.
func LockSubmissions(ctx context.Context, l shard.Layout, o shard.LeaseOptions) (func(), error) {
	if err := os.MkdirAll(l.SlurmDir(), shard.DirPerm); err != nil {
		return nil, fmt.Errorf("creating the submit lock: %w", err)
	}
	if o.TTL <= 0 {
		o.TTL = submitLeaseTTL
	}
	path := filepath.Join(l.SlurmDir(), "submit.lease")
	h, err := shard.Hold(ctx, path, o, true)
	if err != nil {
		if errors.Is(err, shard.ErrLeaseHeld) {
			return nil, fmt.Errorf("waiting for another submit or resume of this run: %w", err)
		}
		return nil, fmt.Errorf("taking the submit lock: %w", err)
	}
	return func() { h.Release() }, nil
}
