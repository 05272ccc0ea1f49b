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
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
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
	var out []string
	for _, p := range paths {
		matches := []string{p}
		if strings.ContainsAny(p, "*?[") {
			m, err := filepath.Glob(p)
			if err != nil {
				return nil, fmt.Errorf("input path %q: bad glob: %w", p, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("input path %q matches no file: check [input] paths", p)
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
			if !seen[m] {
				seen[m] = true
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
	col := func(name string) string {
		if c, ok := columns[name]; ok && c != "" {
			return c
		}
		return name
	}
	lower := strings.ToLower(path)
	switch {
	case strings.HasSuffix(lower, ".parquet"):
		err = readParquet(path, col, fn)
	case strings.HasSuffix(lower, ".jsonl"), strings.HasSuffix(lower, ".json"), strings.HasSuffix(lower, ".ndjson"),
		strings.HasSuffix(lower, ".jsonl.zst"), strings.HasSuffix(lower, ".jsonl.gz"):
		err = readJSONL(path, col, fn)
	default:
		return "", fmt.Errorf("input file %s: unknown format (want .parquet, .jsonl, .jsonl.zst or .jsonl.gz)", path)
	}
	return sum, err
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

func readParquet(path string, col func(string) string, fn func(Row) error) error {
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
	idx := map[string]int{} // column index -> our field
	byIndex := map[int]string{}
	kinds := map[int]parquet.Kind{}
	for _, name := range fields {
		leaf, ok := schema.Lookup(col(name))
		if !ok {
			continue
		}
		if leaf.MaxRepetitionLevel > 0 {
			return fmt.Errorf("input file %s: column %q is a list; map a plain column with [input.columns]", path, col(name))
		}
		idx[name] = leaf.ColumnIndex
		byIndex[leaf.ColumnIndex] = name
		kinds[leaf.ColumnIndex] = leaf.Node.Type().Kind()
	}
	if _, ok := idx["problem"]; !ok {
		return fmt.Errorf("input file %s has no column %q: map the problem column with [input.columns] problem = \"<name>\"", path, col("problem"))
	}
	if _, ok := idx["answer"]; !ok {
		return fmt.Errorf("input file %s has no column %q: map the answer column with [input.columns] answer = \"<name>\"", path, col("answer"))
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
					switch kinds[v.Column()] {
					case parquet.Boolean:
						row[name] = strconv.FormatBool(v.Boolean())
					case parquet.ByteArray, parquet.FixedLenByteArray:
						row[name] = string(v.ByteArray())
					default:
						row[name] = v.String()
					}
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

func readJSONL(path string, col func(string) string, fn func(Row) error) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("input file %s: %w", path, err)
	}
	defer f.Close()
	var r io.Reader = f
	lower := strings.ToLower(path)
	switch {
	case strings.HasSuffix(lower, ".zst"):
		zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return fmt.Errorf("input file %s: %w", path, err)
		}
		defer zr.Close()
		r = zr
	case strings.HasSuffix(lower, ".gz"):
		gr, err := gzip.NewReader(f)
		if err != nil {
			return fmt.Errorf("input file %s: %w", path, err)
		}
		defer gr.Close()
		r = gr
	}
	br := bufio.NewReaderSize(r, 1<<20)
	line, rows := 0, 0 // line counts blank lines too, so errors name the line an editor shows
	sawProblem, sawAnswer := false, false
	for {
		b, err := br.ReadBytes('\n')
		if len(b) > 0 {
			line++
		}
		if len(bytes.TrimSpace(b)) > 0 {
			rows++
			// UseNumber keeps numbers as written: an integer answer with
			// more than 15 digits must not come back rounded through
			// float64.
			var obj map[string]any
			dec := json.NewDecoder(bytes.NewReader(b))
			dec.UseNumber()
			jerr := dec.Decode(&obj)
			if jerr == nil {
				if _, terr := dec.Token(); terr != io.EOF {
					jerr = errors.New("more than one JSON value on the line")
				}
			}
			if jerr != nil {
				return fmt.Errorf("input file %s line %d: not a JSON object (%v): fix or remove the line", path, line, jerr)
			}
			row := Row{}
			for _, name := range fields {
				v, ok := obj[col(name)]
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
			if _, ok := obj[col("problem")]; ok {
				sawProblem = true
			}
			if _, ok := obj[col("answer")]; ok {
				sawAnswer = true
			}
			if err := fn(row); err != nil {
				return err
			}
		}
		if err != nil {
			if errors.Is(err, io.EOF) {
				break
			}
			return fmt.Errorf("reading input file %s: %w", path, err)
		}
	}
	if rows > 0 && !sawProblem {
		return fmt.Errorf("input file %s has no column %q: map the problem column with [input.columns] problem = \"<name>\"", path, col("problem"))
	}
	if rows > 0 && !sawAnswer {
		return fmt.Errorf("input file %s has no column %q: map the answer column with [input.columns] answer = \"<name>\"", path, col("answer"))
	}
	return nil
}
