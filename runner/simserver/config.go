package simserver

import (
	"fmt"
	"strings"
	"time"

	"github.com/distillery-hpc/distillery/shard"
)

// Config is the [sim] section: how the SGLang-compatible simulator behaves.
// The simulator is for dry runs and tests; it is not a model.
type Config struct {
	Seed int64 `toml:"seed"`
	// TimeScale divides every simulated duration: 1000 makes a 30-minute
	// model load take 1.8 s.
	TimeScale float64 `toml:"time_scale"`
	// LoadTime is how long /health_generate answers 503 ("loading"), in
	// simulated time.
	LoadTime time.Duration `toml:"load_time"`
	// TokensPerSecond is each slot's decode speed, in simulated time.
	TokensPerSecond float64 `toml:"tokens_per_second"`
	// MaxRunningRequests is the number of slots (SGLang's
	// --max-running-requests); further requests wait in a queue.
	MaxRunningRequests int `toml:"max_running_requests"`
	// MeanCompletionTokens is the mean of the drawn completion lengths;
	// lengths above a request's max_tokens are cut ("length").
	MeanCompletionTokens int `toml:"mean_completion_tokens"`
	// LengthSigma is the spread (sigma of the log) of the log-normal
	// completion lengths; larger means more requests hit max_tokens.
	LengthSigma float64 `toml:"length_sigma"`
	// Shares of answers: right, wrong, right but written differently, not
	// boxed. They are normalised to sum to 1.
	ShareRight     float64 `toml:"share_right"`
	ShareWrong     float64 `toml:"share_wrong"`
	ShareRewritten float64 `toml:"share_rewritten"`
	ShareUnboxed   float64 `toml:"share_unboxed"`
	// Model is the served model name (/v1/models, /get_model_info) and
	// the "model" of every completion. Requests may name any model, as
	// with SGLang. It starts with "distillery-sim" (shard.SimulatorModel)
	// so that the records say they come from the simulator.
	Model string `toml:"model"`
	// ContextLength is the model's context window; prompt plus max_tokens
	// beyond it is a 400, as with SGLang.
	ContextLength int `toml:"context_length"`
	// Fault injection, as probabilities per generation request.
	Fault5xx   float64 `toml:"fault_5xx"`
	FaultReset float64 `toml:"fault_reset"`
	FaultHang  float64 `toml:"fault_hang"`
	Fault429   float64 `toml:"fault_429"`
	// RetryAfter is the Retry-After of injected 429s, in real time (whole
	// seconds on the wire).
	RetryAfter time.Duration `toml:"retry_after"`
	// CrashAfter makes the server crash after this many generation requests
	// (0: never): `sim-server` exits, an in-process server drops its
	// listener and every connection.
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
		LengthSigma:          0.8,
		ShareRight:           0.6,
		ShareWrong:           0.2,
		ShareRewritten:       0.1,
		ShareUnboxed:         0.1,
		Model:                shard.SimulatorModel,
		ContextLength:        32768,
		RetryAfter:           time.Second,
	}
}

// Validate reports every problem with c at once, each naming its key.
func (c Config) Validate() error {
	var p []string
	bad := func(key, format string, args ...any) {
		p = append(p, "sim."+key+": "+fmt.Sprintf(format, args...))
	}
	if c.TimeScale <= 0 {
		bad("time_scale", "must be greater than 0, got %g", c.TimeScale)
	}
	if c.LoadTime < 0 {
		bad("load_time", "must not be negative, got %s", c.LoadTime)
	}
	if c.TokensPerSecond <= 0 {
		bad("tokens_per_second", "must be greater than 0, got %g", c.TokensPerSecond)
	}
	if c.MaxRunningRequests < 1 {
		bad("max_running_requests", "must be at least 1, got %d", c.MaxRunningRequests)
	}
	if c.MeanCompletionTokens < 1 {
		bad("mean_completion_tokens", "must be at least 1, got %d", c.MeanCompletionTokens)
	}
	if c.LengthSigma < 0 {
		bad("length_sigma", "must not be negative, got %g", c.LengthSigma)
	}
	shares := []struct {
		key string
		v   float64
	}{{"share_right", c.ShareRight}, {"share_wrong", c.ShareWrong}, {"share_rewritten", c.ShareRewritten}, {"share_unboxed", c.ShareUnboxed}}
	sum, negative := 0.0, false
	for _, s := range shares {
		if s.v < 0 {
			bad(s.key, "must not be negative, got %g", s.v)
			negative = true
		}
		sum += s.v
	}
	if sum <= 0 && !negative {
		bad("share_right", "the four shares (right, wrong, rewritten, unboxed) must not all be 0")
	}
	for _, f := range []struct {
		key string
		v   float64
	}{{"fault_5xx", c.Fault5xx}, {"fault_reset", c.FaultReset}, {"fault_hang", c.FaultHang}, {"fault_429", c.Fault429}} {
		if f.v < 0 || f.v > 1 {
			bad(f.key, "must be a probability in [0, 1], got %g", f.v)
		}
	}
	if c.Fault5xx+c.FaultReset+c.FaultHang+c.Fault429 > 1 {
		bad("fault_5xx", "the four fault probabilities must sum to at most 1")
	}
	if c.RetryAfter < 0 {
		bad("retry_after", "must not be negative, got %s", c.RetryAfter)
	}
	if c.CrashAfter < 0 {
		bad("crash_after", "must not be negative, got %d", c.CrashAfter)
	}
	if c.ContextLength < 1 {
		bad("context_length", "must be at least 1, got %d", c.ContextLength)
	}
	if !shard.IsSimulatorModel(c.Model) {
		bad("model", "%q must start with %q: the simulator's name says it is the simulator, in every record it answers", c.Model, shard.SimulatorModel)
	}
	if len(p) > 0 {
		return fmt.Errorf("%s", strings.Join(p, "; "))
	}
	return nil
}
