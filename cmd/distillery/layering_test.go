package main

import (
	"os/exec"
	"strings"
	"testing"
)

// layerRules say which project packages a package may not depend on,
// directly or through others. "x/..." is x and every package under it;
// a bare "x" is that package alone (so merge may use runner/openai, the
// client, but not runner, the worker). A package is bound by every rule
// whose pattern matches it, so a new package under slurm/ inherits
// slurm's rule.
var layerRules = []struct {
	pkg       string
	forbidden []string
	why       string
}{
	{"shard/...", []string{"runner/...", "merge/...", "slurm/...", "verify/...", "cmd/..."},
		"shard owns the run directory's formats; every stage reads it, it reads no stage"},
	{"verify/...", []string{"runner/...", "merge/...", "slurm/...", "shard/...", "cmd/..."},
		"the answer checker is pure: text in, verdict out"},
	{"runner/...", []string{"merge/...", "slurm/...", "verify/...", "cmd/..."},
		"the generation worker knows nothing of Slurm, checking or merging"},
	{"runner/openai/...", []string{"runner", "runner/simserver/..."},
		"the client is shared by the worker and merge's judge; it depends on neither"},
	{"runner/simserver/...", []string{"runner", "runner/openai/..."},
		"the simulator plays the server; it must not borrow the client's reading of the protocol"},
	{"merge/...", []string{"runner", "runner/simserver/...", "slurm/...", "cmd/..."},
		"merge reaches the judge through runner/openai, and its judge server is composed in cmd"},
	{"slurm", []string{"runner/...", "merge/...", "verify/...", "cmd/..."},
		"slurm renders, submits and reports jobs; the jobs run the binary, not these packages"},
	{"slurm/...", []string{"runner/...", "merge/...", "cmd/..."},
		"below slurm only readers of the run directory (the report, which may re-check answers with verify)"},
	{"templates/...", []string{"..."},
		"the embedded templates are data"},
	{"internal/...", []string{"cmd/..."},
		"shared test and support code sits below the commands"},
}

// matchPattern reports whether pkg (a path inside the module) matches a
// rule pattern.
func matchPattern(pattern, pkg string) bool {
	if pattern == "..." {
		return true
	}
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return pkg == base || strings.HasPrefix(pkg, base+"/")
	}
	return pkg == pattern
}

// TestLayering fails when a package depends, directly or through another,
// on a package of a layer it must not see (go list -deps).
func TestLayering(t *testing.T) {
	goTool, err := exec.LookPath("go")
	if err != nil {
		t.Fatalf("the go command is needed to list the packages' dependencies: %v", err)
	}
	out, err := exec.Command(goTool, "list", "-f", "{{.ImportPath}} {{join .Deps \" \"}}", "-e", "github.com/distillery-hpc/distillery/...").Output()
	if err != nil {
		t.Fatalf("go list: %v", err)
	}
	const module = "github.com/distillery-hpc/distillery/"
	checked := map[string]bool{}
	for line := range strings.Lines(string(out)) {
		fields := strings.Fields(line)
		if len(fields) == 0 {
			continue
		}
		pkg, ok := strings.CutPrefix(fields[0], module)
		if !ok {
			continue
		}
		var deps []string
		for _, d := range fields[1:] {
			if d, ok := strings.CutPrefix(d, module); ok {
				deps = append(deps, d)
			}
		}
		for _, rule := range layerRules {
			if !matchPattern(rule.pkg, pkg) {
				continue
			}
			checked[rule.pkg] = true
			for _, d := range deps {
				for _, f := range rule.forbidden {
					if matchPattern(f, d) && !matchPattern(rule.pkg, d) {
						t.Errorf("%s depends on %s (%s must not: %s)", pkg, d, rule.pkg, rule.why)
					}
				}
			}
		}
		if strings.HasPrefix(pkg, "cmd/") {
			continue
		}
		for _, d := range deps {
			if matchPattern("cmd/...", d) {
				t.Errorf("%s depends on %s: nothing below the commands imports them", pkg, d)
			}
		}
	}
	// A rule that matches no package is a typo or a package gone: the
	// table must say what the tree is.
	for _, rule := range layerRules {
		if !checked[rule.pkg] {
			t.Errorf("layer rule %q matches no package: update the table in layering_test.go", rule.pkg)
		}
	}
}

// TestLayeringCatches checks the matcher the rules rely on.
func TestLayeringCatches(t *testing.T) {
	for _, tt := range []struct {
		pattern, pkg string
		want         bool
	}{
		{"runner", "runner", true},
		{"runner", "runner/openai", false},
		{"runner/...", "runner/openai", true},
		{"runner/...", "runnerx", false},
		{"slurm/...", "slurm", true},
		{"...", "shard", true},
	} {
		if got := matchPattern(tt.pattern, tt.pkg); got != tt.want {
			t.Errorf("matchPattern(%q, %q) = %v, want %v", tt.pattern, tt.pkg, got, tt.want)
		}
	}
}
