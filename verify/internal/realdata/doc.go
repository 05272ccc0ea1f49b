// Package realdata loads the real answer-equivalence sets kept outside the
// repository (../shared/data/real/answer-equivalence from the module root,
// or one level further up from a git worktree) for the verify tests and
// benchmark, and the list of Math-Verify regression cases whose label is
// mathematically wrong (verify/testdata/mislabelled.jsonl). It does not
// download anything.
package realdata
