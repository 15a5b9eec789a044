//go:build !(linux || darwin || dragonfly || freebsd || netbsd || openbsd || windows)

package main

import "io"

// isTerminal reports false: progress is logged as lines.
func isTerminal(io.Writer) bool { return false }
