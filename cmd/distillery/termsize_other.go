//go:build !unix

package main

import "io"

// termSize is 80×24 where the terminal cannot be asked.
func termSize(io.Writer) (width, height int) { return watchWidth, 24 }
