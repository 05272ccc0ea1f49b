package shard

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Files in a run dir and the dataset are read by teammates on shared
// project storage (their `distillery status`, their `ls dataset`), and
// no secret is ever written there: they are created with FilePerm and
// DirPerm, which the process's umask narrows, as touch and mkdir do (umask
// 022 gives 0644 and 0755, umask 002 group-writable ones, umask 077
// private ones). os.CreateTemp and os.MkdirTemp are not used for them:
// they create 0600 and 0700 whatever the umask says.
const (
	FilePerm fs.FileMode = 0o666
	DirPerm  fs.FileMode = 0o777
)

// CreateTemp creates a new file dir/prefix<random> for writing, with
// FilePerm narrowed by the umask (os.CreateTemp would make it 0600).
func CreateTemp(dir, prefix string) (*os.File, error) {
	for range 100 {
		f, err := os.OpenFile(filepath.Join(dir, prefix+randomSuffix()), os.O_RDWR|os.O_CREATE|os.O_EXCL, FilePerm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return f, err
	}
	return nil, fmt.Errorf("creating a temporary file %s* in %s: every name tried exists", prefix, dir)
}

// MkdirTemp creates a new directory dir/prefix<random>, with DirPerm
// narrowed by the umask (os.MkdirTemp would make it 0700), and returns
// its path.
func MkdirTemp(dir, prefix string) (string, error) {
	for range 100 {
		name := filepath.Join(dir, prefix+randomSuffix())
		err := os.Mkdir(name, DirPerm)
		if errors.Is(err, fs.ErrExist) {
			continue
		}
		return name, err
	}
	return "", fmt.Errorf("creating a temporary directory %s* in %s: every name tried exists", prefix, dir)
}

func randomSuffix() string {
	var b [6]byte
	rand.Read(b[:]) // never fails (crypto/rand panics rather)
	return hex.EncodeToString(b[:])
}
