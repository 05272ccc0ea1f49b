package shard

import (
	"fmt"
	"path/filepath"
	"time"
)

// Problem is one planned problem, in NuminaMath-1.5 columns. It is the line
// format of the input shards.
type Problem struct {
	UUID            string `json:"uuid"`
	Problem         string `json:"problem"`
	Solution        string `json:"solution"`
	Answer          string `json:"answer"`
	ProblemType     string `json:"problem_type"`
	QuestionType    string `json:"question_type"`
	Source          string `json:"source"`
	ProblemIsValid  string `json:"problem_is_valid,omitempty"`
	SolutionIsValid string `json:"solution_is_valid,omitempty"`
	Synthetic       *bool  `json:"synthetic,omitempty"`
}

// Generation is one model generation for one problem: the line format of the
// output shards. (UUID, Index) identifies it within a run.
type Generation struct {
	UUID             string    `json:"uuid"`
	Index            int       `json:"index"` // 0-based generation number
	Text             string    `json:"text"`
	FinishReason     string    `json:"finish_reason"`
	PromptTokens     int       `json:"prompt_tokens"`
	CompletionTokens int       `json:"completion_tokens"`
	LatencyMS        int64     `json:"latency_ms"`
	Model            string    `json:"model"`
	StartedAt        time.Time `json:"started_at"`
	FinishedAt       time.Time `json:"finished_at"`
	Host             string    `json:"host"`
	Attempts         int       `json:"attempts,omitempty"` // HTTP attempts it took
	JobID            string    `json:"job_id,omitempty"`   // Slurm job (and array task) that wrote it
}

// Key identifies a generation within a run.
type Key struct {
	UUID  string
	Index int
}

// Key returns the (uuid, index) pair of g.
func (g *Generation) Key() Key { return Key{UUID: g.UUID, Index: g.Index} }

// Plan is the manifest <run.dir>/plan.json.
type Plan struct {
	// Version is the plan format: 1 had no generation settings but
	// num_generations; 2 (PlanVersion) records them all.
	Version int `json:"version"`
	// PlanHash covers everything that decides the shards and their
	// traces: the input files' contents, the [input] and [shard] config
	// and (from version 2) the generation Settings. Planning again with
	// the same PlanHash is a no-op; a different one over the same run dir
	// is refused.
	PlanHash string `json:"plan_hash"`
	// ConfigHash is the hash of the whole effective config at plan time.
	ConfigHash string         `json:"config_hash"`
	CreatedAt  time.Time      `json:"created_at"`
	Inputs     []InputFile    `json:"inputs"`
	Rows       int            `json:"rows"`     // rows read from the inputs
	Problems   int            `json:"problems"` // rows kept
	Dropped    map[string]int `json:"dropped"`  // reason -> rows dropped
	// Settings are the generation settings: what shapes every trace of
	// the run. Their fields are top-level keys of plan.json (model,
	// prompt_template, ...). A version 1 plan has only num_generations of
	// them.
	Settings
	Shards []ShardInfo `json:"shards"`
}

// HasSettings reports whether the plan records its generation settings
// (version 2 and later); for an older plan they come from the config.
func (p *Plan) HasSettings() bool { return p.Version >= 2 }

// InputFile is one file the plan read.
type InputFile struct {
	Path   string `json:"path"`
	SHA256 string `json:"sha256"`
	Rows   int    `json:"rows"`
}

// ShardInfo describes one input shard.
type ShardInfo struct {
	ID       int    `json:"id"`
	Problems int    `json:"problems"`
	SHA256   string `json:"sha256"` // of the uncompressed JSONL content
	File     string `json:"file"`   // relative to the run dir
}

// Done is the done marker <run.dir>/output/shard-NNNNN.done.json, written
// atomically once every (uuid, index) of the shard is in the output file.
type Done struct {
	Shard       int       `json:"shard"`
	Problems    int       `json:"problems"`
	Generations int       `json:"generations"`
	InputSHA256 string    `json:"input_sha256"`
	OutputBytes int64     `json:"output_bytes"`
	OutputSHA   string    `json:"output_sha256"` // of the compressed output file
	Tokens      int64     `json:"completion_tokens"`
	Model       string    `json:"model"`
	Host        string    `json:"host"`
	JobID       string    `json:"job_id,omitempty"`
	CompletedAt time.Time `json:"completed_at"`
}

// Layout names the files of a run directory.
type Layout struct{ Dir string }

// ShardName is the base name shared by a shard's files: shard-NNNNN.
func ShardName(id int) string { return fmt.Sprintf("shard-%05d", id) }

func (l Layout) PlanFile() string    { return filepath.Join(l.Dir, "plan.json") }
func (l Layout) InputDir() string    { return filepath.Join(l.Dir, "input") }
func (l Layout) OutputDir() string   { return filepath.Join(l.Dir, "output") }
func (l Layout) LogDir() string      { return filepath.Join(l.Dir, "logs") }
func (l Layout) SlurmDir() string    { return filepath.Join(l.Dir, "slurm") }
func (l Layout) DatasetDir() string  { return filepath.Join(l.Dir, "dataset") }
func (l Layout) Input(id int) string { return filepath.Join(l.InputDir(), ShardName(id)+".jsonl.zst") }
func (l Layout) Output(id int) string {
	return filepath.Join(l.OutputDir(), ShardName(id)+".jsonl.zst")
}
func (l Layout) DoneMarker(id int) string {
	return filepath.Join(l.OutputDir(), ShardName(id)+".done.json")
}
func (l Layout) Lease(id int) string { return filepath.Join(l.OutputDir(), ShardName(id)+".lease") }
