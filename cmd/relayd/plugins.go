package main

import (
	"fmt"
	"io"
)

// pluginCommand runs `relayd plugin ...`.
func pluginCommand(args []string, stdout, stderr io.Writer) int {
	fmt.Fprintln(stderr, "relayd plugin: not implemented yet")
	return 2
}
