//go:build unix

package main

import (
	"io"
	"os"

	"golang.org/x/sys/unix"
)

// termSize is the terminal's size, 80×24 when w is not one (or says
// nothing).
func termSize(w io.Writer) (width, height int) {
	width, height = watchWidth, 24
	if f, ok := w.(*os.File); ok {
		if ws, err := unix.IoctlGetWinsize(int(f.Fd()), unix.TIOCGWINSZ); err == nil && ws.Col > 0 && ws.Row > 0 {
			width, height = int(ws.Col), int(ws.Row)
		}
	}
	return width, height
}
