package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/shard"
	"github.com/distillery-hpc/distillery/slurm"
)

// queueSlurm is a controller with a queue: sbatch queues the script's
// array tasks as pending, squeue shows them, scancel drops them.
type queueSlurm struct {
	mu    sync.Mutex
	next  int
	lines []string
}

var arrayDirective = regexp.MustCompile(`(?m)^#SBATCH --array=0(?:-(\d+))?`)

func (q *queueSlurm) client() slurm.Client {
	return slurm.Client{Exec: func(_ context.Context, name string, args ...string) ([]byte, []byte, error) {
		q.mu.Lock()
		defer q.mu.Unlock()
		switch name {
		case "scontrol":
			return []byte("MaxArraySize = 2\n"), nil, nil
		case "sbatch":
			q.mu.Unlock()
			time.Sleep(20 * time.Millisecond) // a controller takes its time
			q.mu.Lock()
			q.next++
			id := 700 + q.next
			script, err := os.ReadFile(args[len(args)-1])
			if err != nil {
				return nil, nil, err
			}
			if m := arrayDirective.FindSubmatch(script); m != nil {
				hi := 0
				if len(m[1]) > 0 {
					fmt.Sscan(string(m[1]), &hi)
				}
				for i := 0; i <= hi; i++ {
					q.lines = append(q.lines, fmt.Sprintf("%d_%d|%d|%d|%d|PENDING|Priority||d", id, i, id, id, i))
				}
			} else {
				q.lines = append(q.lines, fmt.Sprintf("%d|%d|%d|N/A|PENDING|Dependency||d-merge", id, id, id))
			}
			return []byte(fmt.Sprintf("%d\n", id)), nil, nil
		case "squeue":
			return []byte(strings.Join(q.lines, "\n") + "\n"), nil, nil
		case "sacct":
			return nil, []byte("Slurm accounting storage is disabled"), errors.New("exit status 1")
		case "scancel":
			return nil, nil, nil
		}
		return nil, nil, fmt.Errorf("unexpected %s", name)
	}}
}

// TestResumeConcurrent: two resumes started at once submit the missing
// shards once, not twice; a third one afterwards submits nothing.
func TestResumeConcurrent(t *testing.T) {
	cfg, _ := quickstart(t, "")
	q := &queueSlurm{}
	env, _, _ := testEnv(nil)
	if err := runSubmit(context.Background(), env, q.client(), cfg, submitOptions{NoMerge: true}); err != nil {
		t.Fatal(err)
	}
	l := shard.Layout{Dir: cfg.Run.Dir}
	plan, _ := shard.ReadPlan(l)
	q.lines = nil // Slurm forgot every task: every shard failed
	var wg sync.WaitGroup
	errs := make([]error, 2)
	for i := range errs {
		wg.Add(1)
		go func() {
			defer wg.Done()
			env, _, _ := testEnv(nil)
			errs[i] = runResume(context.Background(), env, q.client(), cfg, submitOptions{NoMerge: true})
		}()
	}
	wg.Wait()
	for _, err := range errs {
		if err != nil {
			t.Fatal(err)
		}
	}
	subs, _ := slurm.ReadSubmissions(slurm.SubmissionsFile(l))
	count := map[int]int{}
	for _, s := range subs[(len(plan.Shards)+1)/2:] {
		for _, ids := range s.Map {
			for _, id := range ids {
				count[id]++
			}
		}
	}
	for _, s := range plan.Shards {
		if count[s.ID] != 1 {
			t.Errorf("shard %d submitted %d times by the two resumes", s.ID, count[s.ID])
		}
	}
	env3, out3, _ := testEnv(nil)
	if err := runResume(context.Background(), env3, q.client(), cfg, submitOptions{NoMerge: true}); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out3.String(), "nothing to resume") {
		t.Errorf("third resume:\n%s", out3)
	}
}
