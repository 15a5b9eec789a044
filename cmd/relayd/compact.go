package main

import (
	"fmt"
	"io"

	"github.com/relayd/relayd/host/server"
	"github.com/relayd/relayd/host/store/badgerstore"
)

const compactUsage = `usage: relayd compact [-discard-ratio R] [flags]

Reclaims the space of deleted, replaced and expired events: flattens
badger's LSM tree into one level, then rewrites every value log file with
at least R of garbage (badger never rewrites the file being written). Prints
the bytes on disk before and after.
`

// compactCommand runs `relayd compact`.
func compactCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("compact", compactUsage, stderr)
	df := addDataFlags(fs)
	ratio := fs.Float64("discard-ratio", 0.5, "rewrite value log files with at least this share of garbage (0-1)")
	cfg, pos, code, ok := parseData(fs, df, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 || *ratio <= 0 || *ratio >= 1 {
		fmt.Fprintln(stderr, "relayd compact: want no arguments and 0 < -discard-ratio < 1")
		return 2
	}
	ctx, stop := interruptible()
	defer stop()
	d, ok := openData(ctx, "compact", cfg, stderr, server.DataOptions{}, "")
	if !ok {
		return 1
	}
	before, after, err := d.Store.Compact(ctx, *ratio)
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(stderr, "relayd compact: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "before  %s\nafter   %s\n", usageLine(before), usageLine(after))
	return 0
}

func usageLine(d badgerstore.DiskUsage) string {
	return fmt.Sprintf("%10s (sst %s, vlog %s, other %s)", size(d.Total()), size(d.SST), size(d.VLog), size(d.Other))
}
