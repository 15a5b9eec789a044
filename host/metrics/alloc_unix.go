//go:build unix

package metrics

import (
	"io/fs"
	"syscall"
)

// allocated is the disk space of a file: its allocated blocks, not its
// length (badger preallocates and maps files larger than their data).
func allocated(fi fs.FileInfo) int64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return st.Blocks * 512
	}
	return fi.Size()
}
