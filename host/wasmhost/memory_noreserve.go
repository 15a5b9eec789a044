//go:build unix && !freebsd

package wasmhost

import "golang.org/x/sys/unix"

// mapNoReserve keeps a reservation out of the swap accounting
// (overcommit) until it is committed.
const mapNoReserve = unix.MAP_NORESERVE
