package simserver

import (
	"net/http"
	"os"
	"sync"
	"testing"
	"time"
)

func TestMeasureThroughput(t *testing.T) {
	if os.Getenv("SIM_MEASURE") == "" {
		t.Skip("a measurement, not a test: run with SIM_MEASURE=1 (or =cpu for an unscaled clock)")
	}
	cfg := DefaultConfig()
	cfg.LoadTime = 0
	if os.Getenv("SIM_MEASURE") == "cpu" {
		cfg.TimeScale = 1e9
	}
	ps := testProblems(500)
	s, ts := newTestServer(t, cfg, ps)
	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 64}}
	work := make(chan int)
	var wg sync.WaitGroup
	began := time.Now()
	for w := 0; w < 56; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range work {
				p := ps[i/4]
				resp, _, err := postJSON(t, client, ts.URL+"/v1/chat/completions", map[string]any{"messages": []map[string]string{{"role": "user", "content": p.Problem + instruction}}, "max_tokens": 16384, "temperature": 0.6, "top_p": 0.95})
				if err != nil || resp.StatusCode != 200 {
					t.Error(err)
				}
			}
		}()
	}
	for i := 0; i < 2000; i++ {
		work <- i
	}
	close(work)
	wg.Wait()
	took := time.Since(began)
	st := s.Stats()
	t.Logf("2000 generations in %s: %.0f/s; %d completion tokens; cut %d; right %d wrong %d rewritten %d unboxed %d; peak running %d",
		took, 2000/took.Seconds(), st.CompletionTokens, st.LengthCut, st.Right, st.Wrong, st.Rewritten, st.Unboxed, st.PeakRunning)
}
