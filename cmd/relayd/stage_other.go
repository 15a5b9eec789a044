//go:build !windows

package main

import (
	"errors"
	"os"
)

// stageFile makes dst, in a plugin's staging directory, name the file src
// its settings list: a symbolic link (src need not exist; the loader
// reports a missing file).
func stageFile(src, dst string) error {
	if err := os.Symlink(src, dst); err != nil && !errors.Is(err, os.ErrExist) {
		return err
	}
	return nil
}
