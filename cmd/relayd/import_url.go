package main

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"
	"time"
)

// importURL publishes the input to a running relay: EVENTs pipelined over
// one connection, at most window unanswered, each OK counted by outcome.
// Lines that are not events are counted here and not sent.
func importURL(ctx context.Context, url string, src lineSource, window int, every time.Duration, stdout, stderr io.Writer) int {
	if window <= 0 {
		window = 1
	}
	c, err := dialRelay(ctx, url)
	if err != nil {
		fmt.Fprintf(stderr, "relayd import: %v\n", err)
		return 1
	}
	defer c.close()
	fmt.Fprintf(stderr, "relayd import: publishing %s to %s\n", src.name, url)
	prog := newProgress(stderr, "import", src.size, 0, every)
	p := &publisher{c: c, prog: prog, slots: make(chan struct{}, window), pending: map[string][]inputLine{},
		oks: map[string]int64{}, bad: map[string]int64{}, idle: make(chan struct{}, 1), dead: make(chan struct{})}
	go p.readOKs(stderr)
	start := time.Now()
	lines, readErr := src.read()
	interrupted := p.sendAll(ctx, lines)
	p.wait(ctx)
	prog.finish()
	p.print(stdout, src.name, url, time.Since(start))
	switch {
	case interrupted:
		fmt.Fprintf(stdout, "interrupted after line %d\n", p.last)
		return 130
	case *readErr != nil:
		fmt.Fprintf(stderr, "relayd import: reading %s after line %d: %v\n", src.name, p.last, *readErr)
		return 1
	case p.err != nil:
		fmt.Fprintf(stderr, "relayd import: %v\n", p.err)
		return 1
	}
	return 0
}

// publisher is the state of one import -url.
type publisher struct {
	c     *relayConn
	prog  *progress
	slots chan struct{} // one per unanswered EVENT

	mu      sync.Mutex
	pending map[string][]inputLine // unanswered EVENTs by id
	waiting int                    // len of all pending lists
	read    int64
	sent    int64
	last    int
	oks     map[string]int64 // "true" / "false" + reason
	bad     map[string]int64 // lines not sent, by reason
	err     error            // the connection failed
	idle    chan struct{}    // signalled when waiting drops to 0
	dead    chan struct{}    // closed when the reader stops
}

// sendAll sends every event line; it reports whether ctx ended first.
func (p *publisher) sendAll(ctx context.Context, lines <-chan inputLine) bool {
	for {
		select {
		case <-ctx.Done():
			return true
		case <-p.dead:
			return false
		case l, more := <-lines:
			if !more {
				return false
			}
			p.mu.Lock()
			p.read++
			p.last = l.n
			if l.bad != "" {
				p.bad[l.group]++
				p.mu.Unlock()
				p.prog.println("line %d: %s", l.n, l.bad)
				p.prog.add(1, int64(l.size))
				continue
			}
			p.mu.Unlock()
			select {
			case p.slots <- struct{}{}:
			case <-ctx.Done():
				return true
			case <-p.dead:
				return false
			}
			p.mu.Lock()
			p.pending[l.id] = append(p.pending[l.id], l)
			p.waiting++
			p.sent++
			p.mu.Unlock()
			msg := make([]byte, 0, len(l.raw)+12)
			msg = append(append(append(msg, `["EVENT",`...), l.raw...), ']')
			if err := p.c.send(msg); err != nil {
				p.fail(err)
				return false
			}
		}
	}
}

// readOKs reads the relay's answers until the connection ends.
func (p *publisher) readOKs(stderr io.Writer) {
	defer close(p.dead)
	for {
		msg, err := p.c.read(24 * time.Hour)
		if err != nil {
			p.fail(err)
			return
		}
		label, parts, err := relayMessage(msg)
		if err != nil {
			p.prog.println("relayd import: %v", err)
			continue
		}
		switch label {
		case "OK":
			p.ok(str(parts, 1), string(parts[min(2, len(parts)-1)]) == "true", str(parts, 3))
		case "NOTICE":
			p.prog.println("relayd import: relay notice: %s", str(parts, 1))
		}
	}
}

// ok counts one OK and frees its slot.
func (p *publisher) ok(id string, accepted bool, reason string) {
	p.mu.Lock()
	q := p.pending[id]
	if len(q) == 0 {
		p.mu.Unlock()
		return // not ours
	}
	l := q[0]
	if len(q) == 1 {
		delete(p.pending, id)
	} else {
		p.pending[id] = q[1:]
	}
	p.waiting--
	key := "accepted"
	switch {
	case strings.HasPrefix(reason, "duplicate:") && accepted:
		key = "duplicate"
	case !accepted:
		key = "refused: " + reason
	}
	p.oks[key]++
	if p.waiting == 0 {
		select {
		case p.idle <- struct{}{}:
		default:
		}
	}
	p.mu.Unlock()
	<-p.slots
	p.prog.add(1, int64(l.size))
}

func (p *publisher) fail(err error) {
	p.mu.Lock()
	if p.err == nil {
		p.err = err
	}
	p.mu.Unlock()
}

// wait waits until every EVENT sent is answered, the connection ends, or
// ctx ends.
func (p *publisher) wait(ctx context.Context) {
	for {
		p.mu.Lock()
		n := p.waiting
		p.mu.Unlock()
		if n == 0 {
			return
		}
		select {
		case <-p.idle:
		case <-p.dead:
			return
		case <-ctx.Done():
			return
		}
	}
}

// print writes the closing summary.
func (p *publisher) print(w io.Writer, name, url string, took time.Duration) {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprintf(w, "relayd import: %d lines from %s to %s in %s (%.0f events/s)\n", p.read, name, url,
		took.Round(time.Millisecond), float64(p.read)/max(took.Seconds(), 1e-3))
	var refused int64
	reasons := map[string]int64{}
	for k, n := range p.oks {
		if r, ok := strings.CutPrefix(k, "refused: "); ok {
			refused += n
			reasons[r] += n
		}
	}
	var bad int64
	for _, n := range p.bad {
		bad += n
	}
	fmt.Fprintf(w, "%-10s %8d\n", "read", p.read)
	fmt.Fprintf(w, "%-10s %8d\n", "invalid", bad)
	printReasons(w, p.bad)
	fmt.Fprintf(w, "%-10s %8d\n", "sent", p.sent)
	fmt.Fprintf(w, "%-10s %8d\n", "accepted", p.oks["accepted"])
	fmt.Fprintf(w, "%-10s %8d\n", "duplicate", p.oks["duplicate"])
	fmt.Fprintf(w, "%-10s %8d\n", "refused", refused)
	printReasons(w, reasons)
	fmt.Fprintf(w, "%-10s %8d\n", "unanswered", p.waiting)
}
