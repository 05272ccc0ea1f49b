// Package realdata finds the real data set that tests read when it is
// there: ../shared/data/real beside the repository (../../shared/data/real
// from a git worktree), never copied into it. It only finds files; it
// does not read or parse them.
package realdata
