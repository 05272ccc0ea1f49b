package shard

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"math/big"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
)

// fields are the problem-set columns the planner reads, by our name.
var fields = []string{"problem", "solution", "answer", "problem_type", "question_type", "source", "uuid", "problem_is_valid", "solution_is_valid", "synthetic"}

// Row is one input row by our field names; a missing column is absent.
type Row map[string]string

// ExpandPaths expands the [input] paths (files or globs) into a sorted,
// de-duplicated list of files. A path that matches nothing is an error.
func ExpandPaths(paths []string) ([]string, error) {
	if len(paths) == 0 {
		return nil, errors.New("[input] paths is empty: name the problem files (parquet or JSONL) in a config and pass it with -c FILE (`distillery init` writes one; examples/quickstart.toml is a complete one)")
	}
	seen := map[string]bool{}
	var infos []os.FileInfo
	var out []string
	for _, p := range paths {
		matches := []string{filepath.Clean(p)}
		if _, err := os.Stat(p); err != nil && strings.ContainsAny(p, "*?[") {
			// A file that exists under its own name is that file, even
			// when the name holds glob characters (data[1].jsonl).
			m, err := filepath.Glob(p)
			if err != nil {
				return nil, fmt.Errorf("input path %q: bad glob: %w", p, err)
			}
			// A glob picks files: the directories it also matches are
			// not problem files.
			m = slices.DeleteFunc(m, func(x string) bool {
				st, err := os.Stat(x)
				return err == nil && st.IsDir()
			})
			if len(m) == 0 {
				hint := "check [input] paths (relative paths are relative to the config file)"
				if strings.Contains(p, "**") {
					hint = "** matches one directory level here, not any number: list each level, e.g. data/*.parquet and data/*/*.parquet"
				}
				return nil, fmt.Errorf("input path %q matches no file: %s", p, hint)
			}
			sort.Strings(m)
			matches = m
		}
		for _, m := range matches {
			st, err := os.Stat(m)
			if err != nil {
				if errors.Is(err, os.ErrNotExist) {
					return nil, fmt.Errorf("input file %s does not exist: check [input] paths", m)
				}
				return nil, fmt.Errorf("input file %s: %w", m, err)
			}
			if st.IsDir() {
				return nil, fmt.Errorf("input path %s is a directory: name files or a glob such as %s", m, filepath.Join(m, "*.parquet"))
			}
			// The same file listed twice (another spelling of its path,
			// a glob that matches it again, a link to it) is read once.
			dup := seen[m]
			for _, o := range infos {
				dup = dup || os.SameFile(o, st)
			}
			if !dup {
				seen[m] = true
				infos = append(infos, st)
				out = append(out, m)
			}
		}
	}
	return out, nil
}

// ReadSource reads one problem file (parquet, or JSON Lines optionally
// compressed with .zst or .gz) and calls fn for each row, with the file's
// SHA-256. columns maps our field names to the file's column names.
func ReadSource(path string, columns map[string]string, fn func(Row) error) (string, error) {
	sum, err := fileSHA256(path)
	if err != nil {
		return "", err
	}
	return sum, readRows(path, columns, fn)
}

// readRows is ReadSource without the hash (the planner has hashed its
// inputs already): it streams the file, one row at a time, and holds no
// more of it than a parquet page or a JSON line and its read buffer.
func readRows(path string, columns map[string]string, fn func(Row) error) error {
	cols := columnMap(columns)
	switch kind, compression := sourceFormat(path); kind {
	case "parquet":
		return readParquet(path, cols, fn)
	case "jsonl":
		return readJSONL(path, compression, cols, fn)
	}
	return fmt.Errorf("input file %s: unknown format (want .parquet, or .jsonl/.ndjson/.json, optionally compressed as .gz or .zst)", path)
}

// columnMap maps our field names to a file's column names ([input.columns]).
type columnMap map[string]string

// col is the file's name for our field name.
func (m columnMap) col(name string) string {
	if c := m[name]; c != "" {
		return c
	}
	return name
}

// mapped reports whether [input.columns] names a column for the field: a
// mapped column that the file lacks is an error, not a silently empty field.
func (m columnMap) mapped(name string) bool { return m[name] != "" }

// Fields are the field names [input.columns] may map, in order.
func Fields() []string { return slices.Clone(fields) }

// sourceFormat tells a problem file's format ("parquet", "jsonl" or "") and
// compression ("", "gz", "zst") from its name.
func sourceFormat(path string) (kind, compression string) {
	lower := strings.ToLower(path)
	for _, c := range []struct{ suffix, name string }{{".gz", "gz"}, {".gzip", "gz"}, {".zst", "zst"}, {".zstd", "zst"}} {
		if strings.HasSuffix(lower, c.suffix) {
			lower, compression = strings.TrimSuffix(lower, c.suffix), c.name
			break
		}
	}
	switch {
	case compression == "" && strings.HasSuffix(lower, ".parquet"):
		return "parquet", ""
	case strings.HasSuffix(lower, ".jsonl"), strings.HasSuffix(lower, ".ndjson"), strings.HasSuffix(lower, ".json"):
		return "jsonl", compression
	}
	return "", ""
}

