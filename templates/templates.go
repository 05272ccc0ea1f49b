package templates

import (
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"text/template"
)

//go:embed generate.sbatch merge.sbatch server.tmpl
var embedded embed.FS

// Names returns the template files, in parse order.
func Names() []string { return []string{"server.tmpl", "generate.sbatch", "merge.sbatch"} }

// Parse parses the templates once, with missingkey=error, taking each file
// from dir when dir is not empty and holds it, else the embedded default.
// funcs are the functions the templates may call (q, the shell quoter).
func Parse(dir string, funcs template.FuncMap) (*template.Template, error) {
	root := template.New("distillery").Funcs(funcs).Option("missingkey=error")
	for _, name := range Names() {
		src, err := read(dir, name)
		if err != nil {
			return nil, err
		}
		if _, err := root.New(name).Parse(string(src)); err != nil {
			return nil, fmt.Errorf("parsing template %s: %w", name, err)
		}
	}
	return root, nil
}

func read(dir, name string) ([]byte, error) {
	if dir != "" {
		p := filepath.Join(dir, name)
		b, err := os.ReadFile(p)
		if err == nil {
			return b, nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return nil, fmt.Errorf("reading template %s (slurm.templates_dir): %w", p, err)
		}
	}
	return embedded.ReadFile(name)
}
