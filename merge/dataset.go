package merge

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/compress"
	"github.com/parquet-go/parquet-go/compress/zstd"

	"github.com/distillery-hpc/distillery/shard"
)

// Message is one chat turn of the messages column.
type Message struct {
	Content string `parquet:"content" json:"content"`
	Role    string `parquet:"role,dict" json:"role"`
}

// Row is one problem of the dataset, in OpenR1-Math-220k's 14 columns and
// types, in their order. The lists hold one entry per generation, ordered
// by generation index. CorrectnessLlama is nil (null) when no generation of
// the row went to the judge, and holds a nil element for a generation that
// was not judged in a row where another one was. The low-cardinality
// columns are dictionary-encoded (the `dict` tags); that changes their
// encoding on disk, not their type.
type Row struct {
	Problem               string    `parquet:"problem" json:"problem"`
	Solution              string    `parquet:"solution" json:"solution"`
	Answer                string    `parquet:"answer" json:"answer"`
	ProblemType           string    `parquet:"problem_type,dict" json:"problem_type"`
	QuestionType          string    `parquet:"question_type,dict" json:"question_type"`
	Source                string    `parquet:"source,dict" json:"source"`
	UUID                  string    `parquet:"uuid" json:"uuid"`
	IsReasoningComplete   []bool    `parquet:"is_reasoning_complete,list" json:"is_reasoning_complete"`
	Generations           []string  `parquet:"generations,list" json:"generations"`
	CorrectnessMathVerify []bool    `parquet:"correctness_math_verify,list" json:"correctness_math_verify"`
	CorrectnessLlama      []*bool   `parquet:"correctness_llama,optional,list" parquet-element:",optional" json:"correctness_llama"`
	FinishReasons         []string  `parquet:"finish_reasons,list" parquet-element:",dict" json:"finish_reasons"`
	CorrectnessCount      int64     `parquet:"correctness_count" json:"correctness_count"`
	Messages              []Message `parquet:"messages,list" json:"messages"`
}

// ColumnNames returns the dataset's column names, in order.
func ColumnNames() []string {
	return []string{
		"problem", "solution", "answer", "problem_type", "question_type", "source", "uuid",
		"is_reasoning_complete", "generations", "correctness_math_verify", "correctness_llama",
		"finish_reasons", "correctness_count", "messages",
	}
}

// longTextColumns are the columns whose values run to tens of kB. Their
// min/max statistics are not written, neither in the column chunk nor in
// the page headers: parquet-go cannot truncate them (pyarrow drops the ones
// over 4,096 B), and a full generation in every footer made a sixth of a
// file. The column index keeps its own 16-byte truncated bounds.
var longTextColumns = [][]string{
	{"problem"}, {"solution"}, {"answer"},
	{"generations", "list", "element"},
	{"messages", "list", "element", "content"},
}

// writerConfig is what every parquet file of a merge is written with.
type writerConfig struct {
	codec     compress.Codec
	createdBy string
	// hfMetadata is the `huggingface` key-value metadata: the features, in
	// the JSON that datasets' ArrowWriter writes.
	hfMetadata string
	// pageBuffers holds a row group's encoded pages until the row group is
	// written; on disk, so that memory does not hold them (see Run).
	pageBuffers parquet.BufferPool
}

func (wc writerConfig) options() []parquet.WriterOption {
	opts := []parquet.WriterOption{
		parquet.Compression(wc.codec),
		createdByOption(wc.createdBy),
		parquet.KeyValueMetadata("huggingface", wc.hfMetadata),
	}
	if wc.pageBuffers != nil {
		opts = append(opts, parquet.ColumnPageBuffers(wc.pageBuffers))
	}
	for _, c := range longTextColumns {
		opts = append(opts, parquet.SkipPageBounds(c...), parquet.SkipPageStatistics(c...))
	}
	return opts
}

// createdByOption sets the footer's created_by verbatim: parquet-go's
// CreatedBy drops the space before "(build".
type createdByOption string

func (c createdByOption) ConfigureWriter(cfg *parquet.WriterConfig) { cfg.CreatedBy = string(c) }

// codecFor maps [merge] compression to a parquet codec.
func codecFor(name string) (compress.Codec, error) {
	switch name {
	case "zstd", "":
		// Level 1 (SpeedFastest), pyarrow's default: the default level
		// made page compression the largest cost of a merge (twice the
		// time, for files a few percent smaller).
		return &zstd.Codec{Level: zstd.SpeedFastest}, nil
	case "snappy":
		return &parquet.Snappy, nil
	case "uncompressed":
		return &parquet.Uncompressed, nil
	}
	return nil, fmt.Errorf("%q is not a codec merge writes: use \"zstd\" (the default), \"snappy\" or \"uncompressed\"", name)
}

// splitWriter writes one split's rows into numbered parquet files inside
// the temporary dataset directory. The files get their final
// train-NNNNN-of-NNNNN names in finish, once their number is known.
type splitWriter struct {
	name         string
	dir          string // <tmp>/data or <tmp>/<name>
	rowsPerFile  int
	maxFileBytes int64
	cfg          writerConfig
	isDefault    bool

	parts    []string // files written so far, in order
	f        *os.File
	w        *parquet.GenericWriter[Row]
	buf      []Row
	inFile   int   // rows in the open file
	fileRaw  int64 // uncompressed bytes in the open file
	pending  int64 // uncompressed bytes since the last row group
	rows     int
	bytes    int64 // parquet bytes on disk (download_size)
	numBytes int64 // uncompressed (Arrow) bytes (num_bytes)
	sources  map[string]int
}

