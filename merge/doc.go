// Package merge streams a run's output shards, groups generations by
// problem, checks each final answer with verify, sends the unsure ones to
// an LLM judge (caching its rulings in <run.dir>/judge/verdicts.jsonl), and
// writes the OpenR1-Math-220k parquet splits and a dataset card to
// <run.dir>/dataset. The dataset is built beside it and swapped in whole,
// so readers see the previous dataset or the new one, never a half one.
//
// Only shards whose done marker matches their output are merged, unless
// Options.Config.AllowIncomplete says to merge what is there. Merge does not
// generate or regenerate anything (see runner), start the judge server
// (see slurm), or publish the dataset; it replaces only what an earlier
// merge wrote in <run.dir>/dataset and refuses when anything else is there.
package merge
