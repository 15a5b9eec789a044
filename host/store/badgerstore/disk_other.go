//go:build !(linux || darwin || freebsd || dragonfly || windows)

package badgerstore

import (
	"errors"
	"fmt"
)

// statfsFree is the default Options.FreeSpace. This system has no call
// relayd knows for it, so every measure fails: Open logs that it cannot
// measure the free space and assumes there is enough, the monitor logs it
// once, and the disk reserve is not enforced (set Options.FreeSpace to
// enforce it).
func statfsFree(string) (uint64, error) {
	return 0, fmt.Errorf("no free-space call on this system: %w", errors.ErrUnsupported)
}
