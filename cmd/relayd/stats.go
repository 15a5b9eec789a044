package main

import (
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"time"

	"github.com/relayd/relayd/host/server"
)

const statsUsage = `usage: relayd stats [-json] [-top N] [flags]

Prints what the store holds: the number of events and authors, events by
kind (the N most common) and by age of created_at, and the bytes on disk
(allocated blocks) of each badger part (sst: the LSM tree of keys; vlog:
the value log of event JSON; other: manifest, memtable logs). It reads
index keys only.
`

// statsJSON is the -json output.
type statsJSON struct {
	Events  int64            `json:"events"`
	Authors int64            `json:"authors"`
	Kinds   []kindCount      `json:"kinds"`
	Ages    []ageCount       `json:"ages"`
	Disk    map[string]int64 `json:"disk"`
}

type kindCount struct {
	Kind   int   `json:"kind"`
	Events int64 `json:"events"`
}

type ageCount struct {
	Age    string `json:"age"`
	Events int64  `json:"events"`
}

// statsCommand runs `relayd stats`.
func statsCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("stats", statsUsage, stderr)
	df := addDataFlags(fs)
	asJSON := fs.Bool("json", false, "print JSON")
	top := fs.Int("top", 20, "kinds to list, most events first (0: all)")
	cfg, pos, code, ok := parseData(fs, df, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 0 {
		fmt.Fprintln(stderr, "relayd stats: want no arguments")
		return 2
	}
	ctx, stop := interruptible()
	defer stop()
	d, ok := openData(ctx, "stats", cfg, stderr, server.DataOptions{}, "")
	if !ok {
		return 1
	}
	st, err := d.Store.Stats(ctx, time.Now().Unix())
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		fmt.Fprintf(stderr, "relayd stats: %v\n", err)
		return 1
	}
	out := statsJSON{Events: st.Events, Authors: st.Authors,
		Disk: map[string]int64{"sst": st.Disk.SST, "vlog": st.Disk.VLog, "other": st.Disk.Other, "total": st.Disk.Total()}}
	for k, n := range st.Kinds {
		out.Kinds = append(out.Kinds, kindCount{k, n})
	}
	sort.Slice(out.Kinds, func(i, j int) bool {
		if out.Kinds[i].Events != out.Kinds[j].Events {
			return out.Kinds[i].Events > out.Kinds[j].Events
		}
		return out.Kinds[i].Kind < out.Kinds[j].Kind
	})
	if *top > 0 && len(out.Kinds) > *top {
		out.Kinds = out.Kinds[:*top]
	}
	for _, a := range st.Ages {
		out.Ages = append(out.Ages, ageCount{a.Bucket, a.Events})
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		enc.Encode(out)
		return 0
	}
	printStats(stdout, out, len(st.Kinds))
	return 0
}

func printStats(w io.Writer, s statsJSON, kinds int) {
	fmt.Fprintf(w, "events   %d\nauthors  %d\n", s.Events, s.Authors)
	fmt.Fprintf(w, "kinds    %d (top %d)\n", kinds, len(s.Kinds))
	for _, k := range s.Kinds {
		fmt.Fprintf(w, "  %-8d %10d\n", k.Kind, k.Events)
	}
	fmt.Fprintln(w, "age of created_at")
	for _, a := range s.Ages {
		fmt.Fprintf(w, "  %-8s %10d\n", a.Age, a.Events)
	}
	fmt.Fprintln(w, "disk")
	for _, part := range []string{"sst", "vlog", "other", "total"} {
		fmt.Fprintf(w, "  %-8s %10s\n", part, size(s.Disk[part]))
	}
}
