// Package shard owns the on-disk formats of a distillery run: the problem
// record, the plan manifest (plan.json), the input shards
// (input/shard-NNNNN.jsonl.zst), the framed output shards
// (output/shard-NNNNN.jsonl.zst) and their done markers
// (output/shard-NNNNN.done.json), plus the planner that reads a
// NuminaMath-1.5-shaped problem set and cuts it into shards.
//
// It does not talk to inference servers (see runner), judge answers (see
// verify) or build datasets (see merge).
package shard
