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
	Workers         int  `toml:"workers"`
}

// JudgeConfig is the [judge] section: the LLM judge that rules on answers
// the verifier calls unsure.
type JudgeConfig struct {
	Enabled bool `toml:"enabled"`
	// Endpoint is the judge server's base URL; empty means: `local` uses the
	// embedded simulator, the merge job the server it starts.
	Endpoint       string             `toml:"endpoint"`
	Model          string             `toml:"model"`
	APIKeyEnv      string             `toml:"api_key_env"`
	MaxTokens      int                `toml:"max_tokens"`
	Temperature    float64            `toml:"temperature"`
	Concurrency    int                `toml:"concurrency"`
	RequestTimeout time.Duration      `toml:"request_timeout"`
	Server         slurm.ServerConfig `toml:"server"`
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
		Enabled:        true,
		Model:          "meta-llama/Llama-3.3-70B-Instruct",
		APIKeyEnv:      "DISTILLERY_JUDGE_API_KEY",
		MaxTokens:      2048,
		Temperature:    0,
		Concurrency:    64,
		RequestTimeout: 10 * time.Minute,
		Server:         srv,
	}
}
