package merge

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"
	"go.yaml.in/yaml/v3"
)

// The data-files rules of the datasets library (src/datasets/data_files.py,
// huggingface/datasets main, July 2026), which decide what load_dataset
// reads from a directory.
//
// Without a card (_get_data_files_patterns): first SPLIT_PATTERN_SHARDED,
// "data/{split}-[0-9][0-9][0-9][0-9][0-9]-of-[0-9][0-9][0-9][0-9][0-9]*.*"
// with {split} as "*"; when it matches, each split is the part of the
// file name the pattern's {split} takes, and its files are that pattern
// with the split filled in. Only when it matches nothing do the keyword
// patterns apply: a split keyword as a directory name
// (KEYWORDS_IN_DIR_NAME_BASE_PATTERNS, "**/{keyword}/**", ...), then in a
// file name ("**/{keyword}[-._ 0-9]*", "**/*[-._ 0-9]{keyword}[-._ 0-9]*"),
// then "**" as train. resolve_pattern globs with fsspec (in fsspec >=
// 2023.12 as Python's glob: "*" stays within a path segment, "**" spans
// segments), skips hidden files and directories (a part starting with
// "."), directories starting with "__", and README.md, config.json,
// dataset_info.json, dataset_infos.json, dummy_data.zip,
// dataset_dict.json (FILES_TO_IGNORE).
//
// With a card, each configs[] entry's data_files is a list of
// {split, path} where path is a pattern or a list of patterns
// (sanitize_patterns), resolved the same way.
var (
	splitPatternSharded = "data/{split}-[0-9][0-9][0-9][0-9][0-9]-of-[0-9][0-9][0-9][0-9][0-9]*.*"
	filesToIgnore       = []string{"README.md", "config.json", "dataset_info.json", "dataset_infos.json", "dummy_data.zip", "dataset_dict.json"}
	splitKeywords       = map[string][]string{
		"train":      {"train", "training"},
		"validation": {"validation", "valid", "dev", "val"},
		"test":       {"test", "testing", "eval", "evaluation"},
	}
)

// resolvePattern is datasets' resolve_pattern on a local directory: the
// files under base (relative, slash-separated) that pattern matches.
func resolvePattern(t *testing.T, base, pattern string) []string {
	t.Helper()
	var out []string
	filepath.WalkDir(base, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(base, p)
		rel = filepath.ToSlash(rel)
		if slices.Contains(filesToIgnore, path.Base(rel)) || !globMatch(strings.Split(pattern, "/"), strings.Split(rel, "/")) {
			return nil
		}
		if hiddenParts(rel) != hiddenParts(pattern) || specialParts(path.Dir(rel)) != specialParts(path.Dir(pattern)) {
			return nil
		}
		out = append(out, rel)
		return nil
	})
	slices.Sort(out)
	return out
}

func hiddenParts(p string) int {
	n := 0
	for _, part := range strings.Split(p, "/") {
		if strings.HasPrefix(part, ".") && strings.Trim(part, ".") != "" {
			n++
		}
	}
	return n
}

func specialParts(dir string) int {
	n := 0
	for _, part := range strings.Split(dir, "/") {
		if strings.HasPrefix(part, "__") {
			n++
		}
	}
	return n
}

// globMatch matches path segments against pattern segments as Python's
// glob does: "**" any number of segments, otherwise fnmatch per segment.
func globMatch(pat, segs []string) bool {
	if len(pat) == 0 {
		return len(segs) == 0
	}
	if pat[0] == "**" {
		for i := 0; i <= len(segs); i++ {
			if globMatch(pat[1:], segs[i:]) {
				return true
			}
		}
		return false
	}
	if len(segs) == 0 {
		return false
	}
	ok, err := path.Match(pat[0], segs[0])
	return err == nil && ok && globMatch(pat[1:], segs[1:])
}

