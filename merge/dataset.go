package merge

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/parquet-go/parquet-go"

	"github.com/distillery-hpc/distillery/shard"
)

// Message is one chat turn of the messages column.
type Message struct {
	Content string `parquet:"content" json:"content"`
	Role    string `parquet:"role" json:"role"`
}

// Row is one problem of the dataset, in OpenR1-Math-220k's 14 columns and
// types, in their order. The lists hold one entry per generation, ordered
// by generation index. CorrectnessLlama is nil (null) when no generation of
// the row went to the judge, and holds a nil element for a generation that
// was not judged in a row where another one was.
type Row struct {
	Problem               string    `parquet:"problem" json:"problem"`
	Solution              string    `parquet:"solution" json:"solution"`
	Answer                string    `parquet:"answer" json:"answer"`
	ProblemType           string    `parquet:"problem_type" json:"problem_type"`
	QuestionType          string    `parquet:"question_type" json:"question_type"`
	Source                string    `parquet:"source" json:"source"`
	UUID                  string    `parquet:"uuid" json:"uuid"`
	IsReasoningComplete   []bool    `parquet:"is_reasoning_complete,list" json:"is_reasoning_complete"`
	Generations           []string  `parquet:"generations,list" json:"generations"`
	CorrectnessMathVerify []bool    `parquet:"correctness_math_verify,list" json:"correctness_math_verify"`
	CorrectnessLlama      []*bool   `parquet:"correctness_llama,optional,list" parquet-element:",optional" json:"correctness_llama"`
	FinishReasons         []string  `parquet:"finish_reasons,list" json:"finish_reasons"`
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

// rowGroupBytes is the text a split writer buffers before it cuts a row
// group. parquet-go holds a row group in memory until it is flushed; with
// generations of up to ~60 kB each, a row count alone would not bound
// memory. 64 MiB keeps a merge's memory near one shard's worth and gives
// row groups of the size dataset viewers read well.
const rowGroupBytes = 64 << 20

// splitWriter writes one split's rows into numbered parquet files inside
// the temporary dataset directory. The files get their final
// train-NNNNN-of-NNNNN names in finish, once their number is known.
type splitWriter struct {
	name        string
	dir         string // <tmp>/data/<name>
	rowsPerFile int

	parts   []string // files written so far, in order
	f       *os.File
	w       *parquet.GenericWriter[Row]
	inFile  int // rows in the open file
	pending int // text bytes since the last row group
	rows    int
	bytes   int64
	sources map[string]int
}

func newSplitWriter(name, dir string, rowsPerFile int) *splitWriter {
	return &splitWriter{name: name, dir: dir, rowsPerFile: rowsPerFile, sources: map[string]int{}}
}

func (s *splitWriter) open() error {
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("creating split directory: %w", err)
	}
	path := filepath.Join(s.dir, fmt.Sprintf("part-%05d.parquet", len(s.parts)))
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("creating parquet file: %w", err)
	}
	s.f = f
	s.w = parquet.NewGenericWriter[Row](f,
		parquet.Compression(&parquet.Zstd),
		parquet.CreatedBy("distillery", "", ""),
	)
	s.parts = append(s.parts, path)
	s.inFile = 0
	s.pending = 0
	return nil
}

// write appends one row, starting a new file when the open one is full.
func (s *splitWriter) write(r *Row) error {
	if s.w == nil {
		if err := s.open(); err != nil {
			return err
		}
	}
	if _, err := s.w.Write([]Row{*r}); err != nil {
		return fmt.Errorf("writing split %s: %w", s.name, err)
	}
	s.rows++
	s.inFile++
	s.sources[r.Source]++
	s.pending += rowTextBytes(r)
	if s.inFile >= s.rowsPerFile {
		return s.closeFile()
	}
	if s.pending >= rowGroupBytes {
		if err := s.w.Flush(); err != nil {
			return fmt.Errorf("writing split %s: %w", s.name, err)
		}
		s.pending = 0
	}
	return nil
}

func rowTextBytes(r *Row) int {
	n := len(r.Problem) + len(r.Solution) + len(r.Answer) + 64
	for _, g := range r.Generations {
		n += len(g)
	}
	for _, m := range r.Messages {
		n += len(m.Content)
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
// globbing data/<split>/*.parquet see an empty table, not a missing one.
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
