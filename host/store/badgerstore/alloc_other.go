//go:build !unix

package badgerstore

import "io/fs"

// allocatedBytes is the file's length here, where the file information
// carries no block count: a sparse write-ahead log counts at its full
// length, so the replay estimate in Open errs on the side of more space.
func allocatedBytes(fi fs.FileInfo) uint64 { return uint64(fi.Size()) }
