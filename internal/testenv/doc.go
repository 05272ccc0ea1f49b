// Package testenv is the one place where a test says what it needs from
// outside the repository: a real Slurm, DuckDB (an independent parquet
// reader), shellcheck, or the real data kept beside the repository. When
// the need is not met the test skips loudly ("SKIP: ..."), and when CI
// sets the need's DISTILLERY_REQUIRE_<NEED>=1 (.ci/run sets all of them)
// the skip is a failure instead, so that a CI run cannot pass without the
// real parts.
//
// It finds and starts things (the one-node test cluster of
// slurm/testcluster/up.sh, node with @duckdb/node-api); it does not
// install them, and it is imported by tests only.
package testenv
