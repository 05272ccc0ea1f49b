package shard

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// This file owns two rules every stage asks about a planned shard: where
// its input is (ShardInput, ReadShardInput) and whether it is done
// (StateOf). The runner, the simulator, merge, status and submit all call
// these; none of them looks at the files on its own.

// ShardInput is the input file of the planned shard info: ShardInfo.File
// (relative to the run dir) when the plan names one, else the default
// input/shard-NNNNN.jsonl.zst.
func (l Layout) ShardInput(info ShardInfo) string {
	if info.File == "" {
		return l.Input(info.ID)
	}
	if filepath.IsAbs(info.File) {
		return info.File
	}
	return filepath.Join(l.Dir, info.File)
}

// ReadShardInput reads the input of the planned shard info and checks it
// against the plan's checksum: an input changed after planning is an
// error that names the file and says what to do. sum is the SHA-256 of
// its uncompressed content.
func ReadShardInput(l Layout, info ShardInfo) (problems []Problem, sum string, err error) {
	path := l.ShardInput(info)
	problems, sum, err = ReadInput(path)
	if err != nil {
		return nil, "", err
	}
	if info.SHA256 != "" && sum != info.SHA256 {
		return nil, "", fmt.Errorf("input shard %s does not match plan.json (sha256 %s, plan says %s): it changed after planning; plan again into a fresh run dir",
			path, sum[:12], info.SHA256[:min(12, len(info.SHA256))])
	}
	return problems, sum, nil
}

// Kind is what a shard's files say about it.
type Kind string

const (
	// KindDone: a done marker that vouches for the output on disk.
	KindDone Kind = "done"
	// KindPartial: output written, no marker that vouches for it (an
	// interrupted or running shard, or one changed after it was done).
	KindPartial Kind = "partial"
	// KindAbsent: no output yet.
	KindAbsent Kind = "absent"
)

// Check says how hard StateOf looks at a done marker.
type Check int

const (
	// CheckSize compares the marker with the planned input checksum and
	// the output file's size: a stat, no read. Cheap enough for status
	// over thousands of shards.
	CheckSize Check = iota
	// CheckHash also hashes the output file and compares its SHA-256
	// with the marker's. A reader that reads the output anyway (merge)
	// can use CheckSize and compare the hash it computes while reading
	// with Done.CheckOutput instead.
	CheckHash
)

// State is a shard's state as its files show it.
type State struct {
	Kind Kind
	// Reason says why the shard is not done ("" when it is).
	Reason string
	// Marker is the done marker when there is one, also one that does
	// not vouch for the output (Reason then says why): a caller that
	// reads the output can finish the check with Marker.CheckOutput.
	Marker *Done
	// OutputBytes is the size of the output file (0 when there is none).
	OutputBytes int64
}

// IsDone reports whether the shard is done.
func (s State) IsDone() bool { return s.Kind == KindDone }

// StateOf says whether the planned shard info is done, partial or absent,
// and why. A shard is done when its done marker is for the planned input
// (its input checksum) and the output file has the size (and, with
// CheckHash, the SHA-256) the marker recorded. A marker left from another
// plan, or an output cut short or changed after the shard finished, looks
// complete but is not. A done marker that does not decode is an error
// naming the file.
func StateOf(l Layout, info ShardInfo, c Check) (State, error) {
	var st State
	out, err := os.Stat(l.Output(info.ID))
	switch {
	case err == nil:
		st.OutputBytes = out.Size()
	case !errors.Is(err, fs.ErrNotExist):
		return st, fmt.Errorf("shard %d: checking output shard: %w", info.ID, err)
	}
	d, ok, err := ReadDone(l, info.ID)
	if err != nil {
		return st, err
	}
	notDone := func(why string) (State, error) {
		st.Reason = why
		st.Kind = KindAbsent
		if st.OutputBytes > 0 {
			st.Kind = KindPartial
		}
		return st, nil
	}
	if !ok {
		if st.OutputBytes > 0 {
			return notDone("no done marker (interrupted, or still running)")
		}
		return notDone("no output yet")
	}
	st.Marker = &d
	if d.InputSHA256 != "" && info.SHA256 != "" && d.InputSHA256 != info.SHA256 {
		return notDone("its done marker is for another input (from another plan)")
	}
	if d.OutputSHA == "" && d.OutputBytes == 0 {
		st.Kind = KindDone // a marker without output checksums: nothing to compare
		return st, nil
	}
	if out == nil {
		return notDone("its output file is missing")
	}
	if st.OutputBytes != d.OutputBytes {
		return notDone(fmt.Sprintf("its output is %d bytes, its done marker says %d", st.OutputBytes, d.OutputBytes))
	}
	if c == CheckHash && d.OutputSHA != "" {
		size, sum, err := FileSHA256(l.Output(info.ID))
		if err != nil {
			return st, fmt.Errorf("shard %d: checking output shard: %w", info.ID, err)
		}
		if why := d.CheckOutput(size, sum); why != "" {
			return notDone(why)
		}
	}
	st.Kind = KindDone
	return st, nil
}

// CheckOutput says why the marker does not vouch for an output file of
// size bytes whose SHA-256 is sum (hex), "" when it does. merge, which
// reads every output shard anyway, hashes while it reads and asks this.
func (d *Done) CheckOutput(size int64, sum string) string {
	if d.OutputSHA == "" && d.OutputBytes == 0 {
		return ""
	}
	if size != d.OutputBytes {
		return fmt.Sprintf("its output is %d bytes, its done marker says %d", size, d.OutputBytes)
	}
	if d.OutputSHA != "" && sum != d.OutputSHA {
		return "its output's SHA-256 differs from its done marker's"
	}
	return ""
}
