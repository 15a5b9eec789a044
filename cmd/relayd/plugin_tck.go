package main

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"io"
	"os"

	"github.com/relayd/relayd/internal/tck"
	sdktck "github.com/relayd/relayd/sdk/tck"
)

// pluginTCK runs `relayd plugin tck`: the guest conformance kit (sdk/tck)
// against a TCK plugin, through the relay's real host. With no cases file
// it runs the kit this binary was built with.
func pluginTCK(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("relayd plugin tck", flag.ContinueOnError)
	fs.SetOutput(stderr)
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usageErr(stderr, "tck", "want FILE.wasm [CASES.jsonl]")
	}
	wasm, err := os.ReadFile(pos[0])
	if err != nil {
		fmt.Fprintf(stderr, "relayd plugin tck: %v\n", err)
		return 1
	}
	cases, name := sdktck.Cases, "the built-in kit"
	if len(pos) == 2 {
		if cases, err = os.ReadFile(pos[1]); err != nil {
			fmt.Fprintf(stderr, "relayd plugin tck: %v\n", err)
			return 1
		}
		name = pos[1]
	}
	lines, err := tck.Parse(bytes.NewReader(cases))
	if err != nil {
		fmt.Fprintf(stderr, "relayd plugin tck: %s: %v\n", name, err)
		return 1
	}
	tmp, err := os.MkdirTemp("", "relayd-tck-")
	if err != nil {
		fmt.Fprintf(stderr, "relayd plugin tck: %v\n", err)
		return 1
	}
	defer os.RemoveAll(tmp)
	failures, ran, err := tck.Run(context.Background(), wasm, lines, tmp)
	if err != nil {
		fmt.Fprintf(stderr, "relayd plugin tck: %v\n", err)
		return 1
	}
	for _, f := range failures {
		fmt.Fprintln(stdout, f)
	}
	if len(failures) > 0 {
		fmt.Fprintf(stderr, "FAIL: %d of %d cases of %s (sdk/tck/README.md says what a TCK plugin must do)\n", len(failures), ran, name)
		return 1
	}
	fmt.Fprintf(stdout, "ok: %d cases of %s\n", ran, name)
	return 0
}
