package runner

import (
	"context"
	"log/slog"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/runner/simserver"
	"github.com/distillery-hpc/distillery/shard"
)

// The campaign benchmark runs the runner as its own process (so that it
// can be killed with SIGKILL and its CPU time read) against the simulator
// in this process: 56 slots, R1-like lengths (median about 4k tokens, a
// log-normal tail cut at the 16,384 max_tokens), 3 shards of 100 problems
// x 4 generations. It reports, side by side in one run:
//
//   - occupancy: the mean share of the server's slots busy, before the
//     final drain (up to the last request the server admitted) and over
//     the whole run;
//
//   - cpu-ms/1000gen: the runner process's user+system CPU time;
//
//   - bytes/gen: output bytes per generation;
//
//   - regen-after-kill: finished generations (answered by the server
//     before the kill) missing from the output after `kill -9` at 2 s,
//     which a resume must make a second time;
//
//   - the same occupancy with 5% HTTP 500s and 5% connection resets.
//
//     go test -run '^$' -bench Campaign -benchtime 1x ./runner/
func BenchmarkCampaign(b *testing.B) {
	for range b.N {
		clean := campaign(b, simFaults{}, 0)
		killed := campaign(b, simFaults{}, 2*time.Second)
		faulty := campaign(b, simFaults{http500: 0.05, reset: 0.05}, 0)
		b.ReportMetric(clean.preDrain, "occupancy-pre-drain")
		b.ReportMetric(clean.overall, "occupancy-overall")
		b.ReportMetric(clean.cpuMS*1000/float64(clean.gens), "cpu-ms/1000gen")
		b.ReportMetric(float64(clean.bytes)/float64(clean.gens), "bytes/gen")
		b.ReportMetric(float64(killed.regen), "regen-after-kill")
		b.ReportMetric(faulty.preDrain, "faults-occupancy-pre-drain")
		b.ReportMetric(faulty.overall, "faults-occupancy-overall")
	}
}

type simFaults struct{ http500, reset float64 }

type campaignResult struct {
	preDrain, overall float64
	cpuMS             float64
	gens              int
	bytes             int64
	regen             int // finished generations the kill lost
}

const (
	campaignShards   = 3
	campaignProblems = 100
	campaignGens     = 4
	campaignSlots    = 56
)

