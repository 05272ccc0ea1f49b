package shard

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/klauspost/compress/zstd"
)

// An output shard is a sequence of independent zstd frames, each holding
// whole JSON lines (one Generation per line) and a content checksum. The
// runner appends a frame every few seconds, so `zstdcat` reads the file at
// any moment. A crash can leave a torn last frame; readers stop at the last
// frame that decodes and checks, and OpenOutput cuts the torn tail off.

const (
	zstdMagic          = 0xFD2FB528
	skippableMagicMask = 0xFFFFFFF0
	skippableMagic     = 0x184D2A50
	// maxFrameBytes bounds one frame's content: a frame holds a few
	// seconds of generations, far below this.
	maxFrameBytes = 1 << 30
)

// OutputInfo describes what a read of an output shard found.
type OutputInfo struct {
	Records   int   // valid records
	Frames    int   // valid frames
	GoodBytes int64 // bytes up to the end of the last valid frame
	TornBytes int64 // bytes after it (a torn tail), 0 for a clean file
	// Duplicates counts records whose (uuid, index) was already seen in an
	// earlier frame; they are skipped.
	Duplicates int
	// Size and SHA256 (hex) are of the whole file as this read found it:
	// with Done.CheckOutput they finish the done check of a reader that
	// reads the output anyway (merge), so the file is read once.
	Size   int64
	SHA256 string
}

// frameEnd returns the length of the zstd (or skippable) frame at the start
// of b, or an error when b does not hold a whole frame.
func frameEnd(b []byte) (int, error) {
	if len(b) < 8 {
		return 0, io.ErrUnexpectedEOF
	}
	magic := binary.LittleEndian.Uint32(b)
	if magic&skippableMagicMask == skippableMagic {
		n := 8 + int(binary.LittleEndian.Uint32(b[4:]))
		if n > len(b) {
			return 0, io.ErrUnexpectedEOF
		}
		return n, nil
	}
	if magic != zstdMagic {
		return 0, errors.New("not a zstd frame")
	}
	fhd := b[4]
	pos := 5
	fcsFlag := fhd >> 6
	single := fhd&0x20 != 0
	checksum := fhd&0x04 != 0
	if !single {
		pos++ // window descriptor
	}
	pos += [4]int{0, 1, 2, 4}[fhd&3] // dictionary id
	switch fcsFlag {
	case 0:
		if single {
			pos++
		}
	case 1:
		pos += 2
	case 2:
		pos += 4
	case 3:
		pos += 8
	}
	for {
		if pos+3 > len(b) {
			return 0, io.ErrUnexpectedEOF
		}
		h := uint32(b[pos]) | uint32(b[pos+1])<<8 | uint32(b[pos+2])<<16
		pos += 3
		last := h&1 != 0
		size := int(h >> 3)
		switch (h >> 1) & 3 {
		case 0, 2:
			pos += size
		case 1:
			pos++
		default:
			return 0, errors.New("reserved zstd block type")
		}
		if pos > len(b) {
			return 0, io.ErrUnexpectedEOF
		}
		if last {
			break
		}
	}
	if checksum {
		pos += 4
		if pos > len(b) {
			return 0, io.ErrUnexpectedEOF
		}
	}
	return pos, nil
}

// ReadOutput reads the output shard at path and calls fn for every valid
// record, in file order, skipping repeated (uuid, index) pairs. It stops
// quietly at a torn tail (reported in OutputInfo) and returns an error only
// when the file cannot be read or fn fails. A missing file reads as empty.
func ReadOutput(path string, fn func(*Generation) error) (OutputInfo, error) {
	var info OutputInfo
	data, err := os.ReadFile(path)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return info, nil
		}
		return info, fmt.Errorf("reading output shard: %w", err)
	}
	sum := sha256.Sum256(data)
	info.Size, info.SHA256 = int64(len(data)), hex.EncodeToString(sum[:])
	dec, err := zstd.NewReader(nil, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(maxFrameBytes))
	if err != nil {
		return info, err
	}
	defer dec.Close()
	seen := make(map[Key]struct{})
	next := make(map[string]int) // for records without an index
	var buf []byte
	// Our runner ends every frame at a line end. Another writer may not
	// (pzstd cuts its input into chunks anywhere): a line begun in one
	// frame is finished by the next. The good part of the file ends only
	// at a frame that ends a line, so records after the last such frame
	// wait in held until one comes, and are not read when none does.
	var carry []byte
	var held []Generation
	good, frames := 0, 0
	off := 0
	for off < len(data) {
		n, err := frameEnd(data[off:])
		if err != nil {
			break
		}
		buf, err = dec.DecodeAll(data[off:off+n], buf[:0])
		if err != nil {
			break
		}
		content := buf
		if len(carry) > 0 {
			content = append(carry, buf...)
		}
		cut := bytes.LastIndexByte(content, '\n') + 1
		recs, ok := parseLines(content[:cut])
		if !ok {
			break
		}
		carry = append([]byte(nil), content[cut:]...)
		held = append(held, recs...)
		off += n
		frames++
		if len(carry) > 0 {
			continue
		}
		for i := range held {
			numberIndex(&held[i], seen, next)
			k := held[i].Key()
			if _, dup := seen[k]; dup {
				info.Duplicates++
				continue
			}
			seen[k] = struct{}{}
			info.Records++
			if fn != nil {
				if err := fn(&held[i]); err != nil {
					return info, err
				}
			}
		}
		held = held[:0]
		good, info.Frames = off, frames
	}
	info.GoodBytes = int64(good)
	info.TornBytes = int64(len(data) - good)
	return info, nil
}

