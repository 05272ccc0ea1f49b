package slurm

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// Exec runs an external command and returns its standard output and
// standard error. It is the only door to the outside world: main passes
// one backed by os/exec, tests pass fakes (or the real one, against the
// local test cluster). An Exec whose command is not installed returns an
// error wrapping ErrNotFound.
type Exec func(ctx context.Context, name string, args ...string) (stdout, stderr []byte, err error)

// ErrNotFound says that a Slurm command is not installed here.
var ErrNotFound = errors.New("command not found")

// Client talks to Slurm through its commands.
type Client struct {
	Exec Exec
	// Retry says how often a Slurm command that failed for a passing
	// reason (controller busy, socket timeout) is tried again; the zero
	// value means DefaultRetry.
	Retry Retry
	// Sleep waits d or until ctx ends; nil uses a timer (tests pass an
	// instant one).
	Sleep func(ctx context.Context, d time.Duration) error
}

// Retry is the backoff of the Slurm commands: Attempts tries in all, the
// waits between them doubling from Base up to Max, with jitter.
type Retry struct {
	Attempts int
	Base     time.Duration
	Max      time.Duration
}

// DefaultRetry tries 6 times over about a minute: long enough for a
// slurmctld that restarts or is swamped by RPCs (sbatch's own
// MessageTimeout is 10 s), short enough for a user at a terminal.
func DefaultRetry() Retry { return Retry{Attempts: 6, Base: 2 * time.Second, Max: 30 * time.Second} }

func (c Client) retry() Retry {
	r := c.Retry
	if r.Attempts < 1 {
		r = DefaultRetry()
	}
	return r
}

