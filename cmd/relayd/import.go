package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/envelope"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/relay"
	"github.com/relayd/relayd/host/server"
)

const importUsage = `usage: relayd import [flags] [FILE|-]

Imports events from JSONL, one event object per line (what strfry export,
nak and relayd export write), from FILE or stdin. Every event gets the
relay's own checks (limits from -config, id and signature unless
-skip-verify, NIP-40 expiration, NIP-09 deletions, replaceable and
addressable rules) and, with -plugins, the policy chain with source Import.
A bad line is reported with its line number and counted; it never stops
the import (a failing store does). Commits are batched. The summary counts the lines read and what
became of them. SIGINT stops reading, commits what was read, and prints the
summary; the store stays consistent.

While relayd runs it holds the data dir: use -url to publish through it
instead (EVENTs pipelined over one connection, OKs counted).
`

// importCommand runs `relayd import`.
func importCommand(args []string, stdout, stderr io.Writer) int {
	fs := newFlags("import", importUsage, stderr)
	df := addDataFlags(fs)
	skipVerify := fs.Bool("skip-verify", false, "skip id and signature checks (trusted dumps only)")
	plugins := fs.String("plugins", "", "run the policy chain of the plugins in this directory, with source Import")
	url := fs.String("url", "", "publish to the running relay at this ws:// URL instead of opening the data dir")
	window := fs.Int("window", 1000, "with -url: EVENTs in flight")
	every := fs.Duration("progress", 5*time.Second, "when stderr is not a terminal, log progress this often (0: never)")
	cfg, pos, code, ok := parseData(fs, df, args, stdout, stderr)
	if !ok {
		return code
	}
	if len(pos) > 1 {
		fmt.Fprintln(stderr, "relayd import: want at most one FILE")
		return 2
	}
	if *url != "" && (*plugins != "" || *skipVerify) {
		fmt.Fprintln(stderr, "relayd import: -plugins and -skip-verify are for a local import; with -url the relay applies its own checks and plugins")
		return 2
	}
	in, name, total, closeIn, err := openInput(pos)
	if err != nil {
		fmt.Fprintf(stderr, "relayd import: %v\n", err)
		return 1
	}
	defer closeIn()
	ctx, stop := interruptible()
	defer stop()
	src := lineSource{r: in, name: name, size: total, maxLine: cfg.MaxMessageBytes}
	if *url != "" {
		return importURL(ctx, *url, src, *window, *every, stdout, stderr)
	}
	return importLocal(ctx, cfg, src, localImport{plugins: *plugins, skipVerify: *skipVerify, every: *every}, stdout, stderr)
}

// localImport are the options of an import into the data dir.
type localImport struct {
	plugins    string
	skipVerify bool
	every      time.Duration
}

// importLocal imports src into cfg's data dir through the relay's
// Ingester and prints the summary.
func importLocal(ctx context.Context, cfg config.Config, src lineSource, o localImport, stdout, stderr io.Writer) int {
	alt := "relayd import -url " + relayURL(cfg) + " " + src.name
	d, ok := openData(ctx, "import", cfg, stderr, server.DataOptions{Relay: true, PluginDir: o.plugins, Version: version()}, alt)
	if !ok {
		return 1
	}
	fmt.Fprintf(stderr, "relayd import: importing %s into %s\n", src.name, cfg.DataDir)
	// Twice as many checkers as Ps, as measured (BENCHMARKS.md, the import
	// section: ~5 µs less CPU per event in 8 of 10 interleaved rounds). A
	// signature check is a cgo call of ~35 µs that holds its P until the
	// runtime's sysmon hands the P on, so with one checker per P the
	// reader and the store's writer can wait for a P while both check.
	workers := 2 * runtime.GOMAXPROCS(0)
	g := d.Relay.NewIngester(relay.IngestOptions{Source: policy.SourceImport, SourceInfo: src.name, SkipVerify: o.skipVerify, Workers: workers})
	prog := newProgress(stderr, "import", src.size, 0, o.every)
	sum := newImportSummary(prog)
	start := time.Now()
	lines, readErr := src.read()
	interrupted := ingestLines(ctx, g, lines, sum)
	g.Close()
	closeErr := d.Close()
	prog.finish()
	sum.print(stdout, src.name, time.Since(start))
	switch {
	case interrupted:
		fmt.Fprintf(stdout, "interrupted after line %d: every line up to it is committed or counted above; import the rest again (what is stored comes back as duplicate)\n", sum.last)
		return 130
	case *readErr != nil:
		fmt.Fprintf(stderr, "relayd import: reading %s after line %d: %v\n", src.name, sum.last, *readErr)
		return 1
	case closeErr != nil:
		fmt.Fprintf(stderr, "relayd import: %v\n", closeErr)
		return 1
	case sum.failed():
		fmt.Fprintf(stderr, "relayd import: stopped after line %d: the store failed (see above)\n", sum.last)
		return 1
	}
	return 0
}

