package shard

// InputConfig is the [input] section: where the problem set is and how to
// read and filter it.
type InputConfig struct {
	// Paths are parquet (.parquet) or JSON Lines (.jsonl, .ndjson, .json,
	// each also .gz or .zst compressed) files or globs, relative to the
	// config file's directory.
	Paths []string `toml:"paths"`
	// Columns maps our field names (problem, solution, answer, problem_type,
	// question_type, source, uuid, problem_is_valid, solution_is_valid,
	// synthetic) to the column names of the input, where they differ.
	Columns map[string]string `toml:"columns"`
	// DropAnswers lists answers (compared case-insensitively after trimming)
	// that cannot be checked; rows with them are dropped.
	DropAnswers []string `toml:"drop_answers"`
	// RequireValid drops rows whose problem_is_valid or solution_is_valid
	// column is present and says "No" (or false).
	RequireValid bool `toml:"require_valid"`
	// DropSynthetic drops rows marked synthetic.
	DropSynthetic bool `toml:"drop_synthetic"`
	// Sources, when not empty, keeps only rows from these sources.
	Sources []string `toml:"sources"`
	// ExcludeSources drops rows from these sources.
	ExcludeSources []string `toml:"exclude_sources"`
	// QuestionTypes, when not empty, keeps only these question types.
	QuestionTypes []string `toml:"question_types"`
	// Limit keeps at most this many problems after filtering (0: all).
	Limit int `toml:"limit"`
}

// ShardConfig is the [shard] section.
type ShardConfig struct {
	ProblemsPerShard int `toml:"problems_per_shard"`
}

// DefaultInputConfig returns the [input] defaults.
func DefaultInputConfig() InputConfig {
	return InputConfig{
		DropAnswers:  []string{"", "proof", "notfound"},
		RequireValid: true,
	}
}

// DefaultShardConfig returns the [shard] defaults.
func DefaultShardConfig() ShardConfig { return ShardConfig{ProblemsPerShard: 500} }