// dataFilesWithoutCard is _get_data_files_patterns, resolved: split name
// to files.
func dataFilesWithoutCard(t *testing.T, dir string) map[string][]string {
	t.Helper()
	if files := resolvePattern(t, dir, strings.ReplaceAll(splitPatternSharded, "{split}", "*")); len(files) > 0 {
		re := regexp.MustCompile(`^(.*)-[0-9]{5}-of-[0-9]{5}.*\..*$`)
		out := map[string][]string{}
		for _, f := range files {
			split := re.FindStringSubmatch(path.Base(f))[1]
			out[split] = resolvePattern(t, dir, strings.ReplaceAll(splitPatternSharded, "{split}", split))
		}
		return out
	}
	sep := "-._ 0-9"
	for _, bases := range [][]string{
		{"**/{keyword}/**", "**/{keyword}[{sep}]*/**", "**/*[{sep}]{keyword}/**", "**/*[{sep}]{keyword}[{sep}]*/**"},
		{"**/{keyword}[{sep}]*", "**/*[{sep}]{keyword}[{sep}]*"},
	} {
		out := map[string][]string{}
		for split, kws := range splitKeywords {
			for _, kw := range kws {
				for _, b := range bases {
					p := strings.NewReplacer("{keyword}", kw, "{sep}", sep).Replace(b)
					if fs := resolvePattern(t, dir, p); len(fs) > 0 && out[split] == nil {
						out[split] = fs
					}
				}
			}
		}
		if len(out) > 0 {
			return out
		}
	}
	return map[string][]string{"train": resolvePattern(t, dir, "**")}
}

// hubCard is the part of a dataset card's YAML that datasets reads.
type hubCard struct {
	License string `yaml:"license"`
	Configs []struct {
		Name      string `yaml:"config_name"`
		Default   bool   `yaml:"default"`
		DataFiles []struct {
			Split string `yaml:"split"`
			Path  any    `yaml:"path"` // a pattern or a list of them
		} `yaml:"data_files"`
	} `yaml:"configs"`
	DatasetInfo []struct {
		Name     string `yaml:"config_name"`
		Features []struct {
			Name string `yaml:"name"`
		} `yaml:"features"`
		Splits []struct {
			Name        string `yaml:"name"`
			NumBytes    *int64 `yaml:"num_bytes"`
			NumExamples *int64 `yaml:"num_examples"`
		} `yaml:"splits"`
		DownloadSize *int64 `yaml:"download_size"`
		DatasetSize  *int64 `yaml:"dataset_size"`
	} `yaml:"dataset_info"`
}

func readHubCard(t *testing.T, dir string) hubCard {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.SplitN(string(b), "---\n", 3)
	if len(parts) != 3 || parts[0] != "" {
		t.Fatalf("card has no YAML front matter:\n%s", b)
	}
	var c hubCard
	if err := yaml.Unmarshal([]byte(parts[1]), &c); err != nil {
		t.Fatalf("card YAML: %v\n%s", err, parts[1])
	}
	return c
}

// dataFilesFromCard resolves each config's train split.
func dataFilesFromCard(t *testing.T, dir string, c hubCard) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, cfg := range c.Configs {
		for _, df := range cfg.DataFiles {
			if df.Split != "train" {
				t.Errorf("config %s has split %q", cfg.Name, df.Split)
			}
			var pats []string
			switch p := df.Path.(type) {
			case string:
				pats = []string{p}
			case []any:
				for _, x := range p {
					pats = append(pats, x.(string))
				}
			default:
				t.Fatalf("config %s path is %T", cfg.Name, df.Path)
			}
			for _, p := range pats {
				fs := resolvePattern(t, dir, p)
				if len(fs) == 0 {
					t.Errorf("config %s: pattern %s matches nothing", cfg.Name, p)
				}
				out[cfg.Name] = append(out[cfg.Name], fs...)
			}
		}
	}
	return out
}

func parquetRows(t *testing.T, dir string, files []string) (rows, bytes int64) {
	t.Helper()
	for _, f := range files {
		fh, err := os.Open(filepath.Join(dir, f))
		if err != nil {
			t.Fatal(err)
		}
		st, _ := fh.Stat()
		pf, err := parquet.OpenFile(fh, st.Size())
		if err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		rows += pf.NumRows()
		bytes += st.Size()
		fh.Close()
	}
	return rows, bytes
}

