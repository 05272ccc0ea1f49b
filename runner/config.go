package runner

import (
	"time"

	"github.com/distillery-hpc/distillery/shard"
)

// GenerateConfig is the [generate] section.
type GenerateConfig struct {
	// Endpoint is the server's base URL as SGLang prints it
	// (http://127.0.0.1:30000); a trailing /v1 is accepted. Empty means:
	// `local` starts the embedded simulator, Slurm jobs use the server they
	// start.
	Endpoint string `toml:"endpoint"`
	Model    string `toml:"model"`
	// APIKeyEnv names the environment variable holding the API key, if the
	// server wants one. The key itself never goes in a config or a script.
	APIKeyEnv string `toml:"api_key_env"`
	// SystemPrompt, when set, is sent as a system message before the
	// user prompt (OpenR1 sends none).
	SystemPrompt string `toml:"system_prompt"`
	// PromptTemplate is the user message; {problem} is replaced by the
	// problem text.
	PromptTemplate string `toml:"prompt_template"`
	// NumGenerations is how many generations each problem gets, each its
	// own request (index 0..n-1), so each can be retried and resumed alone.
	NumGenerations int     `toml:"num_generations"`
	Temperature    float64 `toml:"temperature"`
	TopP           float64 `toml:"top_p"`
	MaxTokens      int     `toml:"max_tokens"`
	// Concurrency is how many requests one runner keeps in flight: about
	// the server's --max-running-requests, so its batch stays full.
	Concurrency int `toml:"concurrency"`
	// RequestTimeout bounds one HTTP attempt (a long generation included).
	RequestTimeout time.Duration `toml:"request_timeout"`
	// MaxRetries is how many times a request is retried after connection
	// errors, timeouts, 5xx, 429 and aborts; after that the server counts as
	// unavailable and the run stops. RetryBase and RetryMax bound the
	// exponential backoff (full jitter; a Retry-After header is honoured up
	// to RetryMax).
	MaxRetries int           `toml:"max_retries"`
	RetryBase  time.Duration `toml:"retry_base"`
	RetryMax   time.Duration `toml:"retry_max"`
	// FlushInterval is how often the output shard is fsynced. Each answer
	// is written (one zstd frame per group of answers) within 40 ms of its
	// arrival, so a killed runner loses only what was in flight; the fsync
	// is what a crash of the node needs.
	FlushInterval time.Duration `toml:"flush_interval"`
	// GracePeriod is how long in-flight requests may run after USR1/SIGTERM.
	GracePeriod time.Duration `toml:"grace_period"`
	// LeaseTTL is how old a shard lease's heartbeat may get before another
	// runner may take the shard over.
	LeaseTTL time.Duration `toml:"lease_ttl"`
	// WaitForServer is how long the runner waits for /health_generate (or
	// /health, or /v1/models) to answer 200 before it gives up; 0 does not
	// wait. The default is short so that a wrong endpoint fails fast; a job
	// that starts its own server (the sbatch template) sets it to cover the
	// model's load time.
	WaitForServer time.Duration `toml:"wait_for_server"`
}

// DefaultGenerateConfig returns OpenR1's generation settings.
func DefaultGenerateConfig() GenerateConfig {
	return GenerateConfig{
		Model:          "deepseek-ai/DeepSeek-R1",
		APIKeyEnv:      "DISTILLERY_API_KEY",
		PromptTemplate: shard.DefaultPromptTemplate,
		NumGenerations: 4,
		Temperature:    0.6,
		TopP:           0.95,
		MaxTokens:      16384,
		Concurrency:    56,
		RequestTimeout: 60 * time.Minute,
		MaxRetries:     10,
		RetryBase:      time.Second,
		RetryMax:       time.Minute,
		FlushInterval:  2 * time.Second,
		GracePeriod:    2 * time.Minute,
		LeaseTTL:       5 * time.Minute,
		WaitForServer:  10 * time.Second,
	}
}
