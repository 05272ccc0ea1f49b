package merge

import (
	"fmt"
	"regexp"
	"time"
)

// Split is one [[merge.splits]] rule, a config of the dataset. A kept row
// goes to a split when every condition holds:
//   - its source is in IncludeSources (or IncludeSources is empty) and not
//     in ExcludeSources;
//   - its question_type is in IncludeQuestionTypes (or that is empty) and
//     not in ExcludeQuestionTypes;
//   - it has at least MinCorrect correct generations (0: merge.min_correct,
//     which every kept row already has);
//   - with RequireCompleteReasoning, at least that many of its correct
//     generations have complete reasoning (finish_reason "stop", think
//     block closed).
//
// A row may land in several splits; the `all` config is written only when
// no row did.
type Split struct {
	Name                     string   `toml:"name"`
	IncludeSources           []string `toml:"include_sources"`
	ExcludeSources           []string `toml:"exclude_sources"`
	IncludeQuestionTypes     []string `toml:"include_question_types"`
	ExcludeQuestionTypes     []string `toml:"exclude_question_types"`
	MinCorrect               int      `toml:"min_correct"`
	RequireCompleteReasoning bool     `toml:"require_complete_reasoning"`
}

// Config is the [merge] section.
type Config struct {
	Splits []Split `toml:"splits"`
	// RowsPerFile caps the rows in one parquet file of a split.
	RowsPerFile int `toml:"rows_per_file"`
	// MaxFileBytes cuts a split's parquet files by the uncompressed size of
	// their rows (as Arrow holds them); the Hub's own datasets use ~500 MB.
	MaxFileBytes int64 `toml:"max_file_bytes"`
	// Compression is the parquet codec: "zstd" (the default), "snappy"
	// (for readers without zstd) or "uncompressed".
	Compression string `toml:"compression"`
	// License is the dataset card's license (a Hub license id).
	License string `toml:"license"`
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
	// JudgeRejected also sends the judge the generations the verifier
	// called different, when their reasoning is complete and their answer
	// is boxed, as OpenR1 did (it recovered ~12% of its samples so).
	JudgeRejected bool `toml:"judge_rejected"`
	// Cache keeps the judge's rulings in <run.dir>/judge/verdicts.jsonl
	// and reuses them when merging again.
	Cache bool `toml:"cache"`
}

// DefaultConfig returns OpenR1's split rules: "default" leaves out cn_k12,
// "extended" is cn_k12 (OpenR1-Math-220k's two configs are disjoint).
func DefaultConfig() Config {
	return Config{
		Splits: []Split{
			{Name: "default", ExcludeSources: []string{"cn_k12"}},
			{Name: "extended", IncludeSources: []string{"cn_k12"}},
		},
		RowsPerFile:  50000,
		MaxFileBytes: DefaultMaxFileBytes,
		Compression:  "zstd",
		License:      DefaultLicense,
		MinCorrect:   1,
	}
}

// DefaultMaxFileBytes is the uncompressed size at which a split's file is
// cut: about what OpenR1-Math-220k's files hold (~500 MB of rows, ~214 MB
// of zstd parquet).
const DefaultMaxFileBytes = 500_000_000

// DefaultLicense is OpenR1-Math-220k's license. The traces are the model's
// output and the problems NuminaMath-1.5's (apache-2.0); a run on other
// problems or another model's terms sets [merge] license.
const DefaultLicense = "apache-2.0"

// maxRowGroupBytes caps the uncompressed size of a row group: the Hub's
// dataset viewer reads row groups of at most 100 MB.
const maxRowGroupBytes = 64 << 20

// Validate reports every problem with the [merge] section at once, each
// naming its key.
func (c Config) Validate() []error {
	var errs []error
	bad := func(key, format string, args ...any) {
		errs = append(errs, fmt.Errorf("merge.%s: %s", key, fmt.Sprintf(format, args...)))
	}
	if len(c.Splits) == 0 {
		bad("splits", "at least one split is needed")
	}
	seen := map[string]bool{}
	for i, s := range c.Splits {
		key := fmt.Sprintf("splits[%d].name", i)
		switch {
		case s.Name == "":
			bad(key, "must not be empty")
		case !splitNameRE.MatchString(s.Name):
			bad(key, "%q is not a config name the Hub takes (letters, digits, '_' and '-', starting with a letter or digit)", s.Name)
		case s.Name == AllConfig || s.Name == "data":
			bad(key, "%q is reserved (%q is the union of the splits, data/ holds the default config)", s.Name, AllConfig)
		case seen[s.Name]:
			bad(key, "%q appears twice", s.Name)
		}
		seen[s.Name] = true
		if s.MinCorrect < 0 {
			bad(fmt.Sprintf("splits[%d].min_correct", i), "must not be negative (0 means merge.min_correct)")
		}
	}
	if c.MinCorrect < 1 {
		bad("min_correct", "must be at least 1")
	}
	if c.RowsPerFile < 1 {
		bad("rows_per_file", "must be at least 1")
	}
	if c.MaxFileBytes < 1 {
		bad("max_file_bytes", "must be at least 1 (the Hub's own datasets use ~500000000)")
	}
	if _, err := codecFor(c.Compression); err != nil {
		bad("compression", "%v", err)
	}
	if c.License == "" {
		bad("license", "must not be empty (a Hub license id such as %q, or \"other\")", DefaultLicense)
	}
	return errs
}

// AllConfig is the name of the config that lists every split's files.
const AllConfig = "all"

var splitNameRE = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_-]*$`)

// DefaultJudgeConfig returns the judge defaults: Llama-3.3-70B-Instruct.
// The server the merge job starts for it is configured in cmd.
func DefaultJudgeConfig() JudgeConfig {
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
		JudgeRejected:    true,
		Cache:            true,
	}
}
