//go:build !unix && !windows

package wasmhost

// reserveMemory is the fallback for systems where relayd knows no call to
// reserve address space (neither unix nor Windows): the reservation is a
// zeroed Go slice of n bytes. The plugin's account still bounds what an
// instance may commit, and memory never moves on grow, but the whole
// maximum is in the Go heap (virtual until touched where the system
// allocates lazily) and goes back only when the garbage collector frees it
// after the instance closes.
func reserveMemory(n int) ([]byte, error) { return make([]byte, n), nil }

// commitMemory has nothing to do: the slice is readable and writable.
func commitMemory([]byte) error { return nil }

// releaseMemory leaves the slice to the garbage collector.
func releaseMemory([]byte) error { return nil }
