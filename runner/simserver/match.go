package simserver

import (
	"strings"

	"github.com/distillery-hpc/distillery/shard"
)

// keyLen is the length of the normalised prefix the index is keyed by.
// Problems shorter than that are few and are searched one by one.
const keyLen = 24

// problemIndex finds the problem whose text a prompt contains, whatever the
// prompt template puts before or after it.
type problemIndex struct {
	problems []shard.Problem
	norm     []string         // normalised problem texts
	byPrefix map[string][]int // first keyLen bytes of norm -> problems
	short    []int            // problems with len(norm) < keyLen
}

func newProblemIndex(problems []shard.Problem) *problemIndex {
	ix := &problemIndex{byPrefix: map[string][]int{}}
	seen := map[string]bool{}
	for _, p := range problems {
		n := normalizeText(p.Problem)
		if n == "" || seen[n] {
			continue
		}
		seen[n] = true
		i := len(ix.problems)
		ix.problems = append(ix.problems, p)
		ix.norm = append(ix.norm, n)
		if len(n) < keyLen {
			ix.short = append(ix.short, i)
			continue
		}
		ix.byPrefix[n[:keyLen]] = append(ix.byPrefix[n[:keyLen]], i)
	}
	return ix
}

// normalizeText is the planner's de-duplication key (lower case, white
// space collapsed): a prompt matches a problem the way the planner tells
// problems apart.
func normalizeText(s string) string { return shard.NormalizeProblem(s) }

// lookup returns the longest problem whose normalised text the prompt
// contains.
func (ix *problemIndex) lookup(prompt string) (shard.Problem, bool) {
	np := normalizeText(prompt)
	best := -1
	for i := 0; i+keyLen <= len(np); i++ {
		for _, c := range ix.byPrefix[np[i:i+keyLen]] {
			if strings.HasPrefix(np[i:], ix.norm[c]) && (best < 0 || len(ix.norm[c]) > len(ix.norm[best])) {
				best = c
			}
		}
	}
	for _, c := range ix.short {
		if (best < 0 || len(ix.norm[c]) > len(ix.norm[best])) && strings.Contains(np, ix.norm[c]) {
			best = c
		}
	}
	if best < 0 {
		return shard.Problem{}, false
	}
	return ix.problems[best], true
}

func (ix *problemIndex) len() int { return len(ix.problems) }
