package wasmhost

import (
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/relayd/relayd/sdk/abi"
)

// maxFiles is how many files one plugin may list in its "files" setting.
// With abi.MaxFileLen each, it bounds what a plugin's files hold in memory
// (the relay keeps them for the life of the plugin version) and what a
// rescan reads.
const maxFiles = 16

// listedFiles are the files of a plugin's "files" setting, read whole.
type listedFiles struct {
	data map[string][]byte // by name; nil if none are listed
	// sum digests every listed name with its contents or its error, so a
	// change to any of them is a change of the plugin.
	sum [32]byte
	// errs has one error per name that is invalid or could not be read.
	errs []error
}

// err returns the files' errors joined, or nil.
func (l listedFiles) err() error { return errors.Join(l.errs...) }

// readFiles checks names and reads each from dir. A name that is not a
// plain file name of dir is not read.
func readFiles(dir string, names []string) listedFiles {
	var l listedFiles
	if len(names) == 0 {
		return l
	}
	h := sha256.New()
	if err := checkFileNames(names); err != nil {
		l.errs = append(l.errs, err)
		h.Write([]byte(err.Error()))
		h.Sum(l.sum[:0])
		return l
	}
	l.data = make(map[string][]byte, len(names))
	for _, name := range names {
		b, err := readFile(filepath.Join(dir, name))
		h.Write([]byte(name))
		if err != nil {
			err = fmt.Errorf("file %q: %w", name, err)
			l.errs = append(l.errs, err)
			h.Write([]byte("\x00error\x00" + err.Error() + "\x00"))
			continue
		}
		l.data[name] = b
		h.Write([]byte("\x00" + strconv.Itoa(len(b)) + "\x00"))
		h.Write(b)
	}
	h.Sum(l.sum[:0])
	return l
}

// readFile reads a regular file (following symlinks) of at most
// abi.MaxFileLen bytes. It reads no more than that, however big the file.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	b, err := io.ReadAll(io.LimitReader(f, abi.MaxFileLen+1))
	if err != nil {
		return nil, err
	}
	if len(b) > abi.MaxFileLen {
		return nil, fmt.Errorf("%s: over %d bytes (abi.MaxFileLen)", path, abi.MaxFileLen)
	}
	return b, nil
}

// checkFileNames checks the "files" setting: at most maxFiles distinct
// plain names of files in the plugin directory, other than plugins and
// their settings.
func checkFileNames(names []string) error {
	if len(names) > maxFiles {
		return fmt.Errorf("files: %d listed, at most %d", len(names), maxFiles)
	}
	seen := make(map[string]bool, len(names))
	for _, name := range names {
		switch {
		case name == "" || name == "." || name == ".." || strings.ContainsAny(name, `/\`+"\x00") ||
			len(name) > abi.MaxFileNameLen:
			return fmt.Errorf("files: %q: want the plain name of a file in the plugin directory", name)
		case strings.HasSuffix(name, ".wasm") || strings.HasSuffix(name, ".toml"):
			return fmt.Errorf("files: %q: plugins and their settings cannot be listed", name)
		case seen[name]:
			return fmt.Errorf("files: %q listed twice", name)
		}
		seen[name] = true
	}
	return nil
}