// TestDatasetLayoutByDatasetsRules merges the fixture run and reads the
// dataset by the datasets library's own rules, with the card and without.
func TestDatasetLayoutByDatasetsRules(t *testing.T) {
	l := writeRun(t, t.TempDir(), e2eShards(), nil)
	js := newJudgeServer(t)
	opts := testOptions(l, judgeClient(t, js.URL), js.URL)
	opts.Config.MaxFileBytes = 1 // one row per file: several files per config
	sum, err := Run(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	dir := l.DatasetDir()

	t.Run("without a card", func(t *testing.T) {
		got := dataFilesWithoutCard(t, dir)
		want := map[string][]string{"train": {"data/train-00000-of-00003.parquet", "data/train-00001-of-00003.parquet", "data/train-00002-of-00003.parquet"}}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("datasets without the card reads %v, want %v (the default config only)", got, want)
		}
	})

	card := readHubCard(t, dir)
	files := dataFilesFromCard(t, dir, card)
	t.Run("configs", func(t *testing.T) {
		var names []string
		for _, c := range card.Configs {
			names = append(names, c.Name)
			if c.Default != (c.Name == "default") {
				t.Errorf("config %s default = %v", c.Name, c.Default)
			}
		}
		if !reflect.DeepEqual(names, []string{"all", "default", "extended"}) {
			t.Errorf("configs = %v", names)
		}
		if card.License != DefaultLicense {
			t.Errorf("license = %q", card.License)
		}
		union := append(slices.Clone(files["default"]), files["extended"]...)
		slices.Sort(union)
		all := slices.Clone(files["all"])
		slices.Sort(all)
		if !reflect.DeepEqual(all, union) || len(files["default"]) != 3 || len(files["extended"]) != 1 {
			t.Errorf("all = %v, want default + extended = %v", all, union)
		}
		for _, f := range files["extended"] {
			if !strings.HasPrefix(f, "extended/train-") {
				t.Errorf("extended file %s", f)
			}
		}
	})

	t.Run("dataset_info", func(t *testing.T) {
		if len(card.DatasetInfo) != 3 {
			t.Fatalf("dataset_info has %d configs", len(card.DatasetInfo))
		}
		var sumBytes int64
		for _, sp := range sum.Splits {
			sumBytes += sp.NumBytes
		}
		for _, di := range card.DatasetInfo {
			var feats []string
			for _, f := range di.Features {
				feats = append(feats, f.Name)
			}
			if !reflect.DeepEqual(feats, ColumnNames()) {
				t.Errorf("%s features = %v", di.Name, feats)
			}
			if len(di.Splits) != 1 || di.Splits[0].Name != "train" || di.Splits[0].NumBytes == nil || di.Splits[0].NumExamples == nil ||
				di.DownloadSize == nil || di.DatasetSize == nil {
				t.Fatalf("%s dataset_info lacks a key: %+v", di.Name, di)
			}
			rows, bytes := parquetRows(t, dir, files[di.Name])
			if *di.Splits[0].NumExamples != rows || *di.DownloadSize != bytes || *di.DatasetSize != *di.Splits[0].NumBytes || *di.DatasetSize <= 0 {
				t.Errorf("%s: num_examples %d download_size %d dataset_size %d num_bytes %d; the files hold %d rows in %d bytes",
					di.Name, *di.Splits[0].NumExamples, *di.DownloadSize, *di.DatasetSize, *di.Splits[0].NumBytes, rows, bytes)
			}
			if di.Name == "all" && *di.DatasetSize != sumBytes {
				t.Errorf("all dataset_size %d, want %d", *di.DatasetSize, sumBytes)
			}
		}
	})

	t.Run("parquet metadata", func(t *testing.T) {
		for _, f := range files["all"] {
			fh, err := os.Open(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			st, _ := fh.Stat()
			pf, err := parquet.OpenFile(fh, st.Size())
			if err != nil {
				t.Fatal(err)
			}
			md := pf.Metadata()
			if !regexp.MustCompile(`^distillery version \S+ \(build \S+\)$`).MatchString(md.CreatedBy) {
				t.Errorf("%s created_by = %q", f, md.CreatedBy)
			}
			hf, ok := pf.Lookup("huggingface")
			if !ok {
				t.Fatalf("%s has no huggingface metadata", f)
			}
			var meta struct {
				Info struct {
					Features json.RawMessage `json:"features"`
				} `json:"info"`
			}
			if err := json.Unmarshal([]byte(hf), &meta); err != nil {
				t.Fatalf("huggingface metadata: %v\n%s", err, hf)
			}
			if keys := jsonKeys(t, meta.Info.Features); !reflect.DeepEqual(keys, ColumnNames()) {
				t.Errorf("huggingface features = %v", keys)
			}
			dict := map[string]bool{}
			for _, rg := range md.RowGroups {
				for _, cc := range rg.Columns {
					p := strings.Join(cc.MetaData.PathInSchema, ".")
					for _, e := range cc.MetaData.Encoding {
						if e == format.RLEDictionary {
							dict[p] = true
						}
					}
				}
			}
			for _, c := range []string{"source", "problem_type", "question_type", "finish_reasons.list.element", "messages.list.element.role"} {
				if !dict[c] {
					t.Errorf("%s: column %s is not dictionary-encoded", f, c)
				}
			}
			fh.Close()
		}
	})
}

// jsonKeys lists an object's keys in order.
func jsonKeys(t *testing.T, raw json.RawMessage) []string {
	t.Helper()
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		t.Fatalf("not an object: %s", raw)
	}
	var keys []string
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			t.Fatal(err)
		}
		keys = append(keys, tok.(string))
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			t.Fatal(err)
		}
	}
	return keys
}

