package report

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/distillery-hpc/distillery/shard"
	"github.com/distillery-hpc/distillery/slurm"
)

// TaskUsage is Slurm accounting's record of one generate array task.
type TaskUsage struct {
	Task    string // ARRAYJOB_TASK, as the runners record their job id
	State   string
	Elapsed time.Duration
	GPUs    int // allocated (AllocTRES gres/gpu), 0 when not recorded
	Nodes   string
}

// ErrNoAccounting says that the cluster keeps no job accounting.
var ErrNoAccounting = slurm.ErrNoAccounting

// Accounting asks sacct for the elapsed time and allocated GPUs of the
// run's generate arrays (one line per array task, -X: the allocation, not
// its steps). It returns ErrNoAccounting when the cluster keeps none and
// an error wrapping slurm.ErrNotFound when sacct is not installed (a run
// dir copied to a laptop).
func Accounting(ctx context.Context, exec slurm.Exec, l shard.Layout) ([]TaskUsage, error) {
	subs, err := slurm.ReadSubmissions(slurm.SubmissionsFile(l))
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, s := range subs {
		if s.Kind == "generate" && s.JobID != "" {
			ids = append(ids, s.JobID)
		}
	}
	if len(ids) == 0 {
		return nil, nil
	}
	out, stderr, err := exec(ctx, "sacct", "-X", "-n", "-P", "--duplicates", "-j", strings.Join(ids, ","),
		"--format=JobID,State,ElapsedRaw,AllocTRES,NodeList")
	if strings.Contains(string(out)+string(stderr), "accounting storage is disabled") {
		return nil, ErrNoAccounting
	}
	if err != nil {
		return nil, fmt.Errorf("sacct: %w", err)
	}
	return ParseUsage(out)
}

// ParseUsage reads `sacct -X -n -P --format=JobID,State,ElapsedRaw,
// AllocTRES,NodeList` lines. A task that ran more than once (a requeue)
// adds up; pending tasks (123_[4-9]) have no usage and are skipped.
func ParseUsage(out []byte) ([]TaskUsage, error) {
	var us []TaskUsage
	idx := map[string]int{}
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" {
			continue
		}
		f := strings.Split(line, "|")
		if len(f) < 4 {
			return nil, fmt.Errorf("sacct: unexpected line %q", line)
		}
		if strings.Contains(f[0], "[") || strings.Contains(f[0], ".") {
			continue // not started yet, or a step
		}
		secs, err := strconv.ParseInt(strings.TrimSpace(f[2]), 10, 64)
		if err != nil {
			return nil, fmt.Errorf("sacct: ElapsedRaw %q of %s is not a number", f[2], f[0])
		}
		u := TaskUsage{Task: f[0], State: strings.Fields(f[1] + " ")[0], Elapsed: time.Duration(secs) * time.Second, GPUs: tresGPUs(f[3])}
		if len(f) > 4 {
			u.Nodes = f[4]
		}
		if i, ok := idx[u.Task]; ok {
			us[i].Elapsed += u.Elapsed
			us[i].State = u.State
			us[i].GPUs = max(us[i].GPUs, u.GPUs)
			continue
		}
		idx[u.Task] = len(us)
		us = append(us, u)
	}
	return us, sc.Err()
}

// tresGPUs reads the GPU count from a TRES string such as
// "billing=64,cpu=64,gres/gpu=8,mem=512G,node=1" or "gres/gpu:h100=8".
func tresGPUs(tres string) int {
	n := 0
	for _, kv := range strings.Split(tres, ",") {
		k, v, ok := strings.Cut(kv, "=")
		if !ok || (k != "gres/gpu" && !strings.HasPrefix(k, "gres/gpu:")) {
			continue
		}
		if g, err := strconv.Atoi(v); err == nil {
			if k == "gres/gpu" {
				return g // the total; typed entries repeat it
			}
			n += g
		}
	}
	return n
}

var (
	reNodes      = regexp.MustCompile(`^#SBATCH\s+(?:--nodes[= ]|-N\s*)(\d+)`)
	reGPUsNode   = regexp.MustCompile(`^#SBATCH\s+--gpus-per-node[= ](?:[\w-]+:)?(\d+)`)
	reGPUs       = regexp.MustCompile(`^#SBATCH\s+(?:--gpus[= ]|-G\s*)(?:[\w-]+:)?(\d+)`)
	reGres       = regexp.MustCompile(`^#SBATCH\s+--gres[= ]gpu(?::[\w-]+)?:(\d+)`)
	reGPUsPerTsk = regexp.MustCompile(`^#SBATCH\s+--gpus-per-task[= ](?:[\w-]+:)?(\d+)`)
)

// scriptGPUs reads how many GPUs one task of a rendered sbatch script asks
// for: --gpus, or --gpus-per-node / --gres=gpu:N / --gpus-per-task times
// --nodes. 0 when it asks for none.
func scriptGPUs(path string) (int, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0, err
	}
	nodes, perNode, total := 1, 0, 0
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		for _, p := range []struct {
			re  *regexp.Regexp
			dst *int
		}{{reNodes, &nodes}, {reGPUsNode, &perNode}, {reGres, &perNode}, {reGPUsPerTsk, &perNode}, {reGPUs, &total}} {
			if m := p.re.FindStringSubmatch(line); m != nil {
				*p.dst, _ = strconv.Atoi(m[1])
			}
		}
	}
	if total > 0 {
		return total, nil
	}
	return nodes * perNode, nil
}

// submittedGPUs returns, for a task name (ARRAYJOB_TASK), the GPUs its
// array's script asked for; fallback for the tasks it cannot tell (a
// local run, a script that is gone).
func submittedGPUs(l shard.Layout, fallback int) func(task string) int {
	byArray := map[string]int{}
	subs, err := slurm.ReadSubmissions(slurm.SubmissionsFile(l))
	if err == nil {
		for _, s := range subs {
			if s.Kind != "generate" || s.Script == "" {
				continue
			}
			path := s.Script
			if !filepath.IsAbs(path) {
				path = filepath.Join(l.Dir, path)
			}
			// A script that asks for no GPU (the simulator's) counts as
			// the config's: a dry run projects the real one.
			if n, err := scriptGPUs(path); err == nil && n > 0 {
				byArray[s.JobID] = n
			}
		}
	}
	return func(task string) int {
		arr, _, _ := strings.Cut(task, "_")
		if n, ok := byArray[arr]; ok {
			return n
		}
		return fallback
	}
}
