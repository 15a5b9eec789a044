package main

import (
	"context"
	"fmt"
	"io"
	"sort"

	"github.com/relayd/relayd/host/server"
	"github.com/relayd/relayd/host/store/badgerstore"
)

const fsckUsage = `usage: relayd fsck [-repair] [flags]

Checks the store: every stored event parses and matches its id, every
event has all its index entries, every index entry points at an event, no
replaceable or addressable address is held by two events and no id is
stored twice. Each problem is printed; the exit status is 1 when there is
one. -repair then rebuilds every index from the stored events, dropping
(and printing) the events that cannot be read, a second copy of an id, and
the older of two versions at one address, and checks again.
`

// fsckCommand runs `relayd fsck`.
func fsckCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("fsck", fsckUsage, stderr)
	df := addDataFlags(fs)
	repair := fs.Bool("repair", false, "rebuild the indexes and drop what cannot be kept")
	cfg, pos, code, ok := parseData(fs, df, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintln(stderr, "relayd fsck: want no arguments")
		return 2
	}
	// fsck is the way out of a store that has gone backwards against its
	// rollback record, so it opens one as -accept-store-rollback does.
	cfg.AcceptStoreRollback = true
	ctx, stop := interruptible()
	defer stop()
	d, ok := openData(ctx, "fsck", cfg, stderr, server.DataOptions{}, "")
	if !ok {
		return 1
	}
	code = runFsck(ctx, d.Store, *repair, stdout, stderr)
	if err := d.Close(); err != nil {
		fmt.Fprintf(stderr, "relayd fsck: %v\n", err)
		return 1
	}
	return code
}

func runFsck(ctx context.Context, st *badgerstore.Store, repair bool, stdout, stderr io.Writer) int {
	print := func(p badgerstore.Problem) { fmt.Fprintln(stdout, p) }
	res, err := st.Check(ctx, print)
	if err != nil {
		fmt.Fprintf(stderr, "relayd fsck: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "checked %d events and %d index entries: %s\n", res.Events, res.IndexEntries, problems(res))
	if res.Total() == 0 {
		return 0
	}
	if !repair {
		fmt.Fprintln(stdout, "run relayd fsck -repair to rebuild the indexes")
		return 1
	}
	fmt.Fprintln(stdout, "repairing:")
	rep, err := st.Repair(ctx, func(p badgerstore.Problem) { fmt.Fprintln(stdout, "  "+p.String()) })
	if err != nil {
		fmt.Fprintf(stderr, "relayd fsck: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "repaired: kept %d events, dropped %d, wrote %d index entries\n", rep.Events, rep.Dropped, rep.IndexEntries)
	res, err = st.Check(ctx, print)
	if err != nil {
		fmt.Fprintf(stderr, "relayd fsck: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "checked %d events and %d index entries: %s\n", res.Events, res.IndexEntries, problems(res))
	if res.Total() != 0 {
		return 1
	}
	return 0
}

// problems summarizes a check's problems by kind.
func problems(res badgerstore.CheckResult) string {
	if res.Total() == 0 {
		return "no problems"
	}
	kinds := make([]badgerstore.ProblemKind, 0, len(res.Problems))
	for k := range res.Problems {
		kinds = append(kinds, k)
	}
	sort.Slice(kinds, func(i, j int) bool { return kinds[i] < kinds[j] })
	s := fmt.Sprintf("%d problems (", res.Total())
	for i, k := range kinds {
		if i > 0 {
			s += ", "
		}
		s += fmt.Sprintf("%d %s", res.Problems[k], k)
	}
	return s + ")"
}
