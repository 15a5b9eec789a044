package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"math"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/server"
)

const exportUsage = `usage: relayd export [flags] [FILE|-]

Writes the stored events as JSONL to FILE or stdout, one event per line,
each byte-identical to what the relay sends for it in a REQ, newest first
(created_at descending, then id: the relay's REQ order). -filter takes a
NIP-01 filter (ids, authors, kinds, #x tags, since, until; limit caps the
count). Expired events are left out, as REQ leaves them out. Memory use does
not grow with the store.

While relayd runs it holds the data dir: use -url to page through the
running relay with REQs instead.
`

// exportCommand runs `relayd export`.
func exportCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("export", exportUsage, stderr)
	df := addDataFlags(fs)
	filter := fs.String("filter", "", `NIP-01 filter as JSON, e.g. '{"kinds":[0,3],"since":1700000000}'`)
	url := fs.String("url", "", "export from the running relay at this ws:// URL instead of opening the data dir")
	page := fs.Int("page", 1000, "with -url: events per REQ (lowered to the relay's max_limit)")
	every := fs.Duration("progress", 5*time.Second, "when stderr is not a terminal, log progress this often (0: never)")
	cfg, pos, code, ok := parseData(fs, df, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 1 {
		fmt.Fprintln(stderr, "relayd export: want at most one FILE")
		return 2
	}
	f, err := parseFilter(*filter)
	if err != nil {
		fmt.Fprintf(stderr, "relayd export: %v\n", err)
		return 2
	}
	ctx, stop := interruptible()
	defer stop()
	var d *server.Data
	if *url == "" {
		alt := "relayd export -url " + relayURL(cfg)
		if d, ok = openData(ctx, "export", cfg, stderr, server.DataOptions{}, alt); !ok {
			return 1
		}
		defer d.Close()
	}
	out, name, closeOut, err := openOutput(pos, stdout)
	if err != nil {
		fmt.Fprintf(stderr, "relayd export: %v\n", err)
		return 1
	}
	w := bufio.NewWriterSize(out, 1<<20)
	var total int64
	if d != nil && isEmpty(f) {
		if st, err := d.Store.Stats(ctx, time.Now().Unix()); err == nil {
			total = st.Events
		}
	}
	prog := newProgress(stderr, "export", 0, total, *every)
	start := time.Now()
	if *url != "" {
		err = exportURL(ctx, *url, f, *page, w, prog, stderr)
	} else {
		err = exportLocal(ctx, d, f, w, prog)
	}
	if ferr := w.Flush(); err == nil {
		err = ferr
	}
	if cerr := closeOut(); err == nil {
		err = cerr
	}
	prog.finish()
	return exportDone(ctx, err, prog, name, time.Since(start), stderr)
}

// exportDone reports how an export ended and returns its exit code.
func exportDone(ctx context.Context, err error, prog *progress, name string, took time.Duration, stderr io.Writer) int {
	n := prog.events.Load()
	fmt.Fprintf(stderr, "relayd export: %d events (%s) to %s in %s (%.0f events/s)\n", n, size(prog.bytes.Load()), name,
		took.Round(time.Millisecond), float64(n)/max(took.Seconds(), 1e-3))
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(stderr, "relayd export: interrupted; the output is incomplete")
		return 130
	case err != nil:
		fmt.Fprintf(stderr, "relayd export: %v\n", err)
		return 1
	}
	return 0
}

// exportLocal streams the store's answer to the filter, newest first, in
// one read transaction.
func exportLocal(ctx context.Context, d *server.Data, f nostr.Filter, w *bufio.Writer, prog *progress) error {
	limit := math.MaxInt
	if f.Limit > 0 {
		limit = f.Limit
	}
	var werr error
	err := d.Store.Query(ctx, f, limit, func(raw []byte) bool {
		if _, werr = w.Write(raw); werr == nil {
			werr = w.WriteByte('\n')
		}
		prog.add(1, int64(len(raw))+1)
		return werr == nil && ctx.Err() == nil
	})
	if werr != nil {
		return werr
	}
	return err
}

// isEmpty reports whether f selects every event.
func isEmpty(f nostr.Filter) bool {
	return f.IDs == nil && f.Authors == nil && f.Kinds == nil && f.Tags == nil && f.Since == nil && f.Until == nil && f.Limit == 0
}
