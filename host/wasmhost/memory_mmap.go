//go:build unix

package wasmhost

import "golang.org/x/sys/unix"

// reserveMemory reserves n bytes of address space, inaccessible and
// backed by nothing until committed.
func reserveMemory(n int) ([]byte, error) {
	return unix.Mmap(-1, 0, n, unix.PROT_NONE, unix.MAP_PRIVATE|unix.MAP_ANON|mapNoReserve)
}

// commitMemory makes b, a page-aligned part of a reservation, readable
// and writable (zero pages, backed on first touch).
func commitMemory(b []byte) error {
	return unix.Mprotect(b, unix.PROT_READ|unix.PROT_WRITE)
}

// releaseMemory returns a whole reservation to the system.
func releaseMemory(b []byte) error { return unix.Munmap(b) }
