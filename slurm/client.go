package slurm

import (
	"context"
	"errors"
	"fmt"
	"strings"
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
}

func (c Client) run(ctx context.Context, name string, args ...string) ([]byte, []byte, error) {
	if c.Exec == nil {
		return nil, nil, fmt.Errorf("%s: %w (no command runner)", name, ErrNotFound)
	}
	return c.Exec(ctx, name, args...)
}

// Sbatch runs `sbatch --parsable ARGS...` and returns the job id.
func (c Client) Sbatch(ctx context.Context, args []string) (jobID, cluster string, err error) {
	out, stderr, err := c.run(ctx, "sbatch", append([]string{"--parsable"}, args...)...)
	if errors.Is(err, ErrNotFound) {
		return "", "", fmt.Errorf("sbatch is not installed here: submit from a machine with Slurm's commands, or look with --dry-run: %w", err)
	}
	if err != nil {
		return "", "", fmt.Errorf("sbatch %s: %w%s", strings.Join(args, " "), err, tail(stderr))
	}
	return ParseSbatch(out)
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
	out, stderr, err := c.run(ctx, "scontrol", "show", "config")
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
	out, stderr, err := c.run(ctx, "squeue", SqueueArgs(ids)...)
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
	out, stderr, err := c.run(ctx, "sacct", SacctArgs(ids)...)
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
