package testenv

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/distillery-hpc/distillery/internal/realdata"
)

// NeedShellcheck returns the path of shellcheck. When it is not installed the
// rest of the test goes on without it: ok is false and a loud skip is
// logged (a failure when DISTILLERY_REQUIRE_SHELLCHECK=1).
func NeedShellcheck(t testing.TB) (path string, ok bool) {
	t.Helper()
	path, err := exec.LookPath("shellcheck")
	if err != nil {
		Without(t, Shellcheck, "shellcheck not installed; the scripts were not linted (apt-get install shellcheck)")
		return "", false
	}
	return path, true
}

// DuckDBReader is node with npm @duckdb/node-api, a parquet reader that
// shares no code with ours.
type DuckDBReader struct {
	Node    string // the node binary
	Modules string // the node_modules directory holding @duckdb/node-api
}

// NeedDuckDB finds node and @duckdb/node-api in
// $DISTILLERY_DUCKDB_NODE_MODULES, else in <repository>/.ci/node/node_modules
// (where .ci/run installs it), or skips (fails when
// DISTILLERY_REQUIRE_DUCKDB=1).
func NeedDuckDB(t testing.TB) DuckDBReader {
	t.Helper()
	const how = "(install with: mkdir -p .ci/node && cd .ci/node && echo '{\"private\":true}' > package.json && npm install @duckdb/node-api; or set DISTILLERY_DUCKDB_NODE_MODULES)"
	node, err := exec.LookPath("node")
	if err != nil {
		Skip(t, DuckDB, "DuckDB check not run: node is not on PATH %s", how)
	}
	nm := os.Getenv("DISTILLERY_DUCKDB_NODE_MODULES")
	if nm == "" {
		root, err := realdata.ModuleRoot()
		if err != nil {
			t.Fatal(err)
		}
		nm = filepath.Join(root, ".ci", "node", "node_modules")
	}
	if _, err := os.Stat(filepath.Join(nm, "@duckdb", "node-api")); err != nil {
		Skip(t, DuckDB, "DuckDB check not run: @duckdb/node-api is not in %s %s", nm, how)
	}
	return DuckDBReader{Node: node, Modules: nm}
}

// Run runs the node script js with NODE_MODULES_DIR set to d.Modules and
// env added, and returns its stdout; a script that fails fails t.
func (d DuckDBReader) Run(t testing.TB, js string, env ...string) []byte {
	t.Helper()
	script := filepath.Join(t.TempDir(), "duckdb.js")
	if err := os.WriteFile(script, []byte(js), 0o644); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(d.Node, script)
	cmd.Env = append(append(os.Environ(), "NODE_MODULES_DIR="+d.Modules), env...)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		t.Fatalf("DuckDB (node %s): %v\n%s", script, err, stderr.String())
	}
	return stdout.Bytes()
}

// NeedTmux returns the path of tmux, a real terminal to drive a full-screen
// command in, or skips (fails when DISTILLERY_REQUIRE_TMUX=1).
func NeedTmux(t testing.TB) string {
	t.Helper()
	path, err := exec.LookPath("tmux")
	if err != nil {
		Skip(t, Tmux, "tmux not installed; the terminal test did not run (apt-get install tmux)")
	}
	return path
}

// NeedChromium returns the path of a headless-capable Chromium
// ($DISTILLERY_CHROMIUM, else chromium or chromium-browser on PATH, else
// /usr/bin/chromium), or skips (fails when DISTILLERY_REQUIRE_CHROMIUM=1).
func NeedChromium(t testing.TB) string {
	t.Helper()
	if p := os.Getenv("DISTILLERY_CHROMIUM"); p != "" {
		if _, err := os.Stat(p); err != nil {
			Skip(t, Chromium, "DISTILLERY_CHROMIUM=%s: %v", p, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "/usr/bin/chromium"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	Skip(t, Chromium, "chromium not installed; the page was not rendered in a browser (apt-get install chromium)")
	return ""
}