func newSplitWriter(name, dir string, c Config, wc writerConfig) *splitWriter {
	return &splitWriter{name: name, dir: dir, rowsPerFile: c.RowsPerFile, maxFileBytes: c.MaxFileBytes, cfg: wc, sources: map[string]int{}}
}

func (s *splitWriter) open() error {
	if err := os.MkdirAll(s.dir, shard.DirPerm); err != nil {
		return fmt.Errorf("creating split directory: %w", err)
	}
	path := filepath.Join(s.dir, fmt.Sprintf(".part-%05d.parquet", len(s.parts)))
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating parquet file: %w", err)
	}
	s.f = f
	s.w = parquet.NewGenericWriter[Row](f, s.cfg.options()...)
	s.parts = append(s.parts, path)
	s.inFile, s.fileRaw, s.pending = 0, 0, 0
	return nil
}

// write appends one row, starting a new file when the open one is full:
// a file holds at most max_file_bytes of uncompressed rows (and
// rows_per_file rows), a row group at most maxRowGroupBytes.
func (s *splitWriter) write(r *Row) error {
	n := rowArrowBytes(r)
	if s.w != nil && s.inFile > 0 && (s.fileRaw+n > s.maxFileBytes || s.inFile >= s.rowsPerFile) {
		if err := s.closeFile(); err != nil {
			return err
		}
	}
	if s.w == nil {
		if err := s.open(); err != nil {
			return err
		}
	}
	if s.pending > 0 && s.pending+n > maxRowGroupBytes {
		if err := s.flushRowGroup(); err != nil {
			return err
		}
	}
	s.buf = append(s.buf[:0], *r)
	if _, err := s.w.Write(s.buf); err != nil {
		return fmt.Errorf("writing split %s: %w", s.name, err)
	}
	s.buf[0] = Row{} // drop the references to the row's text
	s.rows++
	s.inFile++
	s.sources[r.Source]++
	s.fileRaw += n
	s.pending += n
	s.numBytes += n
	return nil
}

func (s *splitWriter) flushRowGroup() error {
	if err := s.w.Flush(); err != nil {
		return fmt.Errorf("writing split %s: %w", s.name, err)
	}
	s.pending = 0
	return nil
}

// rowArrowBytes is the size of a row as Arrow holds it in memory, which is
// what datasets reports as num_bytes: the bytes of each string plus its
// 4-byte offset, 4 bytes per list, a byte per boolean (rounded up from
// bits, and a validity bit per nullable value, over-counted here by at most
// a few bytes a row), 8 per int64.
func rowArrowBytes(r *Row) int64 {
	str := func(s string) int64 { return int64(len(s)) + 4 }
	n := str(r.Problem) + str(r.Solution) + str(r.Answer) + str(r.ProblemType) + str(r.QuestionType) + str(r.Source) + str(r.UUID)
	n += 5 * 4 // list offsets
	for _, g := range r.Generations {
		n += str(g)
	}
	for _, f := range r.FinishReasons {
		n += str(f)
	}
	bools := len(r.IsReasoningComplete) + len(r.CorrectnessMathVerify) + 2*len(r.CorrectnessLlama)
	n += int64(bools+7) / 8
	if r.CorrectnessLlama == nil {
		n += 1 // the list's validity bit, rounded
	}
	n += 8 + 4 // correctness_count, messages offset
	for _, m := range r.Messages {
		n += str(m.Content) + str(m.Role)
	}
	return n
}

// closeFile finishes the open file: parquet footer, fsync, close, each
// error checked.
func (s *splitWriter) closeFile() error {
	if s.w == nil {
		return nil
	}
	w, f := s.w, s.f
	s.w, s.f = nil, nil
	if err := w.Close(); err != nil {
		f.Close()
		return fmt.Errorf("finishing %s: %w", f.Name(), err)
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return fmt.Errorf("syncing %s: %w", f.Name(), err)
	}
	st, err := f.Stat()
	if err == nil {
		s.bytes += st.Size()
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("closing %s: %w", f.Name(), err)
	}
	return nil
}

// abort closes the open file without caring about errors: the temporary
// dataset directory is removed anyway.
func (s *splitWriter) abort() {
	if s.w != nil {
		s.w.Close()
		s.f.Close()
		s.w, s.f = nil, nil
	}
}

// finish closes the open file and renames the parts to
// train-NNNNN-of-NNNNN.parquet. It returns the final paths. A split with no
// rows still gets one file, with the schema and no rows, so that readers
// globbing <dir>/train-* see an empty table, not a missing one.
func (s *splitWriter) finish() ([]string, error) {
	if len(s.parts) == 0 && s.w == nil {
		if err := s.open(); err != nil {
			return nil, err
		}
	}
	if err := s.closeFile(); err != nil {
		return nil, err
	}
	out := make([]string, len(s.parts))
	for i, p := range s.parts {
		out[i] = filepath.Join(s.dir, fmt.Sprintf("train-%05d-of-%05d.parquet", i, len(s.parts)))
		if err := os.Rename(p, out[i]); err != nil {
			return nil, fmt.Errorf("naming parquet file: %w", err)
		}
	}
	if len(s.parts) > 0 {
		if err := shard.SyncDir(s.dir); err != nil {
			return nil, err
		}
	}
	return out, nil
}
