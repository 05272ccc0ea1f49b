package merge

import "testing"

func TestSplitMatches(t *testing.T) {
	def := DefaultConfig().Splits
	row := func(source string) *Row { return &Row{Source: source, CorrectnessCount: 1} }
	tests := []struct {
		source        string
		inDefault, in bool
	}{
		{"olympiads", true, false},
		{"cn_k12", false, true},
		{"", true, false},
		{"CN_K12", true, false}, // sources match exactly
	}
	for _, tt := range tests {
		if got := splitMatches(def[0], row(tt.source), 1); got != tt.inDefault {
			t.Errorf("default(%q) = %v", tt.source, got)
		}
		if got := splitMatches(def[1], row(tt.source), 1); got != tt.in {
			t.Errorf("extended(%q) = %v", tt.source, got)
		}
	}
	both := Split{Name: "x", IncludeSources: []string{"a", "b"}, ExcludeSources: []string{"b"}}
	if !splitMatches(both, row("a"), 1) || splitMatches(both, row("b"), 1) || splitMatches(both, row("c"), 1) {
		t.Error("include and exclude together")
	}
	if !splitMatches(Split{Name: "every"}, row("anything"), 0) {
		t.Error("a rule with no lists takes every source")
	}
}

func TestSplitMatchesRules(t *testing.T) {
	r := &Row{Source: "olympiads", QuestionType: "proof", CorrectnessCount: 3}
	tests := []struct {
		name            string
		split           Split
		completeCorrect int
		want            bool
	}{
		{"question type included", Split{IncludeQuestionTypes: []string{"proof", "MCQ"}}, 0, true},
		{"question type not included", Split{IncludeQuestionTypes: []string{"MCQ"}}, 0, false},
		{"question type excluded", Split{ExcludeQuestionTypes: []string{"proof"}}, 0, false},
		{"source and question type both must hold", Split{IncludeSources: []string{"olympiads"}, ExcludeQuestionTypes: []string{"proof"}}, 0, false},
		{"min_correct met", Split{MinCorrect: 3}, 0, true},
		{"min_correct not met", Split{MinCorrect: 4}, 0, false},
		{"complete reasoning: one needed, one there", Split{RequireCompleteReasoning: true}, 1, true},
		{"complete reasoning: none there", Split{RequireCompleteReasoning: true}, 0, false},
		{"complete reasoning counts toward min_correct", Split{RequireCompleteReasoning: true, MinCorrect: 2}, 1, false},
		{"complete reasoning and min_correct met", Split{RequireCompleteReasoning: true, MinCorrect: 2}, 2, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := splitMatches(tt.split, r, tt.completeCorrect); got != tt.want {
				t.Errorf("splitMatches(%+v) = %v, want %v", tt.split, got, tt.want)
			}
		})
	}
}

func TestSplitDirs(t *testing.T) {
	tests := []struct {
		splits []Split
		want   []string
	}{
		{DefaultConfig().Splits, []string{"data", "extended"}},
		{[]Split{{Name: "hard"}, {Name: "default"}}, []string{"hard", "data"}},
		{[]Split{{Name: "main"}, {Name: "rest"}}, []string{"data", "rest"}},
	}
	for _, tt := range tests {
		var got []string
		for i := range tt.splits {
			got = append(got, SplitDir(tt.splits, i))
		}
		if len(got) != len(tt.want) || got[0] != tt.want[0] || got[1] != tt.want[1] {
			t.Errorf("SplitDir(%v) = %v, want %v", tt.splits, got, tt.want)
		}
	}
}

func TestConfigValidate(t *testing.T) {
	if errs := DefaultConfig().Validate(); len(errs) != 0 {
		t.Fatalf("defaults: %v", errs)
	}
	c := DefaultConfig()
	c.Splits = append(c.Splits, Split{Name: "all"}, Split{Name: "a/b"}, Split{Name: "extended", MinCorrect: -1})
	c.Compression = "lzma"
	c.License = ""
	c.MaxFileBytes = -1
	errs := c.Validate()
	want := []string{"merge.splits[2].name", "merge.splits[3].name", "merge.splits[4].name", "merge.splits[4].min_correct", "merge.max_file_bytes", "merge.compression", "merge.license"}
	if len(errs) != len(want) {
		t.Fatalf("errors = %v, want one each for %v", errs, want)
	}
	for i, w := range want {
		if got := errs[i].Error(); len(got) < len(w) || got[:len(w)] != w {
			t.Errorf("error %d = %q, want it to name %s", i, got, w)
		}
	}
}

func TestCreatedBy(t *testing.T) {
	for v, want := range map[string]string{
		"v1.2.3":                  "distillery version v1.2.3 (build unknown)",
		"devel":                   "distillery version devel (build unknown)",
		"devel+0123456789ab":      "distillery version devel+0123456789ab (build 0123456789ab)",
		"f82d077-dirty":           "distillery version f82d077-dirty (build f82d077)",
		"v0.3.0-4-gdeadbee":       "distillery version v0.3.0-4-gdeadbee (build deadbee)",
		"v0.3.0-4-gdeadbee-dirty": "distillery version v0.3.0-4-gdeadbee-dirty (build deadbee)",
	} {
		if got := createdBy(v); got != want {
			t.Errorf("createdBy(%q) = %q, want %q", v, got, want)
		}
	}
}