// parseLines decodes a frame's content: whole JSON lines, each a
// Generation with a uuid. A frame that does not end in a newline, or holds
// a line that does not decode, is not valid.
func parseLines(b []byte) ([]Generation, bool) {
	if len(b) == 0 {
		return nil, true
	}
	if b[len(b)-1] != '\n' {
		return nil, false
	}
	var out []Generation
	for len(b) > 0 {
		i := bytes.IndexByte(b, '\n')
		line := b[:i]
		b = b[i+1:]
		if len(bytes.TrimSpace(line)) == 0 {
			continue
		}
		var g Generation
		// UnmarshalJSON directly: json.Unmarshal would scan the line twice
		// more (validating it, then finding the object's end) before
		// calling it.
		if err := g.UnmarshalJSON(line); err != nil || g.UUID == "" {
			return nil, false
		}
		out = append(out, g)
	}
	return out, true
}

// OutputWriter appends records to an output shard as independent zstd
// frames. It is not safe for concurrent use.
type OutputWriter struct {
	f       *os.File
	enc     *zstd.Encoder
	buf     bytes.Buffer
	pending int
	frame   []byte
	size    int64
	// unsynced: frames were written since the last fsync.
	unsynced bool
}

// OpenOutput opens the output shard at path for appending. An existing
// file is read first: its valid records are passed to fn (may be nil) and a
// torn tail is cut off, so the file ends on a frame boundary. The caller
// must hold the shard's lease.
func OpenOutput(path string, fn func(*Generation) error) (*OutputWriter, OutputInfo, error) {
	info, err := ReadOutput(path, fn)
	if err != nil {
		return nil, info, err
	}
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, FilePerm)
	if err != nil {
		return nil, info, fmt.Errorf("opening output shard: %w", err)
	}
	if info.TornBytes > 0 {
		if err := f.Truncate(info.GoodBytes); err != nil {
			f.Close()
			return nil, info, fmt.Errorf("cutting the torn tail of %s: %w", path, err)
		}
		if err := f.Sync(); err != nil {
			f.Close()
			return nil, info, fmt.Errorf("syncing %s: %w", path, err)
		}
	}
	if _, err := f.Seek(info.GoodBytes, io.SeekStart); err != nil {
		f.Close()
		return nil, info, err
	}
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderCRC(true), zstd.WithEncoderConcurrency(1), zstd.WithEncoderLevel(zstd.SpeedDefault))
	if err != nil {
		f.Close()
		return nil, info, err
	}
	return &OutputWriter{f: f, enc: enc, size: info.GoodBytes}, info, nil
}

// Add buffers one record; it reaches the file at the next Flush.
func (w *OutputWriter) Add(g *Generation) error {
	b, err := json.Marshal(g)
	if err != nil {
		return fmt.Errorf("encoding record %s/%d: %w", g.UUID, g.Index, err)
	}
	w.buf.Write(b)
	w.buf.WriteByte('\n')
	w.pending++
	return nil
}

// Pending is the number of records buffered since the last Flush.
func (w *OutputWriter) Pending() int { return w.pending }

// Size is the file's size after the last Write (or Flush).
func (w *OutputWriter) Size() int64 { return w.size }

// Flush writes the buffered records as one zstd frame and fsyncs the file.
func (w *OutputWriter) Flush() error {
	if err := w.Write(); err != nil {
		return err
	}
	return w.Sync()
}

// Write appends the buffered records as one zstd frame, without fsync:
// the frame is in the page cache, safe from a crash of the process (kill
// -9, an OOM kill) but not of the node until the next Sync. The runner
// writes each group of answers at once and syncs periodically (group
// commit).
func (w *OutputWriter) Write() error {
	if w.pending == 0 {
		return nil
	}
	w.frame = w.enc.EncodeAll(w.buf.Bytes(), w.frame[:0])
	if _, err := w.f.Write(w.frame); err != nil {
		return w.rollback(fmt.Errorf("appending to %s: %w", w.f.Name(), err))
	}
	w.size += int64(len(w.frame))
	w.unsynced = true
	w.buf.Reset()
	w.pending = 0
	return nil
}

// Sync fsyncs the frames written since the last Sync.
func (w *OutputWriter) Sync() error {
	if !w.unsynced {
		return nil
	}
	if err := w.f.Sync(); err != nil {
		return fmt.Errorf("syncing %s: %w", w.f.Name(), err)
	}
	w.unsynced = false
	return nil
}

// rollback cuts a partly written frame off after a failed write (ENOSPC,
// say), so that a later Flush appends on a frame boundary again; the
// records stay buffered.
func (w *OutputWriter) rollback(err error) error {
	if terr := w.f.Truncate(w.size); terr != nil {
		return fmt.Errorf("%w (and cutting the partial frame failed: %v)", err, terr)
	}
	if _, serr := w.f.Seek(w.size, io.SeekStart); serr != nil {
		return fmt.Errorf("%w (and seeking back failed: %v)", err, serr)
	}
	return err
}

// Close flushes and closes the file.
func (w *OutputWriter) Close() error {
	ferr := w.Flush()
	w.enc.Close()
	cerr := w.f.Close()
	if ferr != nil {
		return ferr
	}
	if cerr != nil {
		return fmt.Errorf("closing %s: %w", w.f.Name(), cerr)
	}
	return nil
}
