package simserver

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net"
	"net/http"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/distillery-hpc/distillery/shard"
)

// ErrCrashed is returned by Serve (and Instance.Err) when the server crashed
// on purpose after Config.CrashAfter generation requests.
var ErrCrashed = errors.New("simulated crash (sim.crash_after)")

// Server is the SGLang-compatible simulator. Build one with New; serve it
// with Serve or Start, or mount Handler on an httptest.Server. It is safe
// for concurrent use.
type Server struct {
	cfg    Config
	shares shares
	index  *problemIndex
	logger *slog.Logger
	now    func() time.Time
	start  time.Time

	slots chan struct{} // one token per running request

	mu       sync.Mutex
	faultRNG *rand.Rand
	counters map[string]int // generations handed out per problem key

	requests    atomic.Int64 // generation requests received
	completed   atomic.Int64 // generation requests answered 200
	generations atomic.Int64
	promptTok   atomic.Int64
	complTok    atomic.Int64
	lengthCut   atomic.Int64
	unmatched   atomic.Int64
	judged      atomic.Int64
	unparsed    atomic.Int64 // judge prompts judge() did not understand
	running     atomic.Int64
	waiting     atomic.Int64
	peakRunning atomic.Int64
	peakWaiting atomic.Int64
	faults5xx   atomic.Int64
	faults429   atomic.Int64
	faultsReset atomic.Int64
	faultsHang  atomic.Int64
	kinds       [4]atomic.Int64

	crashOnce sync.Once
	crashed   chan struct{}
	stopOnce  sync.Once
	stopping  chan struct{} // closed when shutting down: hung requests end

	hmu       sync.Mutex
	onCrash   []func()
	handlerMu sync.Once
	handler   http.Handler
}

// New builds a simulator over the problems it answers from. Zero or
// invalid fields of cfg fall back to DefaultConfig's; check them first with
// Config.Validate where the values come from a user. logger may be nil.
func New(cfg Config, problems []shard.Problem, logger *slog.Logger) *Server {
	d := DefaultConfig()
	if cfg.TimeScale <= 0 {
		cfg.TimeScale = d.TimeScale
	}
	if cfg.TokensPerSecond <= 0 {
		cfg.TokensPerSecond = d.TokensPerSecond
	}
	if cfg.MaxRunningRequests < 1 {
		cfg.MaxRunningRequests = d.MaxRunningRequests
	}
	if cfg.MeanCompletionTokens < 1 {
		cfg.MeanCompletionTokens = d.MeanCompletionTokens
	}
	if cfg.LengthSigma < 0 {
		cfg.LengthSigma = 0
	}
	if cfg.Model == "" {
		cfg.Model = d.Model
	}
	if cfg.ContextLength < 1 {
		cfg.ContextLength = d.ContextLength
	}
	if cfg.LoadTime < 0 {
		cfg.LoadTime = 0
	}
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:      cfg,
		shares:   newShares(cfg),
		index:    newProblemIndex(problems),
		logger:   logger,
		now:      time.Now,
		slots:    make(chan struct{}, cfg.MaxRunningRequests),
		faultRNG: newRand(cfg.Seed, "faults"),
		counters: map[string]int{},
		crashed:  make(chan struct{}),
		stopping: make(chan struct{}),
	}
	s.start = s.now()
	return s
}

// Config returns the effective configuration.
func (s *Server) Config() Config { return s.cfg }

// Problems is the number of distinct problems the server answers from.
func (s *Server) Problems() int { return s.index.len() }

// scaled converts a simulated duration to real time.
func (s *Server) scaled(d time.Duration) time.Duration {
	return time.Duration(float64(d) / s.cfg.TimeScale)
}

// ReadyIn is how long, in real time, the server still "loads" the model.
func (s *Server) ReadyIn() time.Duration {
	left := s.scaled(s.cfg.LoadTime) - s.now().Sub(s.start)
	if left < 0 {
		return 0
	}
	return left
}

func (s *Server) loading() bool { return s.ReadyIn() > 0 }

// sleep waits for a simulated duration, or until ctx ends or the server
// stops.
func (s *Server) sleep(ctx context.Context, d time.Duration) error {
	real := s.scaled(d)
	if real <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(real)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	case <-s.stopping:
		return errStopping
	}
}

var errStopping = errors.New("server stopping")

