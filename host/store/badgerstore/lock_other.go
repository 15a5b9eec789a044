//go:build !unix

package badgerstore

import "errors"

// ErrLocked is returned by CheckLock when another process has the store
// open.
var ErrLocked = errors.New("badgerstore: the store is in use by another process")

// CheckLock cannot tell on this platform; badger.Open still refuses a store
// in use.
func CheckLock(string) error { return nil }
