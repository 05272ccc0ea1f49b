package realdata

import (
	"fmt"
	"os"
	"path/filepath"
)

// ModuleRoot walks up from the working directory to the directory holding
// go.mod.
func ModuleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", fmt.Errorf("finding the module root: %w", err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", fmt.Errorf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// Path returns the file rel (e.g. "derived/problems.parquet") of the real
// data set in ../shared/data/real beside the repository (or ../../shared,
// from a git worktree one level deeper).
func Path(rel string) (string, error) {
	dir, err := ModuleRoot()
	if err != nil {
		return "", err
	}
	for _, up := range []string{"..", filepath.Join("..", "..")} {
		p := filepath.Join(dir, up, "shared", "data", "real", rel)
		if _, err := os.Stat(p); err == nil {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s is not in ../shared/data/real beside the repository", rel)
}
