// Package examples holds the quickstart config (quickstart.toml, embedded
// as Quickstart) and a small problem set written for distillery, in
// NuminaMath-1.5 columns, as problems.jsonl and problems.parquet; its tests
// check that the two files hold the same problems across every answer shape
// the verifier handles.
//
// It holds no code the pipeline runs, and the problems are not from
// NuminaMath or any other published set.
package examples
