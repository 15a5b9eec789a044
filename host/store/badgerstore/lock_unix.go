//go:build unix

package badgerstore

import (
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"

	"golang.org/x/sys/unix"
)

// ErrLocked is returned by CheckLock when another process has the store
// open: badger allows one process per directory, so a running relayd keeps
// the data commands out.
var ErrLocked = errors.New("badgerstore: the store is in use by another process")

// CheckLock reports ErrLocked (with the holder's pid when badger recorded
// it) if another process holds the lock of the store in dir, the lock
// badger.Open takes. A missing dir is not locked. It takes the lock for a
// moment only; Open takes it for good.
func CheckLock(dir string) error {
	f, err := os.Open(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("badgerstore: %w", err)
	}
	defer f.Close()
	err = unix.Flock(int(f.Fd()), unix.LOCK_EX|unix.LOCK_NB)
	if errors.Is(err, unix.EWOULDBLOCK) {
		if b, rerr := os.ReadFile(filepath.Join(dir, "LOCK")); rerr == nil {
			if pid, perr := strconv.Atoi(string(bytes.TrimSpace(b))); perr == nil {
				return fmt.Errorf("%w (pid %d)", ErrLocked, pid)
			}
		}
		return ErrLocked
	}
	if err != nil {
		return fmt.Errorf("badgerstore: lock %s: %w", dir, err)
	}
	return unix.Flock(int(f.Fd()), unix.LOCK_UN)
}
