package simserver

import "time"

// Config is the [sim] section: how the SGLang-compatible simulator behaves.
// The simulator is for dry runs and tests; it is not a model.
type Config struct {
	Seed int64 `toml:"seed"`
	// TimeScale divides every simulated duration: 1000 makes a 30-minute
	// model load take 1.8 s.
	TimeScale float64 `toml:"time_scale"`
	// LoadTime is how long /health_generate answers 503 ("loading").
	LoadTime time.Duration `toml:"load_time"`
	// TokensPerSecond is each slot's decode speed, in simulated time.
	TokensPerSecond    float64 `toml:"tokens_per_second"`
	MaxRunningRequests int     `toml:"max_running_requests"`
	// MeanCompletionTokens is the mean of the drawn completion lengths;
	// lengths above a request's max_tokens are cut ("length").
	MeanCompletionTokens int `toml:"mean_completion_tokens"`
	// Shares of answers: right, wrong, right but written differently, not
	// boxed. They are normalised to sum to 1.
	ShareRight     float64 `toml:"share_right"`
	ShareWrong     float64 `toml:"share_wrong"`
	ShareRewritten float64 `toml:"share_rewritten"`
	ShareUnboxed   float64 `toml:"share_unboxed"`
	// Fault injection, as probabilities per request.
	Fault5xx   float64 `toml:"fault_5xx"`
	FaultReset float64 `toml:"fault_reset"`
	FaultHang  float64 `toml:"fault_hang"`
	Fault429   float64 `toml:"fault_429"`
	// CrashAfter makes the server exit after this many requests (0: never).
	CrashAfter int `toml:"crash_after"`
}

// DefaultConfig returns a simulator that finishes a small campaign in
// seconds.
func DefaultConfig() Config {
	return Config{
		Seed:                 1,
		TimeScale:            2000,
		LoadTime:             30 * time.Minute,
		TokensPerSecond:      30,
		MaxRunningRequests:   56,
		MeanCompletionTokens: 4000,
		ShareRight:           0.6,
		ShareWrong:           0.2,
		ShareRewritten:       0.1,
		ShareUnboxed:         0.1,
	}
}
