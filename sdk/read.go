package sdk

import (
	"github.com/relayd/relayd/sdk/abi"
	"github.com/relayd/relayd/sdk/internal/imports"
)

// scratch is the buffer every host read goes through. A wasm instance is
// single-threaded, so one buffer per instance is enough; it grows to the
// largest value read.
var scratch = make([]byte, 2048)

// fetch runs a (buf, buf_limit) host read, growing scratch and retrying when
// the value did not fit. The result aliases scratch until the next fetch.
func fetch(read func(buf []byte) int32) ([]byte, abi.Errno) {
	for range 3 {
		n := read(scratch)
		if n < 0 {
			return nil, abi.Errno(n)
		}
		if int(n) <= len(scratch) {
			return scratch[:n], abi.OK
		}
		scratch = make([]byte, int(n)+int(n)/4)
	}
	return nil, abi.ErrInternal
}

func getField(f abi.Field) ([]byte, abi.Errno) {
	return fetch(func(b []byte) int32 { return imports.Get(uint32(f), b) })
}
