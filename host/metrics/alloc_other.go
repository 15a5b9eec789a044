//go:build !unix

package metrics

import "io/fs"

// allocated is the file's length where block counts are not at hand.
func allocated(fi fs.FileInfo) int64 { return fi.Size() }
