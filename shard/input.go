package shard

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/zstd"
)

// EncodeInput renders problems as the uncompressed JSONL content of an
// input shard and returns it with its SHA-256.
func EncodeInput(problems []Problem) ([]byte, string, error) {
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	for i := range problems {
		if err := enc.Encode(&problems[i]); err != nil {
			return nil, "", fmt.Errorf("encoding problem %s: %w", problems[i].UUID, err)
		}
	}
	sum := sha256.Sum256(buf.Bytes())
	return buf.Bytes(), hex.EncodeToString(sum[:]), nil
}

// WriteInput writes an input shard durably and returns the SHA-256 of its
// uncompressed content.
func WriteInput(path string, problems []Problem) (string, error) {
	e, err := newShardEncoder()
	if err != nil {
		return "", err
	}
	return e.write(path, problems)
}

// shardEncoder writes input shards one after another with one zstd
// encoder, reset for each: a new encoder allocates and clears its 8 MiB
// window, which over a plan's thousand shards costs more than compressing
// them. The files are the same as with a new encoder each.
type shardEncoder struct{ zw *zstd.Encoder }

func newShardEncoder() (*shardEncoder, error) {
	zw, err := zstd.NewWriter(nil, zstd.WithEncoderConcurrency(1))
	if err != nil {
		return nil, err
	}
	return &shardEncoder{zw: zw}, nil
}

// write writes one input shard durably and returns the SHA-256 of its
// uncompressed content.
func (e *shardEncoder) write(path string, problems []Problem) (string, error) {
	content, sum, err := EncodeInput(problems)
	if err != nil {
		return "", err
	}
	err = WriteAtomic(path, func(w *bufio.Writer) error {
		e.zw.Reset(w)
		if _, err := e.zw.Write(content); err != nil {
			return fmt.Errorf("compressing %s: %w", path, err)
		}
		if err := e.zw.Close(); err != nil {
			return fmt.Errorf("compressing %s: %w", path, err)
		}
		return nil
	})
	return sum, err
}

// ReadInput reads an input shard and returns its problems and the SHA-256
// of its uncompressed content.
func ReadInput(path string) ([]Problem, string, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, "", fmt.Errorf("input shard %s is missing: run `distillery plan` first", path)
		}
		return nil, "", fmt.Errorf("opening input shard: %w", err)
	}
	defer f.Close()
	zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1))
	if err != nil {
		return nil, "", fmt.Errorf("input shard %s: %w", path, err)
	}
	defer zr.Close()
	content, err := io.ReadAll(zr)
	if err != nil {
		return nil, "", fmt.Errorf("input shard %s is corrupt (%v): plan again into a fresh run dir", path, err)
	}
	sum := sha256.Sum256(content)
	var out []Problem
	line := 0
	for len(content) > 0 {
		line++
		i := bytes.IndexByte(content, '\n')
		if i < 0 {
			i = len(content)
		}
		var p Problem
		if err := json.Unmarshal(content[:i], &p); err != nil {
			return nil, "", fmt.Errorf("input shard %s line %d: %w", path, line, err)
		}
		out = append(out, p)
		if i == len(content) {
			break
		}
		content = content[i+1:]
	}
	return out, hex.EncodeToString(sum[:]), nil
}

// ReadPlan reads <run.dir>/plan.json.
func ReadPlan(l Layout) (*Plan, error) {
	b, err := os.ReadFile(l.PlanFile())
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("%s does not exist: run `distillery plan` first", l.PlanFile())
		}
		return nil, fmt.Errorf("reading plan: %w", err)
	}
	var p Plan
	if err := json.Unmarshal(b, &p); err != nil {
		return nil, fmt.Errorf("%s is not a valid plan (%v): plan again into a fresh run dir", l.PlanFile(), err)
	}
	if p.Version > PlanVersion {
		return nil, fmt.Errorf("%s is plan format version %d, newer than this distillery reads (%d): use the distillery that planned it", l.PlanFile(), p.Version, PlanVersion)
	}
	return &p, nil
}

// ReadDone reads a shard's done marker; ok is false when there is none.
func ReadDone(l Layout, id int) (d Done, ok bool, err error) {
	b, err := os.ReadFile(l.DoneMarker(id))
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return d, false, nil
		}
		return d, false, fmt.Errorf("reading done marker: %w", err)
	}
	if err := json.Unmarshal(b, &d); err != nil {
		return d, false, fmt.Errorf("done marker %s is corrupt (%v): delete it and run the shard again", l.DoneMarker(id), err)
	}
	return d, true, nil
}