// TestParquetFileLimits: long text leaves no statistic over 4,096 bytes in
// the footer or the column index; files are cut by uncompressed bytes and
// row groups stay under maxRowGroupBytes; [merge] compression picks the
// codec.
func TestParquetFileLimits(t *testing.T) {
	long := strings.Repeat("Wait, let me check that again. ", 2000) // 62 kB
	for _, codec := range []string{"zstd", "snappy"} {
		t.Run(codec, func(t *testing.T) {
			c := DefaultConfig()
			c.Compression = codec
			c.MaxFileBytes = 300_000
			m, err := newMerger(Options{Config: c, Version: "v1.2.3"})
			if err != nil {
				t.Fatal(err)
			}
			wc, err := m.writerConfig()
			if err != nil {
				t.Fatal(err)
			}
			w := newSplitWriter("default", t.TempDir(), m.opts.Config, wc)
			for i := range 10 {
				r := rowFrom(long+string(rune('a'+i)), 3, uint32(i))
				r.UUID = fmt.Sprintf("uuid-%d", i)
				r.Generations = []string{long, long + "x", "z" + long}
				r.Messages[1].Content = long
				if err := w.write(&r); err != nil {
					t.Fatal(err)
				}
			}
			files, err := w.finish()
			if err != nil {
				t.Fatal(err)
			}
			// A row is ~320 kB uncompressed: one per file at this limit.
			if len(files) != 10 {
				t.Errorf("%d files for 10 rows of ~320 kB at max_file_bytes 300000", len(files))
			}
			want := map[string]format.CompressionCodec{"zstd": format.Zstd, "snappy": format.Snappy}[codec]
			for _, f := range files {
				fh, _ := os.Open(f)
				st, _ := fh.Stat()
				pf, err := parquet.OpenFile(fh, st.Size())
				if err != nil {
					t.Fatal(err)
				}
				md := pf.Metadata()
				if md.CreatedBy != "distillery version v1.2.3 (build unknown)" {
					t.Errorf("created_by = %q", md.CreatedBy)
				}
				for _, rg := range md.RowGroups {
					if rg.TotalByteSize > maxRowGroupBytes+int64(len(long))*8 {
						t.Errorf("row group of %d uncompressed bytes", rg.TotalByteSize)
					}
					for _, cc := range rg.Columns {
						s := cc.MetaData.Statistics
						for _, v := range [][]byte{s.MinValue, s.MaxValue, s.Min, s.Max} {
							if len(v) > 4096 {
								t.Errorf("column %v has a %d-byte statistic", cc.MetaData.PathInSchema, len(v))
							}
						}
						if cc.MetaData.Codec != want {
							t.Errorf("column %v codec %v, want %v", cc.MetaData.PathInSchema, cc.MetaData.Codec, want)
						}
					}
				}
				for _, idx := range pf.ColumnIndexes() {
					for _, v := range append(idx.MinValues, idx.MaxValues...) {
						if len(v) > 4096 {
							t.Errorf("a column index holds a %d-byte bound", len(v))
						}
					}
				}
				fh.Close()
			}
		})
	}
}