// ingestLines submits each line's event, counting the bad lines, until
// the input ends, the store fails, or ctx ends (reported true).
func ingestLines(ctx context.Context, g *relay.Ingester, lines <-chan inputLine, sum *importSummary) bool {
	for {
		select {
		case <-ctx.Done():
			return true
		case l, more := <-lines:
			if !more || sum.failed() {
				return false // at the end, or the store fails: every later event would too
			}
			sum.line(l.n)
			if l.bad != "" {
				sum.invalid(l, l.group, l.bad)
				continue
			}
			g.Submit(l.ev, l.raw, time.Now().Unix(), func(res relay.IngestResult) { sum.result(l, res) })
		}
	}
}

// lineSource is a JSONL input.
type lineSource struct {
	r       io.Reader
	name    string
	size    int64 // bytes, 0 when unknown
	maxLine int
}

// inputLine is one non-blank line of the input, parsed.
type inputLine struct {
	n     int // line number, from 1
	size  int // bytes, newline included
	ev    *nostr.Event
	raw   []byte // canonical JSON, as the relay stores it
	id    string // the event id, when readable
	bad   string // why the line is invalid, "" when it parsed
	group string // the reason as the summary counts it
}

// read parses the input on its own goroutine and sends each non-blank line;
// the channel closes at the end of the input, after which *err is the read
// error, if any.
func (src lineSource) read() (<-chan inputLine, *error) {
	out := make(chan inputLine, 256)
	var err error
	go func() {
		defer close(out)
		br := bufio.NewReaderSize(src.r, 1<<20)
		for n := 1; ; n++ {
			line, size, tooLong, rerr := readLine(br, src.maxLine)
			if size == 0 && rerr != nil {
				if !errors.Is(rerr, io.EOF) {
					err = rerr
				}
				return
			}
			if l, ok := parseLine(n, line, size, tooLong, src.maxLine); ok {
				out <- l
			}
			if rerr != nil {
				if !errors.Is(rerr, io.EOF) {
					err = rerr
				}
				return
			}
		}
	}()
	return out, &err
}

// readLine reads one line of at most max bytes (without the newline); a
// longer one is skipped to its end and reported tooLong. size counts every
// byte read.
func readLine(br *bufio.Reader, max int) (line []byte, size int, tooLong bool, err error) {
	for {
		chunk, rerr := br.ReadSlice('\n')
		size += len(chunk)
		if !tooLong {
			if len(line)+len(chunk) > max+2 { // room for "\r\n"
				tooLong, line = true, nil
			} else {
				line = append(line, chunk...)
			}
		}
		if errors.Is(rerr, bufio.ErrBufferFull) {
			continue
		}
		return line, size, tooLong, rerr
	}
}

