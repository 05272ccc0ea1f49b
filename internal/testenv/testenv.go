package testenv

import (
	"fmt"
	"os"
	"testing"
)

// Need is something a test needs from outside the repository.
type Need string

// The needs CI requires (.ci/run sets every DISTILLERY_REQUIRE_* to 1).
const (
	Slurm      Need = "SLURM"      // sbatch and a cluster that answers
	DuckDB     Need = "DUCKDB"     // node with npm @duckdb/node-api
	Shellcheck Need = "SHELLCHECK" // shellcheck on PATH
	Data       Need = "DATA"       // the real data in ../shared/data/real
	Root       Need = "ROOT"       // root, to add a second user (useradd) for the shared-storage test
	Tmux       Need = "TMUX"       // tmux, a real terminal for status --watch
	Chromium   Need = "CHROMIUM"   // headless Chromium, to render the HTML report
)

// Var is the environment variable that turns n's skip into a failure:
// DISTILLERY_REQUIRE_<n>.
func (n Need) Var() string { return "DISTILLERY_REQUIRE_" + string(n) }

// name is what n is called in messages.
func (n Need) name() string {
	switch n {
	case Slurm:
		return "a real Slurm"
	case DuckDB:
		return "DuckDB"
	case Shellcheck:
		return "shellcheck"
	case Data:
		return "the real data"
	case Root:
		return "root (to add a second user)"
	case Tmux:
		return "tmux"
	case Chromium:
		return "headless Chromium"
	}
	return string(n)
}

// Required says whether the environment requires n (its Var is 1).
func (n Need) Required() bool { return os.Getenv(n.Var()) == "1" }

// Skip stops the test because n is missing (why says what is missing and
// how to get it): a loud skip, or a failure when n is required.
func Skip(t testing.TB, n Need, format string, args ...any) {
	t.Helper()
	if why, ok := allowed(t, n, format, args...); ok {
		t.Skipf("SKIP: %s", why)
	}
}

// Without lets the rest of the test run without n: it logs a loud skip of
// the part that needs n, or fails the test when n is required.
func Without(t testing.TB, n Need, format string, args ...any) {
	t.Helper()
	if why, ok := allowed(t, n, format, args...); ok {
		t.Logf("SKIP: %s", why)
	}
}

// allowed fails t when n is required, and otherwise says that the skip is
// allowed, with why.
func allowed(t testing.TB, n Need, format string, args ...any) (why string, ok bool) {
	t.Helper()
	why = fmt.Sprintf(format, args...)
	if n.Required() {
		t.Fatalf("%s=1 requires %s, but: %s", n.Var(), n.name(), why)
		return why, false
	}
	return why, true
}
