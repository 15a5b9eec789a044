package wasmhost

import (
	"unsafe"

	"golang.org/x/sys/windows"
)

// reserveMemory reserves n bytes of address space (MEM_RESERVE,
// PAGE_NOACCESS): no commit charge until committed. It is how the Go
// runtime reserves its own heap on Windows.
func reserveMemory(n int) ([]byte, error) {
	p, err := windows.VirtualAlloc(0, uintptr(n), windows.MEM_RESERVE, windows.PAGE_NOACCESS)
	if err != nil {
		return nil, err
	}
	return unsafe.Slice((*byte)(unsafe.Add(nil, p)), n), nil
}

// commitMemory commits b, a page-aligned part of a reservation, readable
// and writable (MEM_COMMIT: zero pages, charged to the commit limit now,
// backed on first touch).
func commitMemory(b []byte) error {
	_, err := windows.VirtualAlloc(uintptr(unsafe.Pointer(unsafe.SliceData(b))), uintptr(len(b)), windows.MEM_COMMIT, windows.PAGE_READWRITE)
	return err
}

// releaseMemory returns a whole reservation to the system (MEM_RELEASE
// takes the reservation's base and a size of 0).
func releaseMemory(b []byte) error {
	return windows.VirtualFree(uintptr(unsafe.Pointer(unsafe.SliceData(b))), 0, windows.MEM_RELEASE)
}
