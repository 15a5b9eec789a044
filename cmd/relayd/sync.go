package main

import (
	"context"
	"fmt"
	"io"
	"net/url"
	"time"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/peer"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/relay"
	"github.com/relayd/relayd/host/server"
)

const syncUsage = `usage: relayd sync [flags] URL

Syncs the data dir with the relay at URL (ws:// or wss://). Negentropy
(NIP-77) finds the events matching -filter that either side lacks; then
-dir down downloads the relay's (REQs by ids, in batches) through the
relay's own checks and, with -plugins, the policy chain with source Sync
and URL as its source info; -dir up uploads this store's (EVENTs, -window
of them awaiting their OK, each OK counted); -dir both does both. A relay
whose NIP-11 document lacks NIP-77 has its events listed by REQ instead,
with a warning. The summary counts the differences, what became of each
downloaded event, and the relay's answer to each uploaded one. SIGINT
stops the sync; what was stored stays stored.

While relayd runs it holds the data dir: add the relay as a [[sync]] peer
in the running relay's config instead (url, dir, filter, interval, live).
`

// syncCommand runs `relayd sync`.
func syncCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("sync", syncUsage, stderr)
	df := addDataFlags(fs)
	dirFlag := fs.String("dir", "down", "down (the relay's events come here), up (this store's go there) or both")
	filter := fs.String("filter", "", "NIP-01 filter (JSON) of the events to sync; default every event")
	plugins := fs.String("plugins", "", "run the policy chain of the plugins in this directory on downloaded events, with source Sync")
	window := fs.Int("window", 500, "EVENTs awaiting their OK while uploading")
	every := fs.Duration("progress", 5*time.Second, "when stderr is not a terminal, log progress this often (0: never)")
	cfg, pos, code, ok := parseData(fs, df, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) != 1 {
		fmt.Fprintln(stderr, "relayd sync: want one URL (ws:// or wss://)")
		return 2
	}
	target := pos[0]
	if u, err := url.Parse(target); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
		fmt.Fprintf(stderr, "relayd sync: %q is not a ws:// or wss:// URL\n", target)
		return 2
	}
	dir, err := peer.ParseDirection(*dirFlag)
	if err != nil {
		fmt.Fprintf(stderr, "relayd sync: -dir %q is not down, up or both\n", *dirFlag)
		return 2
	}
	f, err := parseFilter(*filter)
	if err != nil {
		fmt.Fprintf(stderr, "relayd sync: %v\n", err)
		return 2
	}
	ctx, stop := interruptible()
	defer stop()
	req := peer.Request{URL: target, Dir: dir, Filter: f, Limits: peer.Limits{MaxEvents: cfg.MaxNegentropyEvents, Window: *window}}
	return syncLocal(ctx, cfg, req, *plugins, *every, stdout, stderr)
}

// syncLocal runs the sync on cfg's data dir and prints the summary.
func syncLocal(ctx context.Context, cfg config.Config, req peer.Request, plugins string, every time.Duration, stdout, stderr io.Writer) int {
	alt := fmt.Sprintf("add it to the running relay's config as a sync peer ([[sync]] url = %q dir = %q)", req.URL, req.Dir)
	d, ok := openData(ctx, "sync", cfg, stderr, server.DataOptions{Relay: true, PluginDir: plugins, Version: version()}, alt)
	if !ok {
		return 1
	}
	fmt.Fprintf(stderr, "relayd sync: reconciling %s with %s (dir %s)\n", cfg.DataDir, req.URL, req.Dir)
	g := d.Relay.NewIngester(relay.IngestOptions{Source: policy.SourceSync, SourceInfo: req.URL})
	sp := &syncProgress{stderr: stderr, every: every}
	req.Reconciled, req.Downloaded, req.Uploaded, req.Notice = sp.reconciled(req.Dir), sp.downloaded, sp.uploaded, sp.notice
	start := time.Now()
	rep, err := peer.Sync(ctx, d.Store, g, req)
	g.Close()
	closeErr := d.Close()
	reconciled := sp.prog != nil
	sp.finish()
	if reconciled || err == nil {
		printSync(stdout, req, rep, time.Since(start))
	}
	switch {
	case ctx.Err() != nil:
		fmt.Fprintln(stdout, "interrupted: what was stored stays stored; run the sync again for the rest")
		return 130
	case err != nil:
		fmt.Fprintf(stderr, "relayd sync: %v\n", err)
		return 1
	case closeErr != nil:
		fmt.Fprintf(stderr, "relayd sync: %v\n", closeErr)
		return 1
	}
	return 0
}

