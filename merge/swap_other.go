//go:build !linux

package merge

import "errors"

// exchangeDirs is not available here; swapDir falls back to two renames.
func exchangeDirs(a, b string) error { return errors.New("no atomic exchange") }
