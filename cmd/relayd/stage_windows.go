package main

import (
	"errors"
	"io"
	"os"
)

// stageFile makes dst, in a plugin's staging directory, a copy of the file
// src its settings list: creating a symbolic link on Windows needs a
// privilege (or developer mode) most users lack. A missing src is left
// for the loader to report, as a dangling link is elsewhere.
func stageFile(src, dst string) error {
	in, err := os.Open(src)
	if errors.Is(err, os.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o644)
	if errors.Is(err, os.ErrExist) {
		return nil
	}
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