// acquire takes a slot, waiting in the queue while all are busy.
func (s *Server) acquire(ctx context.Context) error {
	select {
	case s.slots <- struct{}{}:
	default:
		w := s.waiting.Add(1)
		raise(&s.peakWaiting, w)
		select {
		case s.slots <- struct{}{}:
			s.waiting.Add(-1)
		case <-ctx.Done():
			s.waiting.Add(-1)
			return ctx.Err()
		case <-s.stopping:
			s.waiting.Add(-1)
			return errStopping
		}
	}
	raise(&s.peakRunning, s.running.Add(1))
	return nil
}

func (s *Server) release() {
	s.running.Add(-1)
	<-s.slots
}

// raise sets a to v when v is larger.
func raise(a *atomic.Int64, v int64) {
	for {
		old := a.Load()
		if v <= old || a.CompareAndSwap(old, v) {
			return
		}
	}
}

// Stats is a snapshot of what the server did.
type Stats struct {
	Requests         int64 // generation requests received (/v1/chat/completions, /generate)
	Completed        int64 // of those, answered with 200
	Generations      int64 // choices produced
	PromptTokens     int64
	CompletionTokens int64
	LengthCut        int64 // generations cut at max_tokens (finish_reason "length")
	Unmatched        int64 // generations whose prompt matched no problem
	Judged           int64 // judge-mode generations
	JudgeUnparsed    int64 // judge prompts lacking the reference or the model's solution (answered AMBIGUOUS)
	Right            int64 // generations by answer kind (not counting cut ones)
	Wrong            int64
	Rewritten        int64
	Unboxed          int64
	Running          int64 // requests holding a slot now
	Waiting          int64 // requests queued for a slot now
	PeakRunning      int64
	PeakWaiting      int64
	Faults5xx        int64
	Faults429        int64
	FaultResets      int64
	FaultHangs       int64
	Crashed          bool
}

// Stats returns a snapshot of the counters.
func (s *Server) Stats() Stats {
	st := Stats{
		Requests:         s.requests.Load(),
		Completed:        s.completed.Load(),
		Generations:      s.generations.Load(),
		PromptTokens:     s.promptTok.Load(),
		CompletionTokens: s.complTok.Load(),
		LengthCut:        s.lengthCut.Load(),
		Unmatched:        s.unmatched.Load(),
		Judged:           s.judged.Load(),
		JudgeUnparsed:    s.unparsed.Load(),
		Right:            s.kinds[KindRight].Load(),
		Wrong:            s.kinds[KindWrong].Load(),
		Rewritten:        s.kinds[KindRewritten].Load(),
		Unboxed:          s.kinds[KindUnboxed].Load(),
		Running:          s.running.Load(),
		Waiting:          s.waiting.Load(),
		PeakRunning:      s.peakRunning.Load(),
		PeakWaiting:      s.peakWaiting.Load(),
		Faults5xx:        s.faults5xx.Load(),
		Faults429:        s.faults429.Load(),
		FaultResets:      s.faultsReset.Load(),
		FaultHangs:       s.faultsHang.Load(),
	}
	select {
	case <-s.crashed:
		st.Crashed = true
	default:
	}
	return st
}

// Crashed is closed when the server has crashed (Config.CrashAfter). From
// then on the handler drops every connection without an answer.
func (s *Server) Crashed() <-chan struct{} { return s.crashed }

func (s *Server) crash() {
	s.crashOnce.Do(func() {
		s.logger.Warn("sim-server: simulated crash", "after_requests", s.cfg.CrashAfter)
		close(s.crashed)
		s.hmu.Lock()
		hooks := s.onCrash
		s.hmu.Unlock()
		for _, f := range hooks {
			go f()
		}
	})
}

func (s *Server) stop() { s.stopOnce.Do(func() { close(s.stopping) }) }

// Serve serves on ln until ctx ends (then it shuts down: hung requests are
// released and in-flight ones get up to 5 s to finish) or the server
// crashes (then it closes ln and every connection at once and returns
// ErrCrashed). It closes ln.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.logger.Handler(), slog.LevelDebug),
	}
	s.hmu.Lock()
	s.onCrash = append(s.onCrash, func() { srv.Close() })
	s.hmu.Unlock()
	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case <-ctx.Done():
		s.stop()
		// Shutdown must not hang on in-flight simulated requests forever:
		// they end with s.stopping; 5 s covers writing their answers.
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			srv.Close()
		}
		<-errc
		return nil
	case <-s.crashed:
		srv.Close()
		<-errc
		return ErrCrashed
	case err := <-errc:
		if s.Stats().Crashed {
			return ErrCrashed
		}
		return fmt.Errorf("serving the simulator: %w", err)
	}
}

