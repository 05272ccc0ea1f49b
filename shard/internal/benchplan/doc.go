// Command benchplan measures `distillery plan` on generated problem sets
// shaped like NuminaMath-1.5 (see ../numinagen) at several sizes: wall
// time, CPU time and peak RSS of the plan process, input size, problems
// kept and a digest of the input shards written (equal digests mean equal
// shards, so two builds can be compared). `make bench-plan` runs it.
//
//	go run ./shard/internal/benchplan -bin bin/distillery [-rows 100000,400000] [-format jsonl,parquet] [-dir DIR] [-keep]
//
// The inputs are written to a temporary directory (or -dir) and removed
// afterwards unless -keep is given; nothing else is changed.
package main
