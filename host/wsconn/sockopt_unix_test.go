//go:build unix

package wsconn_test

import "syscall"

// setReceiveBuffer sets a socket's SO_RCVBUF before it connects.
func setReceiveBuffer(fd uintptr, n int) error {
	return syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, n)
}

// setSendBuffer sets a socket's SO_SNDBUF (a listener's passes to the
// sockets it accepts).
func setSendBuffer(fd uintptr, n int) error {
	return syscall.SetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_SNDBUF, n)
}
