package testenv

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/distillery-hpc/distillery/internal/realdata"
)

// NeedData returns the path of rel in the real data set
// (../shared/data/real beside the repository, see internal/realdata; or
// $DISTILLERY_SHARED_DIR/data/real when that is set), or skips when it is
// not there (fails when DISTILLERY_REQUIRE_DATA=1).
func NeedData(t testing.TB, rel string) string {
	t.Helper()
	if d := os.Getenv("DISTILLERY_SHARED_DIR"); d != "" {
		p := filepath.Join(d, "data", "real", rel)
		if _, err := os.Stat(p); err == nil {
			return p
		}
	}
	p, err := realdata.Path(rel)
	if err != nil {
		Skip(t, Data, "real data not found: %v", err)
	}
	return p
}
