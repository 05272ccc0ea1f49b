//go:build unix

package shard

import (
	"errors"
	"os"
	"syscall"
)

// pidNamespace names this process's pid namespace ("pid:[4026531836]"),
// "" when unknown. Two processes on one host see each other's pids only
// within the same namespace (containers may have their own).
func pidNamespace() string {
	ns, err := os.Readlink("/proc/self/ns/pid")
	if err != nil {
		return ""
	}
	return ns
}

// processGone reports whether no process with this pid exists (in our pid
// namespace). Any doubt (no permission to signal it) counts as alive.
func processGone(pid int) bool {
	if pid <= 0 {
		return false
	}
	err := syscall.Kill(pid, 0)
	return errors.Is(err, syscall.ESRCH)
}
