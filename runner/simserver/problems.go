package simserver

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/distillery-hpc/distillery/shard"
)

// LoadRunDir reads every planned problem of a run directory: the input
// shards plan.json names (or, without a plan.json, every
// <dir>/input/shard-*.jsonl.zst), written by `distillery plan`. Going by
// plan.json keeps shard files an interrupted earlier plan left out.
func LoadRunDir(dir string) ([]shard.Problem, error) {
	l := shard.Layout{Dir: dir}
	var paths []string
	if plan, err := shard.ReadPlan(l); err == nil {
		for _, s := range plan.Shards {
			paths = append(paths, l.ShardInput(s))
		}
	} else if _, serr := os.Stat(l.PlanFile()); serr == nil {
		return nil, err // a plan.json that does not parse
	} else {
		paths, err = filepath.Glob(filepath.Join(l.InputDir(), "shard-*.jsonl.zst"))
		if err != nil {
			return nil, fmt.Errorf("listing input shards: %w", err)
		}
		sort.Strings(paths)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("run dir %s has no input shards (%s): run `distillery plan` first or pass --problems FILE", dir, filepath.Join(l.InputDir(), "shard-*.jsonl.zst"))
	}
	var all []shard.Problem
	for _, p := range paths {
		ps, _, err := shard.ReadInput(p)
		if err != nil {
			return nil, err
		}
		all = append(all, ps...)
	}
	return all, nil
}

// ReadProblemsFile reads problems from a problem file in any format the
// planner reads (JSON Lines, optionally .zst or .gz, or parquet; the
// NuminaMath-1.5 or input-shard columns), one problem per row with at least
// "problem" and "answer". Rows are taken as they are: nothing is filtered.
func ReadProblemsFile(path string) ([]shard.Problem, error) {
	if _, err := os.Stat(path); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("problems file %s does not exist: pass an existing file to --problems", path)
		}
		return nil, fmt.Errorf("problems file: %w", err)
	}
	var out []shard.Problem
	line := 0
	_, err := shard.ReadSource(path, nil, func(r shard.Row) error {
		line++
		p := shard.ProblemFromRow(r)
		if strings.TrimSpace(p.Problem) == "" {
			return fmt.Errorf("problems file %s row %d: no \"problem\" field", path, line)
		}
		out = append(out, p)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("problems file %s holds no problems", path)
	}
	return out, nil
}