func fileSHA256(path string) (string, error) {
	_, sum, err := FileSHA256(path)
	if err != nil {
		return "", fmt.Errorf("input file %s: %w", path, err)
	}
	return sum, nil
}

// FileSHA256 returns a file's size and the hex SHA-256 of its bytes.
func FileSHA256(path string) (int64, string, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, "", err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return 0, "", fmt.Errorf("reading %s: %w", path, err)
	}
	return n, hex.EncodeToString(h.Sum(nil)), nil
}

func readParquet(path string, cols columnMap, fn func(Row) error) error {
	col := cols.col
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("input file %s: %w", path, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return err
	}
	if st.Size() == 0 {
		return fmt.Errorf("input file %s is empty (0 bytes): remove it from [input] paths", path)
	}
	pf, err := parquet.OpenFile(f, st.Size())
	if err != nil {
		return fmt.Errorf("input file %s is not a readable parquet file (truncated or corrupt?): %v", path, err)
	}
	schema := pf.Schema()
	byIndex := map[int]string{} // column index -> our field
	types := map[int]parquet.Type{}
	var have []string
	for _, f := range schema.Fields() {
		have = append(have, f.Name())
	}
	for _, name := range fields {
		leaf, ok := schema.Lookup(col(name))
		if !ok && strings.Contains(col(name), ".") {
			// A field of a struct column, mapped as "data.problem".
			leaf, ok = schema.Lookup(strings.Split(col(name), ".")...)
		}
		if !ok {
			if name == "problem" || name == "answer" || cols.mapped(name) {
				return missingColumn(path, cols, name, have)
			}
			continue
		}
		if leaf.MaxRepetitionLevel > 0 {
			return fmt.Errorf("input file %s: column %q is a list; map a plain column with [input.columns]", path, col(name))
		}
		byIndex[leaf.ColumnIndex] = name
		types[leaf.ColumnIndex] = leaf.Node.Type()
	}
	// parquet-go (v0.32.0) loses LZ4_RAW pages whose decompressed size it
	// did not guess: the page reads as zeros, an error at best, empty text
	// at worst. Refuse such a file rather than plan from it.
	for _, rg := range pf.Metadata().RowGroups {
		for i, cc := range rg.Columns {
			if _, read := byIndex[i]; read && cc.MetaData.Codec == format.Lz4Raw {
				return fmt.Errorf("input file %s: column %q is LZ4_RAW-compressed, which this parquet reader does not decode reliably: rewrite the file with zstd or snappy (e.g. DuckDB: COPY (FROM 'IN') TO 'OUT' (COMPRESSION zstd))", path, strings.Join(cc.MetaData.PathInSchema, "."))
			}
		}
	}
	buf := make([]parquet.Row, 256)
	for _, rg := range pf.RowGroups() {
		rows := rg.Rows()
		for {
			n, err := rows.ReadRows(buf)
			for _, r := range buf[:n] {
				row := Row{}
				for _, v := range r {
					name, ok := byIndex[v.Column()]
					if !ok || v.IsNull() {
						continue
					}
					row[name] = parquetText(v, types[v.Column()])
				}
				if err := fn(row); err != nil {
					rows.Close()
					return err
				}
			}
			if err != nil {
				rows.Close()
				if errors.Is(err, io.EOF) {
					break
				}
				return fmt.Errorf("input file %s is not a readable parquet file (truncated or corrupt?): %v", path, err)
			}
		}
	}
	return nil
}

