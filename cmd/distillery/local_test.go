package main

import (
	"bytes"
	"encoding/json"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/distillery-hpc/distillery/internal/testenv"
	"github.com/distillery-hpc/distillery/shard"
)

// TestLocalQuickstart runs what `make demo` runs — `distillery local` on
// examples/quickstart.toml against the embedded simulator — and reads the
// dataset back with DuckDB, an independent parquet reader.
func TestLocalQuickstart(t *testing.T) {
	runDir := filepath.Join(t.TempDir(), "run")
	code, out, errs := distill(t, nil, "local", "-c", "../../examples/quickstart.toml", "--set", "run.dir="+runDir)
	if code != 0 {
		t.Fatalf("local exit %d\nstdout: %s\nstderr: %s", code, out, errs)
	}
	for _, want := range []string{"local run complete", "planned 98 problems", "split default", "split extended"} {
		if !strings.Contains(out, want) {
			t.Errorf("summary lacks %q:\n%s", want, out)
		}
	}
	rows := map[string]int{}
	for _, m := range regexp.MustCompile(`split (\w+)\s+(\d+) rows\n`).FindAllStringSubmatch(out, -1) {
		n, _ := strconv.Atoi(m[2])
		rows[m[1]] = n
	}
	if rows["default"] == 0 || rows["extended"] == 0 {
		t.Fatalf("rows per split: %v\n%s", rows, out)
	}
	// Every shard is done and holds every (uuid, index) exactly once.
	l := shard.Layout{Dir: runDir}
	plan, err := shard.ReadPlan(l)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range plan.Shards {
		d, ok, err := shard.ReadDone(l, s.ID)
		if err != nil || !ok || d.Generations != s.Problems*4 {
			t.Fatalf("shard %d done marker: %+v %v %v", s.ID, d, ok, err)
		}
		info, err := shard.ReadOutput(l.Output(s.ID), nil)
		if err != nil || info.Records != s.Problems*4 || info.Duplicates != 0 || info.TornBytes != 0 {
			t.Fatalf("shard %d output: %+v %v", s.ID, info, err)
		}
	}

	// Running it again is a no-op that ends in the same dataset.
	code, out2, errs := distill(t, nil, "local", "-c", "../../examples/quickstart.toml", "--set", "run.dir="+runDir)
	if code != 0 || !strings.Contains(out2, "plan unchanged") || !strings.Contains(out2, "shards 7/7 done") || !strings.Contains(out2, "generations 0 new") {
		t.Fatalf("second local: %d\n%s\n%s", code, out2, errs)
	}

	got := duckdbDescribe(t, filepath.Join(runDir, "dataset"))
	wantCols := [][2]string{
		{"problem", "VARCHAR"}, {"solution", "VARCHAR"}, {"answer", "VARCHAR"},
		{"problem_type", "VARCHAR"}, {"question_type", "VARCHAR"}, {"source", "VARCHAR"}, {"uuid", "VARCHAR"},
		{"is_reasoning_complete", "BOOLEAN[]"}, {"generations", "VARCHAR[]"},
		{"correctness_math_verify", "BOOLEAN[]"}, {"correctness_llama", "BOOLEAN[]"},
		{"finish_reasons", "VARCHAR[]"}, {"correctness_count", "BIGINT"},
		{"messages", "STRUCT(content VARCHAR, role VARCHAR)[]"},
	}
	for split, g := range got {
		if !reflect.DeepEqual(g.Columns, wantCols) {
			t.Errorf("DuckDB DESCRIBE of %s:\n got %v\nwant %v", split, g.Columns, wantCols)
		}
		if g.Rows != rows[split] {
			t.Errorf("DuckDB counts %d rows in %s, local said %d", g.Rows, split, rows[split])
		}
		if g.BadRows != 0 {
			t.Errorf("%s: %d rows break the OpenR1 invariants (source rule, list lengths, correctness_count >= 1, messages user+assistant)", split, g.BadRows)
		}
		if g.LongestStat > 4096 {
			t.Errorf("%s: a min/max statistic of %d bytes (pyarrow, and the Hub, cap them at 4,096)", split, g.LongestStat)
		}
	}
	card, err := os.ReadFile(filepath.Join(runDir, "dataset", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range []string{"license: apache-2.0", "- config_name: \"all\"", "    - \"data/train-*\"\n    - \"extended/train-*\"",
		"    path: \"data/train-*\"", "    path: \"extended/train-*\"", "num_bytes: ", "dataset_size: ", "download_size: ", `load_dataset(`} {
		if !strings.Contains(string(card), s) {
			t.Errorf("dataset card lacks %q", s)
		}
	}
	if len(got) != 2 {
		t.Errorf("DuckDB saw splits %v", got)
	}
}

type duckSplit struct {
	Columns [][2]string `json:"columns"`
	Rows    int         `json:"rows"`
	BadRows int         `json:"bad_rows"`
	// LongestStat is the longest min/max statistic in the split's
	// footers, as DuckDB's parquet_metadata reports it.
	LongestStat int `json:"longest_stat"`
}

const duckdbLocalScript = `
const path = require('path');
const { DuckDBInstance } = require(path.join(process.env.NODE_MODULES_DIR, '@duckdb', 'node-api'));
(async () => {
  const db = await DuckDBInstance.create(':memory:');
  const c = await db.connect();
  const out = {};
  for (const split of ['default', 'extended']) {
    const dir = split === 'default' ? 'data' : split;
    const glob = "'" + (process.env.DATASET_DIR + '/' + dir + '/train-*-of-*.parquet').replace(/'/g, "''") + "'";
    const d = await c.runAndReadAll('DESCRIBE SELECT * FROM read_parquet(' + glob + ')');
    const cols = d.getRowObjectsJson().map((r) => [r.column_name, String(r.column_type).replace(/"/g, '')]);
    const n = await c.runAndReadAll('SELECT count(*)::INTEGER AS n FROM read_parquet(' + glob + ')');
    const rule = split === 'default' ? "source <> 'cn_k12'" : "source = 'cn_k12'";
    const bad = await c.runAndReadAll('SELECT count(*)::INTEGER AS n FROM read_parquet(' + glob + ') WHERE NOT (' + rule +
      ' AND len(generations) = len(correctness_math_verify) AND len(generations) = len(finish_reasons)' +
      ' AND len(generations) = len(is_reasoning_complete) AND correctness_count >= 1' +
      " AND len(messages) = 2 AND messages[1].role = 'user' AND messages[2].role = 'assistant'" +
      ' AND list_contains(generations, messages[2].content))');
    const st = await c.runAndReadAll('SELECT coalesce(max(greatest(coalesce(octet_length(stats_min_value::BLOB), 0), coalesce(octet_length(stats_max_value::BLOB), 0))), 0)::INTEGER AS n FROM parquet_metadata(' + glob + ')');
    out[split] = { columns: cols, rows: n.getRowObjectsJson()[0].n, bad_rows: bad.getRowObjectsJson()[0].n, longest_stat: st.getRowObjectsJson()[0].n };
  }
  console.log(JSON.stringify(out));
})().catch((e) => { console.error(String(e)); process.exit(1); });
`

// duckdbDescribe reads each split with DuckDB through npm @duckdb/node-api.
// It skips loudly when node or the module is missing, and fails instead
// when DISTILLERY_REQUIRE_DUCKDB=1.
func duckdbDescribe(t *testing.T, datasetDir string) map[string]duckSplit {
	t.Helper()
	stdout := testenv.NeedDuckDB(t).Run(t, duckdbLocalScript, "DATASET_DIR="+datasetDir)
	var got map[string]duckSplit
	if err := json.Unmarshal(stdout, &got); err != nil {
		t.Fatalf("DuckDB output %q: %v", stdout, err)
	}
	return got
}

// closedEndpoint returns the URL of a loopback port nothing listens on.
func closedEndpoint(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// TestLocalUnreachableEndpoint: a configured endpoint that does not answer
// is a one-line error naming it, and a fresh run dir stays empty (no plan
// that a later step would take for a started run). A run dir whose shards
// are all done needs no server: local merges again.
func TestLocalUnreachableEndpoint(t *testing.T) {
	endpoint := closedEndpoint(t)
	runDir := filepath.Join(t.TempDir(), "run")
	args := []string{"local", "-c", "../../examples/quickstart.toml", "--set", "run.dir=" + runDir,
		"--set", "generate.endpoint=" + endpoint, "--set", "generate.wait_for_server=300ms"}
	code, _, errs := distill(t, nil, args...)
	msg := strings.TrimSpace(errs)
	if code != exitError || strings.Contains(msg, "\n") || !strings.Contains(msg, endpoint) || !strings.Contains(msg, "generate.endpoint") {
		t.Fatalf("exit %d, stderr %q: want exit 1 and one line naming %s", code, msg, endpoint)
	}
	if _, err := os.Stat(runDir); err == nil {
		entries, _ := os.ReadDir(runDir)
		t.Fatalf("an unreachable endpoint left the run dir with %d entries", len(entries))
	}

	// A judge endpoint that does not answer, with the simulator generating:
	// the same, before anything is planned.
	code, _, errs = distill(t, nil, "local", "-c", "../../examples/quickstart.toml", "--set", "run.dir="+runDir,
		"--set", "judge.endpoint="+endpoint, "--set", "judge.wait_for_server=300ms")
	msg = strings.TrimSpace(errs)
	if code != exitError || strings.Contains(msg, "\n") || !strings.Contains(msg, endpoint) || !strings.Contains(msg, "judge.endpoint") {
		t.Fatalf("unreachable judge: exit %d, stderr %q", code, msg)
	}
	if _, err := os.Stat(runDir); err == nil {
		t.Fatal("an unreachable judge endpoint left the run dir")
	}

	// The same run dir, generated against the simulator, then local again
	// with the endpoint down: nothing to generate, so it merges.
	if code, out, errs := distill(t, nil, "local", "-c", "../../examples/quickstart.toml", "--set", "run.dir="+runDir, "--no-judge"); code != 0 {
		t.Fatalf("local against the simulator: %d\n%s%s", code, out, errs)
	}
	code, out, errs := distill(t, nil, append(args, "--no-judge")...)
	if code != 0 || !strings.Contains(out, "plan unchanged") || !strings.Contains(out, "local run complete") {
		t.Fatalf("local again with every shard done and the endpoint down: %d\n%s%s", code, out, errs)
	}
}

// TestLocalDrainKeepsSimulator: a signal asks `local` to drain; the
// embedded simulator must keep answering the requests in flight, so the
// stop takes about one generation, not the whole grace period.
func TestLocalDrainKeepsSimulator(t *testing.T) {
	bin := buildDistillery(t)
	runDir := filepath.Join(t.TempDir(), "run")
	cmd := exec.Command(bin, "local", "-c", "../../examples/quickstart.toml", "--set", "run.dir="+runDir,
		"--set", "sim.time_scale=50", "--set", "sim.load_time=0s", "--set", "generate.grace_period=60s")
	cmd.Env = cleanEnv()
	var e bytes.Buffer
	cmd.Stderr = &e
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait until the runner has written its first frame, then ask it to stop.
	deadline := time.Now().Add(60 * time.Second)
	for {
		if m, _ := filepath.Glob(filepath.Join(runDir, "output", "shard-*.jsonl.zst")); len(m) > 0 {
			break
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			t.Fatalf("no output after 60 s\n%s", e.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
	start := time.Now()
	cmd.Process.Signal(syscall.SIGTERM)
	code := exitCode(cmd.Wait())
	took := time.Since(start)
	if code != exitTempFail {
		t.Fatalf("exit %d, want %d\n%s", code, exitTempFail, e.String())
	}
	// The grace period is 60 s; with the simulator gone the drain would
	// wait all of it. 30 s leaves room for a loaded machine.
	if took > 30*time.Second {
		t.Errorf("drain took %s: the simulator stopped before the requests in flight finished\n%s", took, e.String())
	}
	if strings.Contains(e.String(), "connection refused") {
		t.Errorf("requests in flight lost the simulator:\n%s", e.String())
	}
}