// parseLine parses one line; blank lines are skipped (ok false).
func parseLine(n int, line []byte, size int, tooLong bool, max int) (inputLine, bool) {
	l := inputLine{n: n, size: size}
	if tooLong {
		l.bad = "invalid: line longer than " + strconv.Itoa(max) + " bytes (max_message_bytes)"
		l.group = l.bad
		return l, true
	}
	line = bytes.TrimSpace(line)
	if len(line) == 0 {
		return l, false
	}
	ev, raw, err := envelope.ParseEvent(line)
	if err == nil {
		l.ev, l.raw, l.id = ev, raw, ev.ID
		return l, true
	}
	var e *envelope.Error
	if !errors.As(err, &e) {
		l.bad, l.group = "invalid: "+err.Error(), "invalid: unreadable"
		return l, true
	}
	l.id, l.bad, l.group = e.EventID, "invalid: "+e.Reason, "invalid: "+e.Reason
	if errors.Is(err, envelope.ErrSyntax) {
		l.group = "invalid: malformed JSON" // the reason names an offset
	}
	return l, true
}

// importSummary counts what became of each line. Its methods are safe for
// concurrent use.
type importSummary struct {
	prog *progress

	mu      sync.Mutex
	read    int64
	last    int // the last line number read
	counts  [relay.OutcomeFailed + 1]int64
	reasons [relay.OutcomeFailed + 1]map[string]int64
}

func newImportSummary(prog *progress) *importSummary {
	return &importSummary{prog: prog}
}

// failed reports whether the store failed an event.
func (s *importSummary) failed() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.counts[relay.OutcomeFailed] > 0
}

func (s *importSummary) line(n int) {
	s.mu.Lock()
	s.read++
	s.last = n
	s.mu.Unlock()
}

// invalid counts a line that is not an event the relay could take.
func (s *importSummary) invalid(l inputLine, group, reason string) {
	s.count(relay.OutcomeInvalid, group)
	s.report(l, reason)
	s.prog.add(1, int64(l.size))
}

// result counts the ingester's answer for a line.
func (s *importSummary) result(l inputLine, res relay.IngestResult) {
	switch res.Outcome {
	case relay.OutcomeInvalid:
		s.count(res.Outcome, res.Reason)
		s.report(l, res.Reason)
	case relay.OutcomeRefused:
		s.count(res.Outcome, res.Policy+": "+res.Reason)
	case relay.OutcomeFailed:
		s.count(res.Outcome, res.Err.Error())
		s.report(l, "error: "+res.Err.Error())
	default:
		s.count(res.Outcome, "")
	}
	s.prog.add(1, int64(l.size))
}

func (s *importSummary) count(o relay.Outcome, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.counts[o]++
	if reason != "" {
		if s.reasons[o] == nil {
			s.reasons[o] = map[string]int64{}
		}
		s.reasons[o][reason]++
	}
}

// report prints a bad line on stderr with its number.
func (s *importSummary) report(l inputLine, reason string) {
	if l.id != "" {
		s.prog.println("line %d (id %s): %s", l.n, l.id, reason)
		return
	}
	s.prog.println("line %d: %s", l.n, reason)
}

// print writes the closing summary: one "name count" row per outcome, the
// reasons under invalid, refused and failed.
func (s *importSummary) print(w io.Writer, name string, took time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	fmt.Fprintf(w, "relayd import: %d lines from %s in %s (%.0f events/s)\n", s.read, name,
		took.Round(time.Millisecond), float64(s.read)/max(took.Seconds(), 1e-3))
	fmt.Fprintf(w, "%-10s %8d\n", "read", s.read)
	for _, o := range []relay.Outcome{relay.OutcomeStored, relay.OutcomeDuplicate, relay.OutcomeReplaced,
		relay.OutcomeDeleted, relay.OutcomeExpired, relay.OutcomeInvalid, relay.OutcomeRefused,
		relay.OutcomeEphemeral, relay.OutcomeFailed} {
		fmt.Fprintf(w, "%-10s %8d\n", o, s.counts[o])
		printReasons(w, s.reasons[o])
	}
}

// printReasons writes "  count  reason" rows, most frequent first.
func printReasons(w io.Writer, m map[string]int64) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if m[keys[i]] != m[keys[j]] {
			return m[keys[i]] > m[keys[j]]
		}
		return keys[i] < keys[j]
	})
	for _, k := range keys {
		fmt.Fprintf(w, "  %8d  %s\n", m[k], k)
	}
}
