package testenv

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// recorder is a testing.TB that records how a helper ended the test
// instead of ending it.
type recorder struct {
	testing.TB
	fatal, skip, log string
}

func (r *recorder) Helper()                      {}
func (r *recorder) Fatalf(f string, args ...any) { r.fatal = sprintf(f, args...) }
func (r *recorder) Skipf(f string, args ...any)  { r.skip = sprintf(f, args...) }
func (r *recorder) Logf(f string, args ...any)   { r.log = sprintf(f, args...) }
func sprintf(f string, args ...any) string       { return strings.TrimSpace(fmt.Sprintf(f, args...)) }

// TestSkipUnlessRequired: a missing need skips loudly (or, for Without,
// logs a skip and goes on), and is a failure naming the variable when the
// variable is 1.
func TestSkipUnlessRequired(t *testing.T) {
	for _, tc := range []struct {
		name   string
		set    string
		call   func(testing.TB, Need, string, ...any)
		fatal  bool
		skip   bool
		logged bool
	}{
		{"skip", "", Skip, false, true, false},
		{"skip when not 1", "0", Skip, false, true, false},
		{"skip required", "1", Skip, true, false, false},
		{"without", "", Without, false, false, true},
		{"without required", "1", Without, true, false, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv(DuckDB.Var(), tc.set)
			r := &recorder{TB: t}
			tc.call(r, DuckDB, "node is %s", "missing")
			if (r.fatal != "") != tc.fatal || (r.skip != "") != tc.skip || (r.log != "") != tc.logged {
				t.Fatalf("fatal %q, skip %q, log %q; want fatal %v, skip %v, log %v", r.fatal, r.skip, r.log, tc.fatal, tc.skip, tc.logged)
			}
			if tc.fatal && !strings.Contains(r.fatal, "DISTILLERY_REQUIRE_DUCKDB=1") || !strings.Contains(r.fatal+r.skip+r.log, "node is missing") {
				t.Errorf("message %q does not say what is missing and which variable requires it", r.fatal+r.skip+r.log)
			}
			if msg := r.skip + r.log; msg != "" && !strings.HasPrefix(msg, "SKIP: ") {
				t.Errorf("skip %q is not loud (no SKIP: prefix)", msg)
			}
		})
	}
}

// TestNeedDataRequired: missing real data fails the test when
// DISTILLERY_REQUIRE_DATA=1, and a file that is there is found.
func TestNeedDataRequired(t *testing.T) {
	t.Setenv(Data.Var(), "1")
	t.Setenv("DISTILLERY_SHARED_DIR", "")
	r := &recorder{TB: t}
	NeedData(r, "no-such-file-in-the-real-data")
	if !strings.Contains(r.fatal, "DISTILLERY_REQUIRE_DATA=1") {
		t.Errorf("missing real data with DISTILLERY_REQUIRE_DATA=1: fatal %q, skip %q", r.fatal, r.skip)
	}
	dir := t.TempDir()
	t.Setenv("DISTILLERY_SHARED_DIR", dir)
	if err := os.MkdirAll(filepath.Join(dir, "data", "real", "x"), 0o755); err != nil {
		t.Fatal(err)
	}
	r = &recorder{TB: t}
	if p := NeedData(r, "x"); p != filepath.Join(dir, "data", "real", "x") || r.fatal != "" || r.skip != "" {
		t.Errorf("NeedData = %q (fatal %q, skip %q), want the directory under DISTILLERY_SHARED_DIR", p, r.fatal, r.skip)
	}
}