func readJSONL(path, compression string, cols columnMap, fn func(Row) error) error {
	col := cols.col
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("input file %s: %w", path, err)
	}
	defer f.Close()
	var r io.Reader = f
	switch compression {
	case "zst":
		zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return fmt.Errorf("input file %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	case "gz":
		gr, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("input file %s: %w", path, err)
		}
		defer gr.Close()
		r = gr
	}
	br := bufio.NewReaderSize(r, 1<<20)
	line, rows := 0, 0        // line counts blank lines too, so errors name the line an editor shows
	saw := map[string]bool{}  // our fields seen
	keys := map[string]bool{} // the file's keys
	for {
		b, err := br.ReadBytes('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			// A broken compressed stream: the partial line before the
			// break is no input.
			where := fmt.Sprintf("after line %d", line)
			if line == 0 {
				where = "before its first line"
			}
			return fmt.Errorf("input file %s is corrupt or truncated %s (%v): compress it again, or name the uncompressed file", path, where, err)
		}
		if len(b) > 0 {
			line++
		}
		if line == 1 {
			// Editors on Windows and some exporters start the file with a
			// UTF-8 byte order mark; it is not part of the first object.
			b = bytes.TrimPrefix(b, []byte("\ufeff"))
		}
		if trimmed := bytes.TrimSpace(b); len(trimmed) > 0 {
			if rows == 0 && trimmed[0] == '[' {
				return fmt.Errorf("input file %s line %d: a JSON array, not JSON Lines (one object per line): convert it, e.g. with `jq -c '.[]' FILE > FILE.jsonl`", path, line)
			}
			rows++
			// UseNumber keeps numbers as written: an integer answer with
			// more than 15 digits must not come back rounded through
			// float64.
			var obj map[string]any
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			jerr := dec.Decode(&obj)
			if jerr == nil && obj == nil {
				jerr = errors.New("null")
			}
			if jerr == nil {
				if _, terr := dec.Token(); terr != io.EOF {
					jerr = errors.New("more than one JSON value on the line")
				}
			}
			if jerr != nil {
				return fmt.Errorf("input file %s line %d: not a JSON object (%v): fix or remove the line", path, line, jerr)
			}
			for k := range obj {
				if len(keys) < 1000 { // for the error that lists them
					keys[k] = true
				}
			}
			row := Row{}
			for _, name := range fields {
				v, ok := obj[col(name)]
				if ok {
					saw[name] = true
				}
				if !ok || v == nil {
					continue
				}
				switch x := v.(type) {
				case string:
					row[name] = x
				case bool:
					row[name] = strconv.FormatBool(x)
				case json.Number:
					row[name] = x.String()
				default:
					return fmt.Errorf("input file %s line %d: column %q is not text", path, line, col(name))
				}
			}
			if err := fn(row); err != nil {
				return err
			}
		}
		if err != nil { // io.EOF
			break
		}
	}
	if rows == 0 {
		return nil
	}
	for _, name := range fields {
		if !saw[name] && (name == "problem" || name == "answer" || cols.mapped(name)) {
			return missingColumn(path, cols, name, slices.Sorted(maps.Keys(keys)))
		}
	}
	return nil
}

// missingColumn is the error for a column the planner needs (problem,
// answer, or one [input.columns] names) that the file lacks; it lists
// the columns the file has, where the right one usually is.
func missingColumn(path string, cols columnMap, name string, have []string) error {
	const most = 12
	list := strings.Join(have[:min(len(have), most)], ", ")
	if len(have) > most {
		list += fmt.Sprintf(" and %d more", len(have)-most)
	}
	if cols.mapped(name) {
		return fmt.Errorf("input file %s has no column %q, which [input.columns] %s names (its columns: %s): fix the mapping or the file", path, cols.col(name), name, list)
	}
	return fmt.Errorf("input file %s has no column %q (its columns: %s): map the %s column with [input.columns] %s = \"<name>\"", path, name, list, name, name)
}

// parquetText renders one parquet value as the text the planner keeps. The
// physical type alone is not enough: a DECIMAL is stored as a scaled
// integer (or big-endian bytes), a UUID as 16 raw bytes, and both must come
// out as people write them ("1.50", "b4278975-1fd1-...").
func parquetText(v parquet.Value, t parquet.Type) string {
	if t != nil {
		if lt := t.LogicalType(); lt != nil {
			switch x := lt.Value.(type) {
			case *format.DecimalType:
				return decimalText(v, int(x.Scale))
			case *format.UUIDType:
				if b := v.ByteArray(); len(b) == 16 {
					h := hex.EncodeToString(b)
					return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
				}
			}
		}
	}
	switch v.Kind() {
	case parquet.Boolean:
		return strconv.FormatBool(v.Boolean())
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return string(v.ByteArray())
	default:
		return v.String()
	}
}

// decimalText renders a parquet DECIMAL: its unscaled integer (INT32,
// INT64, or big-endian two's complement bytes) with scale digits after the
// point.
func decimalText(v parquet.Value, scale int) string {
	n := new(big.Int)
	switch v.Kind() {
	case parquet.Int32:
		n.SetInt64(int64(v.Int32()))
	case parquet.Int64:
		n.SetInt64(v.Int64())
	case parquet.ByteArray, parquet.FixedLenByteArray:
		b := v.ByteArray()
		n.SetBytes(b)
		if len(b) > 0 && b[0]&0x80 != 0 { // negative: subtract 2^(8·len)
			n.Sub(n, new(big.Int).Lsh(big.NewInt(1), uint(8*len(b))))
		}
	default:
		return v.String()
	}
	if scale <= 0 {
		return n.String()
	}
	neg := n.Sign() < 0
	digits := new(big.Int).Abs(n).String()
	if len(digits) <= scale {
		digits = strings.Repeat("0", scale-len(digits)+1) + digits
	}
	out := digits[:len(digits)-scale] + "." + digits[len(digits)-scale:]
	if neg {
		out = "-" + out
	}
	return out
}
