// Package merge streams a run's output shards, groups generations by
// problem, checks each final answer with verify, sends the unsure ones to
// an LLM judge, and writes the OpenR1-Math-220k parquet splits and a
// dataset card.
package merge
