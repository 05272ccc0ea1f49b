package simserver

import (
	"bufio"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/klauspost/compress/zstd"

	"github.com/distillery-hpc/distillery/shard"
)

// LoadRunDir reads every planned problem of a run directory: the input
// shards <dir>/input/shard-*.jsonl.zst written by `distillery plan`.
func LoadRunDir(dir string) ([]shard.Problem, error) {
	l := shard.Layout{Dir: dir}
	paths, err := filepath.Glob(filepath.Join(l.InputDir(), "shard-*.jsonl.zst"))
	if err != nil {
		return nil, fmt.Errorf("listing input shards: %w", err)
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("run dir %s has no input shards (%s): run `distillery plan` first or pass --problems FILE", dir, filepath.Join(l.InputDir(), "shard-*.jsonl.zst"))
	}
	sort.Strings(paths)
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

// ReadProblemsFile reads problems from a JSON Lines file (zstd-compressed
// when it ends in .zst), one object per line with at least "problem" and
// "answer" (NuminaMath-1.5 or input-shard columns).
func ReadProblemsFile(path string) ([]shard.Problem, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("problems file %s does not exist", path)
		}
		return nil, fmt.Errorf("opening problems file: %w", err)
	}
	defer f.Close()
	var r io.Reader = f
	if strings.HasSuffix(path, ".zst") {
		zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return nil, fmt.Errorf("problems file %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64*1024), 64*1024*1024)
	var out []shard.Problem
	line := 0
	for sc.Scan() {
		line++
		b := sc.Bytes()
		if len(strings.TrimSpace(string(b))) == 0 {
			continue
		}
		var p shard.Problem
		if err := json.Unmarshal(b, &p); err != nil {
			return nil, fmt.Errorf("problems file %s line %d: not a JSON object with problem and answer (%v)", path, line, err)
		}
		if strings.TrimSpace(p.Problem) == "" {
			return nil, fmt.Errorf("problems file %s line %d: no \"problem\" field", path, line)
		}
		out = append(out, p)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("problems file %s line %d: %w", path, line+1, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("problems file %s holds no problems", path)
	}
	return out, nil
}