// campaign plans a run, serves it from a simulator and runs the runner in
// a child process; with killAfter > 0 it kills the child with SIGKILL
// then and finishes the shards in this process.
func campaign(b *testing.B, f simFaults, killAfter time.Duration) campaignResult {
	b.Helper()
	l := makeRun(b, b.TempDir(), campaignShards, campaignProblems, campaignGens)
	plan, err := shard.ReadPlan(l)
	if err != nil {
		b.Fatal(err)
	}
	var problems []shard.Problem
	for _, info := range plan.Shards {
		ps, _, err := shard.ReadShardInput(l, info)
		if err != nil {
			b.Fatal(err)
		}
		problems = append(problems, ps...)
	}
	cfg := simserver.DefaultConfig()
	cfg.LoadTime = 0
	cfg.TimeScale = 500
	cfg.MaxRunningRequests = campaignSlots
	cfg.MeanCompletionTokens = 5500 // log-normal, sigma 0.8: median about 4k
	cfg.LengthSigma = 0.8
	cfg.Fault5xx = f.http500
	cfg.FaultReset = f.reset
	sim := simserver.New(cfg, problems, nil)
	inst, err := sim.Start(b.Context(), "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer inst.Close()

	occ := sampleOccupancy(sim)
	cmd := exec.CommandContext(b.Context(), os.Args[0], "-test.run=^TestCampaignChild$", "-test.v=false")
	cmd.Env = append(os.Environ(), "DISTILLERY_CAMPAIGN_CHILD="+l.Dir+"|"+inst.URL)
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	var res campaignResult
	if killAfter > 0 {
		time.Sleep(killAfter)
		cmd.Process.Signal(syscall.SIGKILL)
		cmd.Wait()
		answered := sim.Stats().Completed
		have := 0
		for id := range campaignShards {
			info, err := shard.ReadOutput(l.Output(id), nil)
			if err != nil {
				b.Fatal(err)
			}
			have += info.Records
		}
		res.regen = int(answered) - have
		o := testOptions(l, inst.URL, 0, 1, 2)
		o.Generate = campaignGenerate(inst.URL)
		o.Restart = 1
		if _, err := Run(context.Background(), o); err != nil {
			b.Fatalf("resume after kill -9: %v", err)
		}
	} else if err := cmd.Wait(); err != nil {
		b.Fatalf("runner process: %v", err)
	}
	res.preDrain, res.overall = occ.stop()
	if ps := cmd.ProcessState; ps != nil {
		res.cpuMS = float64((ps.UserTime() + ps.SystemTime()).Milliseconds())
	}
	for id := range campaignShards {
		wantAll(b, l, id, campaignProblems, campaignGens)
		st, err := os.Stat(l.Output(id))
		if err != nil {
			b.Fatal(err)
		}
		res.bytes += st.Size()
	}
	res.gens = campaignShards * campaignProblems * campaignGens
	b.Logf("faults %+v kill %s: occupancy %.3f before the drain, %.3f overall; %.0f ms CPU; %d bytes/gen; %d finished generations lost to the kill",
		f, killAfter, res.preDrain, res.overall, res.cpuMS, res.bytes/int64(res.gens), res.regen)
	return res
}

// campaignGenerate is the child's [generate] section: the defaults, with
// the backoff scaled down like the simulator's clock.
func campaignGenerate(url string) GenerateConfig {
	g := DefaultGenerateConfig()
	g.Endpoint = url
	g.Concurrency = campaignSlots
	g.NumGenerations = campaignGens
	g.RetryBase = 10 * time.Millisecond
	g.RetryMax = 200 * time.Millisecond
	g.LeaseTTL = 30 * time.Second
	return g
}

// TestCampaignChild is the runner process of BenchmarkCampaign; it does
// nothing unless started by it.
func TestCampaignChild(t *testing.T) {
	dir, url, ok := strings.Cut(os.Getenv("DISTILLERY_CAMPAIGN_CHILD"), "|")
	if !ok {
		t.Skip("the runner process of BenchmarkCampaign, started by it")
	}
	l := shard.Layout{Dir: dir}
	o := testOptions(l, url, 0, 1, 2)
	o.Generate = campaignGenerate(url)
	o.Logger = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn}))
	if _, err := Run(context.Background(), o); err != nil {
		t.Fatal(err)
	}
}

// occupancy samples a simulator's busy slots.
type occupancy struct {
	sim  *simserver.Server
	done chan struct{}
	wg   sync.WaitGroup
	// samples of (time since start, running); lastAdmit is when the
	// request count last grew.
	times   []time.Duration
	running []int64
	admit   time.Duration
}

func sampleOccupancy(sim *simserver.Server) *occupancy {
	o := &occupancy{sim: sim, done: make(chan struct{})}
	o.wg.Add(1)
	go func() {
		defer o.wg.Done()
		start := time.Now()
		var reqs int64
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-o.done:
				return
			case <-t.C:
			}
			st := sim.Stats()
			now := time.Since(start)
			if st.Requests > reqs {
				reqs, o.admit = st.Requests, now
			}
			if st.Requests > 0 {
				o.times = append(o.times, now)
				o.running = append(o.running, st.Running)
			}
		}
	}()
	return o
}

// stop ends the sampling and returns the mean occupancy up to the last
// admitted request and up to the last busy sample.
func (o *occupancy) stop() (preDrain, overall float64) {
	close(o.done)
	o.wg.Wait()
	slots := float64(o.sim.Config().MaxRunningRequests)
	last := len(o.running) - 1
	for last > 0 && o.running[last] == 0 {
		last--
	}
	var pre, all, npre, nall float64
	for i := 0; i <= last; i++ {
		v := min(float64(o.running[i])/slots, 1)
		all += v
		nall++
		if o.times[i] <= o.admit {
			pre += v
			npre++
		}
	}
	if npre == 0 || nall == 0 {
		return 0, 0
	}
	return pre / npre, all / nall
}
