package main

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// progress reports a long data command on stderr: a bar redrawn in place
// when stderr is a terminal (events/s, bytes, ETA from the total size),
// otherwise a log line every interval (none when interval is 0).
type progress struct {
	w        io.Writer
	verb     string
	tty      bool
	total    int64 // bytes expected, 0 when unknown
	totalEv  int64 // events expected, 0 when unknown; used over total
	interval time.Duration

	events, bytes atomic.Int64
	start         time.Time

	mu   sync.Mutex // guards drawing and printing
	drew bool       // a bar is on the current line
	stop chan struct{}
	done chan struct{}
}

// newProgress starts reporting on w. The expected total, in events if
// totalEvents is set, else in bytes, gives the percentage and ETA; 0
// means unknown.
func newProgress(w io.Writer, verb string, total, totalEvents int64, interval time.Duration) *progress {
	p := &progress{w: w, verb: verb, tty: isTerminal(w), total: total, totalEv: totalEvents, interval: interval,
		start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	if p.tty {
		p.interval = 200 * time.Millisecond
	}
	go p.loop()
	return p
}

// add counts n events and b bytes done.
func (p *progress) add(n, b int64) {
	p.events.Add(n)
	p.bytes.Add(b)
}

func (p *progress) loop() {
	defer close(p.done)
	if p.interval <= 0 {
		<-p.stop
		return
	}
	t := time.NewTicker(p.interval)
	defer t.Stop()
	for {
		select {
		case <-p.stop:
			return
		case <-t.C:
			p.mu.Lock()
			p.draw()
			p.mu.Unlock()
		}
	}
}

// draw writes one report. mu must be held.
func (p *progress) draw() {
	line := p.line()
	if p.tty {
		fmt.Fprintf(p.w, "\r\x1b[K%s", line)
		p.drew = true
		return
	}
	fmt.Fprintf(p.w, "relayd %s: %s\n", p.verb, line)
}

// line describes the progress so far.
func (p *progress) line() string {
	n, b := p.events.Load(), p.bytes.Load()
	done, total := b, p.total
	if p.totalEv > 0 {
		done, total = n, p.totalEv
	}
	el := time.Since(p.start)
	var sb strings.Builder
	if p.tty && total > 0 {
		const width = 24
		filled := min(int(int64(width)*done/total), width)
		sb.WriteString("[" + strings.Repeat("#", filled) + strings.Repeat(".", width-filled) + "] ")
	}
	fmt.Fprintf(&sb, "%d events", n)
	if p.totalEv > 0 {
		fmt.Fprintf(&sb, " of %d", p.totalEv)
	}
	fmt.Fprintf(&sb, ", %s", size(b))
	if p.total > 0 {
		fmt.Fprintf(&sb, " of %s", size(p.total))
	}
	if total > 0 {
		fmt.Fprintf(&sb, " (%d%%)", 100*done/total)
	}
	fmt.Fprintf(&sb, ", %.0f events/s", float64(n)/max(el.Seconds(), 1e-3))
	if total > 0 && done > 0 && done < total {
		eta := time.Duration(float64(el) * float64(total-done) / float64(done))
		fmt.Fprintf(&sb, ", ETA %s", eta.Round(time.Second))
	}
	return sb.String()
}

// println prints a line of its own, above the bar.
func (p *progress) println(format string, args ...any) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drew {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drew = false
	}
	fmt.Fprintf(p.w, format+"\n", args...)
}

// finish stops reporting and clears the bar.
func (p *progress) finish() {
	close(p.stop)
	<-p.done
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.drew {
		fmt.Fprint(p.w, "\r\x1b[K")
		p.drew = false
	}
}

// size formats a byte count.
func size(b int64) string {
	switch {
	case b >= 1<<30:
		return fmt.Sprintf("%.1f GiB", float64(b)/(1<<30))
	case b >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(b)/(1<<20))
	case b >= 1<<10:
		return fmt.Sprintf("%.1f KiB", float64(b)/(1<<10))
	}
	return fmt.Sprintf("%d B", b)
}
