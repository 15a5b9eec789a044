//go:build unix

package badgerstore

import (
	"io/fs"
	"syscall"
)

// allocatedBytes is the disk space a file takes: its allocated blocks,
// which for badger's preallocated, sparse write-ahead logs is less than
// their length.
func allocatedBytes(fi fs.FileInfo) uint64 {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return uint64(st.Blocks) * 512
	}
	return uint64(fi.Size())
}
