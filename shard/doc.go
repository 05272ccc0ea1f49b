// Package shard owns the on-disk formats of a distillery run: the problem
// record, the plan manifest (plan.json), the input shards
// (input/shard-NNNNN.jsonl.zst), the framed output shards
// (output/shard-NNNNN.jsonl.zst, independent zstd frames; a torn tail is
// found and cut), their done markers (output/shard-NNNNN.done.json, and
// CheckDone, which says whether a marker still vouches for its output),
// the shard leases (output/shard-NNNNN.lease, one writer per shard even on
// shared storage), durable writes (WriteAtomic), and the planner: it reads
// a NuminaMath-1.5-shaped problem set (parquet or JSON Lines), filters and
// de-duplicates it, and cuts it into shards.
//
// It does not talk to inference servers or decide which shards to run
// (see runner), judge answers (see verify) or build datasets (see merge).
// It never deletes a run's files: a different plan over an existing run
// dir is refused, not replaced.
package shard
