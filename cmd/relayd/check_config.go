package main

import (
	"errors"
	"flag"
	"fmt"
	"io"

	"github.com/relayd/relayd/host/config"
)

const checkConfigUsage = `usage: relayd check-config FILE

Validates a relayd.toml without starting relayd: every key known, every
value of the right type and in range. Prints "FILE: ok" and exits 0, or
prints what is wrong, naming the key, and exits 1. A running relayd
reloads the file on SIGHUP or when it changes; a file that fails this check
is refused there too and the running config stays.
`

// checkConfigCommand runs `relayd check-config FILE`.
func checkConfigCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("check-config", checkConfigUsage, stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return 0
		}
		return 2
	}
	if fs.NArg() != 1 {
		fmt.Fprint(stderr, checkConfigUsage)
		return 2
	}
	path := fs.Arg(0)
	if _, err := (config.Source{Path: path}).Load(); err != nil {
		fmt.Fprintf(stderr, "relayd check-config: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "%s: ok\n", path)
	return 0
}