// wait sleeps before try number attempt+1 (attempt >= 1).
func (c Client) wait(ctx context.Context, attempt int) error {
	r := c.retry()
	d := r.Base << min(attempt-1, 16)
	if r.Max > 0 && d > r.Max {
		d = r.Max
	}
	if d > 0 {
		d = d/2 + rand.N(d/2+1) // jitter: many array tasks must not retry in step
	}
	if c.Sleep != nil {
		return c.Sleep(ctx, d)
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// failure sorts a failed Slurm command.
type failure int

const (
	// permanent: the request was refused for good (bad account, bad
	// script); trying again changes nothing.
	permanent failure = iota
	// notSent: the controller could not be reached or refused the job for
	// now; nothing was submitted, trying again is safe.
	notSent
	// maybeSent: the controller stopped answering after the request left,
	// so it may have accepted the job: look before submitting again.
	maybeSent
)

// classify reads a failed command's stderr. The phrases are slurm_strerror
// texts (src/common/slurm_errno.c) and the client's own messages.
func classify(stderr []byte, err error) failure {
	s := strings.ToLower(string(stderr))
	for _, p := range []string{
		"socket timed out on send/recv",
		"zero bytes were transmitted or received",
		"connection reset by peer",
		"communication connection failure",
		"slurm backup controller in standby mode",
	} {
		if strings.Contains(s, p) {
			return maybeSent
		}
	}
	for _, p := range []string{
		"temporarily unable to accept job",
		"unable to contact slurm controller",
		"connection refused",
		"resource temporarily unavailable",
		"slurmctld is busy",
		"try again later",
		"too many open files",
	} {
		if strings.Contains(s, p) {
			return notSent
		}
	}
	var ee interface{ ExitCode() int }
	if errors.As(err, &ee) && ee.ExitCode() < 0 {
		return maybeSent // killed by a signal (a timeout) before it answered
	}
	return permanent
}

// query runs a read-only Slurm command, trying again when it fails for a
// passing reason (asking twice is harmless).
func (c Client) query(ctx context.Context, name string, args ...string) ([]byte, []byte, error) {
	for attempt := 1; ; attempt++ {
		out, stderr, err := c.run(ctx, name, args...)
		// Fewer tries than sbatch: status and resume should say "unknown"
		// within seconds, not a minute, when the controller is down.
		if err == nil || errors.Is(err, ErrNotFound) || attempt >= min(c.retry().Attempts, 3) || classify(stderr, err) == permanent || ctx.Err() != nil {
			return out, stderr, err
		}
		if werr := c.wait(ctx, attempt); werr != nil {
			return out, stderr, err
		}
	}
}

func (c Client) run(ctx context.Context, name string, args ...string) ([]byte, []byte, error) {
	if c.Exec == nil {
		return nil, nil, fmt.Errorf("%s: %w (no command runner)", name, ErrNotFound)
	}
	return c.Exec(ctx, name, args...)
}

// SubmitKey finds a job that sbatch may have submitted although it
// reported a failure: the path of its batch script (squeue's %o shows it,
// made absolute; distillery never submits one script twice) and its job
// name (to ask squeue about fewer jobs).
type SubmitKey struct {
	Script  string
	JobName string
}

// Sbatched is what Sbatch got: the job id, and notes for the user about
// retries and duplicates.
type Sbatched struct {
	JobID   string
	Cluster string
	Notes   []string
}

// ErrMaybeSubmitted says that sbatch failed in a way that leaves open
// whether Slurm accepted the job, and squeue could not tell either.
var ErrMaybeSubmitted = errors.New("slurm may have accepted the job")

// Sbatch runs `sbatch --parsable ARGS...` and returns the job id.
//
// A failure for a passing reason is retried with backoff. sbatch can time
// out after the controller accepted the job ("Socket timed out on
// send/recv operation"); submitting again then would queue the array
// twice. So after such a failure Sbatch first looks for the job in squeue
// by key.Script and takes that job if it is there; it submits again only
// when squeue answers that it is not. When squeue does not answer either,
// it gives up with ErrMaybeSubmitted rather than risk a duplicate. And when
// a resubmission succeeded, it looks once more: a copy that the controller
// accepted late is cancelled (its tasks may have started; the shard leases
// keep the two from writing one shard, and resume picks up the rest).
func (c Client) Sbatch(ctx context.Context, args []string, key SubmitKey) (Sbatched, error) {
	var res Sbatched
	var lastErr error
	maybe, wasMaybe := false, false
	attempts := c.retry().Attempts
	for attempt := 1; attempt <= attempts; attempt++ {
		if attempt > 1 {
			if err := c.wait(ctx, attempt-1); err != nil {
				break
			}
		}
		if maybe {
			ids, err := c.findSubmitted(ctx, key)
			if err != nil {
				lastErr = fmt.Errorf("%w; looking for it in squeue: %w", lastErr, err)
				continue // cannot tell: do not submit again yet
			}
			if len(ids) > 0 {
				res.JobID = ids[0]
				res.Notes = append(res.Notes, fmt.Sprintf("sbatch failed (%v) but Slurm had accepted the job: squeue shows job %s with script %s", lastErr, ids[0], key.Script))
				c.cancelCopies(ctx, &res, ids[1:], key)
				return res, nil
			}
			maybe = false
		}
		out, stderr, err := c.run(ctx, "sbatch", append([]string{"--parsable"}, args...)...)
		if errors.Is(err, ErrNotFound) {
			return res, fmt.Errorf("sbatch is not installed here: submit from a machine with Slurm's commands, or look with --dry-run: %w", err)
		}
		if err == nil {
			id, cl, err := ParseSbatch(out)
			if err != nil {
				return res, err
			}
			res.JobID, res.Cluster = id, cl
			if attempt > 1 {
				res.Notes = append(res.Notes, fmt.Sprintf("sbatch succeeded at attempt %d of %d (before: %v)", attempt, attempts, lastErr))
			}
			if wasMaybe {
				if ids, err := c.findSubmitted(ctx, key); err == nil {
					var others []string
					for _, o := range ids {
						if o != id {
							others = append(others, o)
						}
					}
					c.cancelCopies(ctx, &res, others, key)
				}
			}
			return res, nil
		}
		lastErr = fmt.Errorf("sbatch %s: %w%s", strings.Join(args, " "), err, tail(stderr))
		switch classify(stderr, err) {
		case permanent:
			return res, lastErr
		case maybeSent:
			maybe, wasMaybe = key.Script != "", true
			if key.Script == "" {
				return res, fmt.Errorf("%w: %w (not submitted again: there is no script to look for it by)", lastErr, ErrMaybeSubmitted)
			}
		}
		if ctx.Err() != nil {
			break
		}
	}
	if maybe {
		return res, fmt.Errorf("%w: %w: look for script %s in `squeue --format=%%F|%%o`; `distillery status` and `resume` adopt it when it shows up", lastErr, ErrMaybeSubmitted, key.Script)
	}
	return res, fmt.Errorf("%w (gave up after %d attempts)", lastErr, attempts)
}

// findSubmitted asks squeue for the jobs whose batch script is key.Script
// and returns their (array) job ids, oldest first.
func (c Client) findSubmitted(ctx context.Context, key SubmitKey) ([]string, error) {
	args := []string{"--noheader", "--states=all", "--format=%F|%o"}
	if key.JobName != "" {
		args = append(args, "--name="+key.JobName)
	}
	out, stderr, err := c.run(ctx, "squeue", args...)
	if err != nil {
		return nil, fmt.Errorf("squeue: %w%s", err, tail(stderr))
	}
	return ScriptJobs(out, key.Script), nil
}

// ScriptJobs reads squeue --format=%F|%o output and returns the distinct
// job ids whose command is script (squeue shows it absolute; a relative
// script matches by its suffix), in ascending order.
func ScriptJobs(out []byte, script string) []string {
	script = strings.TrimPrefix(script, "./")
	var ids []string
	seen := map[string]bool{}
	for _, line := range strings.Split(string(out), "\n") {
		id, cmd, ok := strings.Cut(strings.TrimSpace(line), "|")
		if !ok || id == "" || seen[id] || script == "" {
			continue
		}
		if cmd == script || (!strings.HasPrefix(script, "/") && strings.HasSuffix(cmd, "/"+script)) {
			seen[id] = true
			ids = append(ids, id)
		}
	}
	sortIDs(ids)
	return ids
}

// cancelCopies cancels the extra copies of one submission.
func (c Client) cancelCopies(ctx context.Context, res *Sbatched, ids []string, key SubmitKey) {
	if len(ids) == 0 {
		return
	}
	if err := c.Cancel(ctx, ids); err != nil {
		res.Notes = append(res.Notes, fmt.Sprintf("warning: jobs %s are copies of job %s (script %s) that Slurm accepted after a timeout, and cancelling them failed (%v): scancel them", strings.Join(ids, ", "), res.JobID, key.Script, err))
		return
	}
	res.Notes = append(res.Notes, fmt.Sprintf("cancelled jobs %s: copies of job %s (script %s) that Slurm accepted after a timeout", strings.Join(ids, ", "), res.JobID, key.Script))
}

// TestOnly runs `sbatch --test-only ARGS...`, which validates a script
// and estimates its start without submitting; it returns sbatch's words.
func (c Client) TestOnly(ctx context.Context, args []string) (string, error) {
	out, stderr, err := c.run(ctx, "sbatch", append([]string{"--test-only"}, args...)...)
	msg := strings.TrimSpace(string(out) + "\n" + string(stderr))
	if err != nil {
		return msg, fmt.Errorf("sbatch --test-only: %w%s", err, tail(stderr))
	}
	return msg, nil
}

// Config runs `scontrol show config`.
func (c Client) Config(ctx context.Context) (map[string]string, error) {
	out, stderr, err := c.query(ctx, "scontrol", "show", "config")
	if err != nil {
		return nil, fmt.Errorf("scontrol show config: %w%s", err, tail(stderr))
	}
	return ParseScontrolConfig(out), nil
}

// Queue runs squeue for the given job ids, one record per array task, in
// every state Slurm still remembers. Unknown ids are not an error.
func (c Client) Queue(ctx context.Context, ids []string) ([]Job, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	out, stderr, err := c.query(ctx, "squeue", SqueueArgs(ids)...)
	if err != nil {
		if strings.Contains(string(stderr), "Invalid job id") {
			return nil, nil // all of them are gone from slurmctld's memory
		}
		return nil, fmt.Errorf("squeue: %w%s", err, tail(stderr))
	}
	return ParseSqueue(out)
}

// Accounting runs sacct for the given job ids; it returns ErrNoAccounting
// when the cluster keeps no accounting.
func (c Client) Accounting(ctx context.Context, ids []string) ([]Job, error) {
	if len(ids) == 0 {
		return nil, nil
	}
	out, stderr, err := c.query(ctx, "sacct", SacctArgs(ids)...)
	if strings.Contains(string(out)+string(stderr), "accounting storage is disabled") {
		return nil, ErrNoAccounting
	}
	if err != nil {
		return nil, fmt.Errorf("sacct: %w%s", err, tail(stderr))
	}
	return ParseSacct(out)
}

// Cancel runs scancel on the given job ids.
func (c Client) Cancel(ctx context.Context, ids []string) error {
	if len(ids) == 0 {
		return nil
	}
	_, stderr, err := c.run(ctx, "scancel", ids...)
	if err != nil {
		return fmt.Errorf("scancel %s: %w%s", strings.Join(ids, " "), err, tail(stderr))
	}
	return nil
}

func tail(stderr []byte) string {
	s := strings.TrimSpace(string(stderr))
	if s == "" {
		return ""
	}
	if len(s) > 500 {
		s = "..." + s[len(s)-500:]
	}
	return ": " + strings.ReplaceAll(s, "\n", "; ")
}

// sortIDs sorts job ids by number (shorter first, then by digits).
func sortIDs(ids []string) {
	slices.SortFunc(ids, func(a, b string) int {
		if len(a) != len(b) {
			return len(a) - len(b)
		}
		return strings.Compare(a, b)
	})
}
