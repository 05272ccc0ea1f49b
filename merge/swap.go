package merge

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/distillery-hpc/distillery/shard"
)

// swapDir puts the finished directory tmp in place of final. Where the
// filesystem can exchange two names atomically (Linux renameat2), readers
// see either the old dataset or the new one, never neither; elsewhere the
// old one is renamed aside first, so for a moment there is no dataset (a
// crash right then leaves .dataset.tmp-* and .dataset.old-*, which the
// next merge cleans up), but never a half one.
func swapDir(tmp, final string) error { return swapDirWith(tmp, final, exchangeDirs) }

// swapDirWith is swapDir with the atomic exchange as a parameter, so that
// tests run the fallback too.
func swapDirWith(tmp, final string, exchange func(a, b string) error) error {
	dir := filepath.Dir(final)
	if _, err := os.Lstat(final); errors.Is(err, os.ErrNotExist) {
		if err := os.Rename(tmp, final); err != nil {
			return fmt.Errorf("moving the dataset into place: %w", err)
		}
		return shard.SyncDir(dir)
	}
	if exchange(tmp, final) == nil {
		if err := shard.SyncDir(dir); err != nil {
			return err
		}
		os.RemoveAll(tmp) // now the previous dataset
		return nil
	}
	old, err := shard.MkdirTemp(dir, ".dataset.old-")
	if err != nil {
		return fmt.Errorf("moving the previous dataset aside: %w", err)
	}
	aside := filepath.Join(old, "dataset")
	if err := os.Rename(final, aside); err != nil {
		os.Remove(old)
		return fmt.Errorf("moving the previous dataset aside: %w", err)
	}
	if err := os.Rename(tmp, final); err != nil {
		os.Rename(aside, final)
		os.Remove(old)
		return fmt.Errorf("moving the dataset into place: %w", err)
	}
	if err := shard.SyncDir(dir); err != nil {
		return err
	}
	os.RemoveAll(old)
	return nil
}
