//go:build !linux

package main

import "io"

// isTerminal reports false: progress is logged as lines.
func isTerminal(io.Writer) bool { return false }
