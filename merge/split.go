package merge

import "slices"

// splitMatches applies one split rule to a kept row (see Split).
func splitMatches(s Split, r *Row, completeCorrect int) bool {
	in := func(include, exclude []string, v string) bool {
		return (len(include) == 0 || slices.Contains(include, v)) && !slices.Contains(exclude, v)
	}
	if !in(s.IncludeSources, s.ExcludeSources, r.Source) || !in(s.IncludeQuestionTypes, s.ExcludeQuestionTypes, r.QuestionType) {
		return false
	}
	if r.CorrectnessCount < int64(s.MinCorrect) {
		return false
	}
	if s.RequireCompleteReasoning && completeCorrect < max(1, s.MinCorrect) {
		return false
	}
	return true
}

// DefaultSplit is the index of the dataset's default config: the split
// named "default", else the first one. Its files go in data/, where
// datasets looks without a card (data/{split}-NNNNN-of-NNNNN.*).
func DefaultSplit(splits []Split) int {
	for i, s := range splits {
		if s.Name == "default" {
			return i
		}
	}
	return 0
}

// SplitDir is the directory of split i, relative to the dataset: "data"
// for the default config, its name for the others, as the Hub lays out
// OpenR1-Math-220k (data/train-*, extended/train-*).
func SplitDir(splits []Split, i int) string {
	if i == DefaultSplit(splits) {
		return "data"
	}
	return splits[i].Name
}