// Instance is a simulator serving in the background (see Start).
type Instance struct {
	// URL is the base URL, e.g. http://127.0.0.1:40123, as SGLang prints it.
	URL  string
	Addr net.Addr

	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves in
// the background until ctx ends, Close is called or the server crashes.
func (s *Server) Start(ctx context.Context, addr string) (*Instance, error) {
	var lc net.ListenConfig
	ln, err := lc.Listen(ctx, "tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("starting the simulator on %s: %w", addr, err)
	}
	ctx, cancel := context.WithCancel(ctx)
	in := &Instance{URL: "http://" + ln.Addr().String(), Addr: ln.Addr(), cancel: cancel, done: make(chan struct{})}
	go func() {
		in.err = s.Serve(ctx, ln)
		close(in.done)
	}()
	return in, nil
}

// Done is closed when the instance has stopped serving.
func (in *Instance) Done() <-chan struct{} { return in.done }

// Err is why the instance stopped (nil after Close, ErrCrashed after a
// simulated crash); only meaningful after Done.
func (in *Instance) Err() error {
	select {
	case <-in.done:
		return in.err
	default:
		return nil
	}
}

// Close shuts the instance down and waits for it.
func (in *Instance) Close() error {
	in.cancel()
	<-in.done
	if errors.Is(in.err, ErrCrashed) {
		return nil
	}
	return in.err
}

// key draws: the k-th generation for a problem, counted per problem key.
func (s *Server) nextIndices(key string, n int) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.counters[key]
	s.counters[key] = k + n
	return k
}

// fault is an injected failure for one request.
type fault int

const (
	faultNone fault = iota
	fault5xx
	fault429
	faultReset
	faultHang
	faultCrash
)

// drawFault decides, in arrival order, whether request number n fails.
func (s *Server) drawFault(n int64) (fault, int) {
	if s.cfg.CrashAfter > 0 && n > int64(s.cfg.CrashAfter) {
		return faultCrash, 0
	}
	c := s.cfg
	if c.Fault5xx+c.Fault429+c.FaultReset+c.FaultHang <= 0 {
		return faultNone, 0
	}
	s.mu.Lock()
	u := s.faultRNG.Float64()
	code := 500
	if s.faultRNG.IntN(2) == 0 {
		code = 503
	}
	s.mu.Unlock()
	switch {
	case u < c.Fault5xx:
		return fault5xx, code
	case u < c.Fault5xx+c.Fault429:
		return fault429, 429
	case u < c.Fault5xx+c.Fault429+c.FaultReset:
		return faultReset, 0
	case u < c.Fault5xx+c.Fault429+c.FaultReset+c.FaultHang:
		return faultHang, 0
	}
	return faultNone, 0
}

// injectFault applies f to the request; it reports whether the request is
// done with.
func (s *Server) injectFault(w http.ResponseWriter, r *http.Request, f fault, code int) bool {
	switch f {
	case faultCrash:
		s.crash()
		dropConn(w)
		return true
	case fault5xx:
		s.faults5xx.Add(1)
		writeError(w, code, "Internal server error: simulated fault (sim.fault_5xx)", "InternalServerError")
		return true
	case fault429:
		s.faults429.Add(1)
		secs := int((s.cfg.RetryAfter + time.Second - 1) / time.Second)
		w.Header().Set("Retry-After", strconv.Itoa(secs))
		writeError(w, http.StatusTooManyRequests, "Too many requests: simulated fault (sim.fault_429)", "TooManyRequests")
		return true
	case faultReset:
		s.faultsReset.Add(1)
		dropConn(w)
		return true
	case faultHang:
		s.faultsHang.Add(1)
		select {
		case <-r.Context().Done():
		case <-s.stopping:
		case <-s.crashed:
		}
		dropConn(w)
		return true
	}
	return false
}

// dropConn closes the connection under w without an answer: the client
// sees a reset or EOF.
func dropConn(w http.ResponseWriter) {
	rc := http.NewResponseController(w)
	conn, _, err := rc.Hijack()
	if err != nil {
		// HTTP/2 or a recorder: abort the handler, which resets the stream.
		panic(http.ErrAbortHandler)
	}
	if tc, ok := conn.(*net.TCPConn); ok {
		tc.SetLinger(0) // RST rather than FIN
	}
	conn.Close()
}
