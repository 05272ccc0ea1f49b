package shard

import (
	"bytes"
	"compress/gzip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/klauspost/compress/zstd"
	"github.com/parquet-go/parquet-go"
)

// readAll reads a problem file with ReadSource and returns its rows.
func readAll(t *testing.T, path string, columns map[string]string) ([]Row, error) {
	t.Helper()
	var rows []Row
	_, err := ReadSource(path, columns, func(r Row) error { rows = append(rows, r); return nil })
	return rows, err
}

func gzipped(t *testing.T, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	w := gzip.NewWriter(&buf)
	w.Write(b)
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstded(t *testing.T, b []byte) []byte {
	t.Helper()
	w, _ := zstd.NewWriter(nil)
	defer w.Close()
	return w.EncodeAll(b, nil)
}

func TestReadSourceJSONLShapes(t *testing.T) {
	two := `{"problem":"p1","answer":"1"}` + "\n" + `{"problem":"p2","answer":"2"}` + "\n"
	tests := []struct {
		name    string
		file    string
		content func(t *testing.T) []byte
		columns map[string]string
		rows    int
		errHas  []string // every one must be in the error; nil: no error
	}{
		{name: "byte order mark", file: "in.jsonl", content: func(*testing.T) []byte { return []byte("\ufeff" + two) }, rows: 2},
		{name: "CRLF and blank lines", file: "in.jsonl",
			content: func(*testing.T) []byte { return []byte("\r\n" + strings.ReplaceAll(two, "\n", "\r\n") + "\r\n  \r\n") }, rows: 2},
		{name: "no final newline", file: "in.jsonl", content: func(*testing.T) []byte { return []byte(strings.TrimSuffix(two, "\n")) }, rows: 2},
		{name: "bad line named", file: "in.jsonl",
			content: func(*testing.T) []byte { return []byte(two + "\n{\"problem\": oops}\n") }, errHas: []string{"in.jsonl line 4:"}},
		{name: "null line", file: "in.jsonl", content: func(*testing.T) []byte { return []byte(two + "null\n") }, errHas: []string{"in.jsonl line 3:", "not a JSON object"}},
		{name: "json array", file: "in.json", content: func(*testing.T) []byte { return []byte(`[{"problem":"p","answer":"1"}]`) },
			errHas: []string{"in.json line 1:", "JSON array"}},
		{name: "gzip .jsonl.gz", file: "in.jsonl.gz", content: func(t *testing.T) []byte { return gzipped(t, []byte(two)) }, rows: 2},
		{name: "gzip .json.gz", file: "in.json.gz", content: func(t *testing.T) []byte { return gzipped(t, []byte(two)) }, rows: 2},
		{name: "zstd .ndjson.zst", file: "in.ndjson.zst", content: func(t *testing.T) []byte { return zstded(t, []byte(two)) }, rows: 2},
		{name: "zstd .jsonl.zstd", file: "in.jsonl.zstd", content: func(t *testing.T) []byte { return zstded(t, []byte(two)) }, rows: 2},
		{name: "truncated gzip", file: "in.jsonl.gz",
			content: func(t *testing.T) []byte { b := gzipped(t, []byte(strings.Repeat(two, 50))); return b[:len(b)/2] },
			errHas:  []string{"in.jsonl.gz", "corrupt or truncated"}},
		{name: "mapped column present", file: "in.jsonl", columns: map[string]string{"problem": "q", "source": "src"},
			content: func(*testing.T) []byte { return []byte(`{"q":"p","answer":"1","src":"amc"}` + "\n") }, rows: 1},
		{name: "mapped column missing", file: "in.jsonl", columns: map[string]string{"source": "src"},
			content: func(*testing.T) []byte { return []byte(two) }, errHas: []string{`no column "src"`, "[input.columns] source", "its columns: answer, problem"}},
		{name: "no problem column", file: "in.jsonl",
			content: func(*testing.T) []byte { return []byte(`{"question":"p","answer":"1"}` + "\n") },
			errHas:  []string{`no column "problem" (its columns: answer, question)`, `[input.columns] problem = "<name>"`}},
		{name: "unknown suffix", file: "in.csv", content: func(*testing.T) []byte { return []byte(two) }, errHas: []string{"unknown format"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.file)
			if err := os.WriteFile(path, tc.content(t), 0o644); err != nil {
				t.Fatal(err)
			}
			rows, err := readAll(t, path, tc.columns)
			if tc.errHas != nil {
				if err == nil {
					t.Fatalf("no error, want one with %q", tc.errHas)
				}
				for _, h := range tc.errHas {
					if !strings.Contains(err.Error(), h) {
						t.Errorf("error %q does not say %q", err, h)
					}
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error is not one line: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(rows) != tc.rows {
				t.Fatalf("%d rows, want %d: %v", len(rows), tc.rows, rows)
			}
			if rows[0]["problem"] == "" || strings.ContainsAny(rows[0]["problem"], "\ufeff\r") {
				t.Errorf("first row's problem = %q", rows[0]["problem"])
			}
		})
	}
}

// typedRow has the column types other writers use for NuminaMath-shaped
// data: a DECIMAL answer (DuckDB, pyarrow decimal128), a UUID-typed uuid
// (DuckDB's UUID, pyarrow's uuid extension type), a nullable source and a
// boolean validity flag where NuminaMath-1.5 has "Yes"/"No".
type typedRow struct {
	Problem string   `parquet:"problem"`
	Answer  int64    `parquet:"answer,decimal(2:18)"`
	Big     []byte   `parquet:"big,decimal(3:30)"`
	UUID    [16]byte `parquet:"uuid,uuid"`
	Source  *string  `parquet:"source,optional"`
	Valid   bool     `parquet:"problem_is_valid"`
}

// flba sign-extends a big-endian two's complement integer to the 13
// bytes of a DECIMAL(30) column.
func flba(b ...byte) []byte {
	fill := byte(0)
	if b[0]&0x80 != 0 {
		fill = 0xff
	}
	return append(bytes.Repeat([]byte{fill}, 13-len(b)), b...)
}

func TestReadSourceParquetLogicalTypes(t *testing.T) {
	src := "amc_aime"
	uuid := [16]byte{0xb4, 0x27, 0x89, 0x75, 0x1f, 0xd1, 0x49, 0x0a, 0xb8, 0x4c, 0x1f, 0xbd, 0x86, 0x68, 0x91, 0x91}
	rows := []typedRow{
		{Problem: "p1", Answer: 150, Big: flba(0xff, 0xfe), UUID: uuid, Source: &src, Valid: true}, // 1.50, -0.002
		{Problem: "p2", Answer: -5, Big: flba(0x00, 0x01, 0x00), Valid: false},                     // -0.05, 0.256
	}
	path := filepath.Join(t.TempDir(), "typed.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[typedRow](f)
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	got, err := readAll(t, path, map[string]string{"answer": "answer", "solution": "big"})
	if err != nil {
		t.Fatal(err)
	}
	want := []Row{
		{"problem": "p1", "answer": "1.50", "solution": "-0.002", "uuid": "b4278975-1fd1-490a-b84c-1fbd86689191", "source": "amc_aime", "problem_is_valid": "true"},
		{"problem": "p2", "answer": "-0.05", "solution": "0.256", "uuid": "00000000-0000-0000-0000-000000000000", "problem_is_valid": "false"},
	}
	if len(got) != len(want) {
		t.Fatalf("rows = %v", got)
	}
	for i := range want {
		for k, v := range want[i] {
			if got[i][k] != v {
				t.Errorf("row %d %s = %q, want %q", i, k, got[i][k], v)
			}
		}
		if _, ok := got[i]["source"]; ok && want[i]["source"] == "" {
			t.Errorf("row %d: a null source came back as %q", i, got[i]["source"])
		}
	}
}

func TestReadSourceParquetMappedColumnMissing(t *testing.T) {
	path := filepath.Join(t.TempDir(), "p.parquet")
	f, _ := os.Create(path)
	w := parquet.NewGenericWriter[struct {
		Problem string `parquet:"problem"`
		Answer  string `parquet:"answer"`
	}](f)
	w.Write([]struct {
		Problem string `parquet:"problem"`
		Answer  string `parquet:"answer"`
	}{{"p", "1"}})
	w.Close()
	f.Close()
	_, err := readAll(t, path, map[string]string{"source": "origin"})
	if err == nil || !strings.Contains(err.Error(), `no column "origin"`) || !strings.Contains(err.Error(), "its columns: problem, answer") {
		t.Fatalf("err = %v, want one naming the mapped column", err)
	}
}

func TestExpandPaths(t *testing.T) {
	dir := t.TempDir()
	for _, n := range []string{"a.jsonl", "b.jsonl", "data[1].jsonl"} {
		os.WriteFile(filepath.Join(dir, n), []byte("{}\n"), 0o644)
	}
	os.Mkdir(filepath.Join(dir, "sub.jsonl"), 0o755)
	os.Symlink(filepath.Join(dir, "a.jsonl"), filepath.Join(dir, "link.json"))
	j := func(n string) string { return filepath.Join(dir, n) }
	tests := []struct {
		name   string
		paths  []string
		want   []string
		errHas string
	}{
		{name: "same file twice, two spellings", paths: []string{j("a.jsonl"), dir + "/./a.jsonl", j("a.jsonl")}, want: []string{j("a.jsonl")}},
		{name: "a glob and a file it matches", paths: []string{j("a.jsonl"), j("*.jsonl")}, want: []string{j("a.jsonl"), j("b.jsonl"), j("data[1].jsonl")}},
		{name: "a link to a listed file", paths: []string{j("a.jsonl"), j("link.json")}, want: []string{j("a.jsonl")}},
		{name: "file name with glob characters", paths: []string{j("data[1].jsonl")}, want: []string{j("data[1].jsonl")}},
		{name: "glob matching only a directory", paths: []string{j("sub*")}, errHas: "matches no file"},
		{name: "glob matching nothing", paths: []string{j("*.parquet")}, errHas: "matches no file"},
		{name: "double star", paths: []string{j("**/x/*.parquet")}, errHas: "one directory level"},
		{name: "missing file", paths: []string{j("nope.jsonl")}, errHas: "does not exist"},
		{name: "directory", paths: []string{j("sub.jsonl")}, errHas: "is a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ExpandPaths(tc.paths)
			if tc.errHas != "" {
				if err == nil || !strings.Contains(err.Error(), tc.errHas) {
					t.Fatalf("err = %v, want %q", err, tc.errHas)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if strings.Join(got, "|") != strings.Join(tc.want, "|") {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestReadSourceParquetRefusesLZ4Raw(t *testing.T) {
	type row struct {
		Problem string `parquet:"problem"`
		Answer  string `parquet:"answer"`
	}
	path := filepath.Join(t.TempDir(), "lz4.parquet")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := parquet.NewGenericWriter[row](f, parquet.Compression(&parquet.Lz4Raw))
	rows := make([]row, 500)
	for i := range rows {
		rows[i] = row{Problem: strings.Repeat("What is the sum of the first n odd numbers? ", i%7+1), Answer: "n^2"}
	}
	if _, err := w.Write(rows); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = readAll(t, path, nil)
	if err == nil || !strings.Contains(err.Error(), "LZ4_RAW") || !strings.Contains(err.Error(), "lz4.parquet") {
		t.Fatalf("err = %v, want one naming the file and LZ4_RAW", err)
	}
}

// TestReadSourceHugeRows reads a 16 MiB problem from JSONL (one line far
// past any scanner buffer) and from parquet (one value far past a page).
func TestReadSourceHugeRows(t *testing.T) {
	if testing.Short() {
		t.Skip("SKIP: writes 16 MiB rows; not in -short")
	}
	huge := "Find x. " + strings.Repeat("x", 16<<20)
	dir := t.TempDir()
	jsonl := filepath.Join(dir, "huge.jsonl")
	os.WriteFile(jsonl, []byte(`{"problem":"`+huge+`","answer":"1"}`+"\n"+`{"problem":"small","answer":"2"}`+"\n"), 0o644)
	pq := filepath.Join(dir, "huge.parquet")
	f, _ := os.Create(pq)
	type row struct {
		Problem string `parquet:"problem"`
		Answer  string `parquet:"answer"`
	}
	w := parquet.NewGenericWriter[row](f)
	w.Write([]row{{huge, "1"}, {"small", "2"}})
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	f.Close()
	for _, path := range []string{jsonl, pq} {
		rows, err := readAll(t, path, nil)
		if err != nil || len(rows) != 2 || rows[0]["problem"] != huge || rows[1]["answer"] != "2" {
			t.Fatalf("%s: %d rows, err %v", filepath.Base(path), len(rows), err)
		}
	}
}
