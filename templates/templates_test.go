package templates

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"text/template"
)

var funcs = template.FuncMap{"q": func(s string) string { return "'" + s + "'" }}

func TestParseDefaultsAndOverride(t *testing.T) {
	if _, err := Parse("", funcs); err != nil {
		t.Fatalf("embedded templates: %v", err)
	}
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "generate.sbatch"), []byte("#!/bin/bash\n# site template\necho {{q .Config}}\n"), 0o644)
	tm, err := Parse(dir, funcs)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	if err := tm.ExecuteTemplate(&b, "generate.sbatch", struct{ Config string }{"/c.toml"}); err != nil {
		t.Fatal(err)
	}
	if b.String() != "#!/bin/bash\n# site template\necho '/c.toml'\n" {
		t.Errorf("override rendered %q", b.String())
	}
	// merge.sbatch still comes from the binary.
	if tm.Lookup("merge.sbatch") == nil || tm.Lookup("server.tmpl") == nil {
		t.Error("embedded merge.sbatch or server.tmpl missing next to the override")
	}
	// A field the data does not have is an error, not an empty string.
	if err := tm.ExecuteTemplate(&b, "generate.sbatch", struct{ Other string }{}); err == nil {
		t.Error("a missing field rendered")
	}
}

func TestParseBrokenOverride(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "merge.sbatch"), []byte("{{if}}"), 0o644)
	_, err := Parse(dir, funcs)
	if err == nil || !strings.Contains(err.Error(), "merge.sbatch") {
		t.Errorf("got %v, want an error naming merge.sbatch", err)
	}
}