// syncProgress reports a sync's transfer once the differences are known.
type syncProgress struct {
	stderr io.Writer
	every  time.Duration
	prog   *progress // set by reconciled, before any transfer
}

func (sp *syncProgress) reconciled(dir peer.Direction) func(have, need int, listed bool) {
	return func(have, need int, listed bool) {
		how := "negentropy"
		if listed {
			how = "listing by REQ"
		}
		fmt.Fprintf(sp.stderr, "relayd sync: %d events to download, %d to upload (%s)\n", need, have, how)
		var total int64
		if dir&peer.Down != 0 {
			total += int64(need)
		}
		if dir&peer.Up != 0 {
			total += int64(have)
		}
		sp.prog = newProgress(sp.stderr, "sync", 0, total, sp.every)
	}
}

func (sp *syncProgress) downloaded(_ relay.IngestResult, size int) { sp.prog.add(1, int64(size)) }

func (sp *syncProgress) uploaded(_ peer.UploadResult, _ string, size int) {
	sp.prog.add(1, int64(size))
}

func (sp *syncProgress) notice(msg string) {
	if sp.prog != nil {
		sp.prog.println("relayd sync: %s", msg)
		return
	}
	fmt.Fprintf(sp.stderr, "relayd sync: %s\n", msg)
}

func (sp *syncProgress) finish() {
	if sp.prog != nil {
		sp.prog.finish()
	}
}

// printSync writes the closing summary: one "name count" row each, the
// reasons under the invalid and refused rows.
func printSync(w io.Writer, req peer.Request, rep *peer.Report, took time.Duration) {
	how := fmt.Sprintf("%d rounds, %s sent, %s received", rep.Rounds, size(rep.BytesSent), size(rep.BytesReceived))
	if rep.Listed {
		how = "the relay's events listed by REQ (no NIP-77)"
	}
	fmt.Fprintf(w, "relayd sync: %s, dir %s, in %s: %s\n", req.URL, req.Dir, took.Round(time.Millisecond), how)
	row := func(name string, n int64) { fmt.Fprintf(w, "%-15s %8d\n", name, n) }
	row("have", int64(rep.Have))
	row("need", int64(rep.Need))
	row("rounds", int64(rep.Rounds))
	row("bytes-sent", rep.BytesSent)
	row("bytes-received", rep.BytesReceived)
	if req.Dir&peer.Down != 0 {
		for _, o := range []relay.Outcome{relay.OutcomeStored, relay.OutcomeDuplicate, relay.OutcomeReplaced,
			relay.OutcomeDeleted, relay.OutcomeExpired, relay.OutcomeInvalid, relay.OutcomeRefused,
			relay.OutcomeEphemeral, relay.OutcomeFailed} {
			row("down-"+o.String(), rep.Downloaded[o])
			if o == relay.OutcomeRefused {
				printReasons(w, rep.DownReasons)
			}
		}
		row("down-missing", rep.Missing)
		row("down-dropped", rep.Unrequested)
	}
	if req.Dir&peer.Up != 0 {
		row("up-sent", rep.Sent)
		for _, u := range []peer.UploadResult{peer.UploadAccepted, peer.UploadDuplicate, peer.UploadRefused} {
			row("up-"+u.String(), rep.Uploaded[u])
		}
		printReasons(w, rep.UpReasons)
		row("up-unanswered", rep.Unanswered)
	}
}
