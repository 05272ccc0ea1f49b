package merge

import (
	"time"

	"github.com/distillery-hpc/distillery/slurm"
)

// Split is one [[merge.splits]] rule: a problem goes to a split when its
// source is in IncludeSources (or IncludeSources is empty) and not in
// ExcludeSources. A problem may land in several splits.
type Split struct {
	Name           string   `toml:"name"`
	IncludeSources []string `toml:"include_sources"`
	ExcludeSources []string `toml:"exclude_sources"`
}

// Config is the [merge] section.
type Config struct {
	Splits []Split `toml:"splits"`
	// RowsPerFile caps the rows in one parquet file of a split.
	RowsPerFile int `toml:"rows_per_file"`
	// MinCorrect is the number of correct generations a problem needs to be
	// kept.
	MinCorrect int `toml:"min_correct"`
	// AllowIncomplete merges even when some shards have no done marker.
	AllowIncomplete bool `toml:"allow_incomplete"`
	// Workers is the number of answers verified at once; 0 means one per
	// core.
	Workers int `toml:"workers"`
}

// JudgeConfig is the [judge] section: the LLM judge that rules on answers
// the verifier calls unsure.
type JudgeConfig struct {
	Enabled bool `toml:"enabled"`
	// Endpoint is the judge server's base URL; empty means: `local` uses the
	// embedded simulator, the merge job the server it starts.
	Endpoint       string        `toml:"endpoint"`
	Model          string        `toml:"model"`
	APIKeyEnv      string        `toml:"api_key_env"`
	MaxTokens      int           `toml:"max_tokens"`
	Temperature    float64       `toml:"temperature"`
	Concurrency    int           `toml:"concurrency"`
	RequestTimeout time.Duration `toml:"request_timeout"`
	// MaxRetries is how often one judge request is retried on connection
	// errors, 5xx and 429 before it counts as a judge error.
	MaxRetries int `toml:"max_retries"`
	// WaitForServer is how long merge waits for the judge endpoint to
	// answer its health check before giving up with an error. A merge job
	// that starts its own judge server sets it to the model's load time.
	WaitForServer time.Duration `toml:"wait_for_server"`
	// MaxSolutionChars caps what the judge sees of a generation: the text
	// after </think> (or the whole text), cut to its last this many bytes.
	// 0: no cap.
	MaxSolutionChars int `toml:"max_solution_chars"`
	// Cache keeps the judge's rulings in <run.dir>/judge/verdicts.jsonl
	// and reuses them when merging again.
	Cache  bool               `toml:"cache"`
	Server slurm.ServerConfig `toml:"server"`
}

// DefaultConfig returns OpenR1's split rules: "default" leaves out cn_k12,
// "extended" is cn_k12 (OpenR1-Math-220k's two configs are disjoint).
func DefaultConfig() Config {
	return Config{
		Splits: []Split{
			{Name: "default", ExcludeSources: []string{"cn_k12"}},
			{Name: "extended", IncludeSources: []string{"cn_k12"}},
		},
		RowsPerFile: 50000,
		MinCorrect:  1,
	}
}

// DefaultJudgeConfig returns the judge defaults: Llama-3.3-70B-Instruct.
func DefaultJudgeConfig() JudgeConfig {
	srv := slurm.DefaultServerConfig()
	srv.ModelPath = "meta-llama/Llama-3.3-70B-Instruct"
	srv.TP = 4
	srv.MaxRunningRequests = 128
	srv.Port = 30001
	return JudgeConfig{
		Enabled:          true,
		Model:            "meta-llama/Llama-3.3-70B-Instruct",
		APIKeyEnv:        "DISTILLERY_JUDGE_API_KEY",
		MaxTokens:        2048,
		Temperature:      0,
		Concurrency:      64,
		RequestTimeout:   10 * time.Minute,
		MaxRetries:       5,
		WaitForServer:    20 * time.Second,
		MaxSolutionChars: 16000,
		Cache:            true,
		Server:           srv,
	}
}
