package main

import (
	"fmt"
	"io"

	"github.com/relayd/relayd/host/server"
)

const deleteUsage = `usage: relayd delete -filter JSON [-dry-run] [flags]

Deletes the stored events matching a NIP-01 filter (newest first, at most
its limit), each with every index entry, and prints how many. -dry-run only
counts them. Nothing remembers the deleted ids: the same events can be
imported or published again (add a policy to keep them out).
`

// deleteCommand runs `relayd delete`.
func deleteCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("delete", deleteUsage, stderr)
	df := addDataFlags(fs)
	filter := fs.String("filter", "", `NIP-01 filter as JSON (required; '{}' matches every event)`)
	dryRun := fs.Bool("dry-run", false, "only count the matching events")
	cfg, pos, code, ok := parseData(fs, df, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 || *filter == "" {
		fmt.Fprintln(stderr, "relayd delete: want -filter JSON and no arguments")
		return 2
	}
	f, err := parseFilter(*filter)
	if err != nil {
		fmt.Fprintf(stderr, "relayd delete: %v\n", err)
		return 2
	}
	ctx, stop := interruptible()
	defer stop()
	d, ok := openData(ctx, "delete", cfg, stderr, server.DataOptions{}, "")
	if !ok {
		return 1
	}
	n, err := d.Store.DeleteMatching(ctx, f, *dryRun)
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	switch {
	case err != nil:
		fmt.Fprintf(stdout, "deleted %d events before an error\n", n)
		fmt.Fprintf(stderr, "relayd delete: %v\n", err)
		return 1
	case *dryRun:
		fmt.Fprintf(stdout, "would delete %d events (dry run)\n", n)
	default:
		fmt.Fprintf(stdout, "deleted %d events\n", n)
	}
	return 0
}
