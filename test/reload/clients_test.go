package reload_test

import (
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// class is the shape of a published event; the plugin versions judge the
// classes differently.
type class struct {
	kind    int
	content string
}

var classes = []class{{1, "an apple"}, {1, "a banana"}, {1, "plain"}, {7, "+"}}

// record is one published event and the OK it got.
type record struct {
	id     string
	class  int
	epoch  int // the test's epoch when the EVENT was sent
	ok     bool
	reason string
	at     time.Time // when the OK arrived
}

// epochs numbers the test's phases: 2k is "phase k is in force", 2k+1 is
// "moving from phase k to k+1". It also counts the OKs of each epoch per
// publisher, so the controller can wait for traffic.
type epochs struct {
	cur    atomic.Int64
	mu     sync.Mutex
	cond   *sync.Cond
	counts map[[2]int]int // (epoch, publisher) -> OKs
}

func newEpochs() *epochs {
	e := &epochs{counts: map[[2]int]int{}}
	e.cond = sync.NewCond(&e.mu)
	return e
}

func (e *epochs) ok(epoch, pub int) {
	e.mu.Lock()
	e.counts[[2]int{epoch, pub}]++
	e.mu.Unlock()
	e.cond.Broadcast()
}

// wait blocks until each of pubs publishers had n OKs for events sent in
// epoch, or d passed; it reports whether they did.
func (e *epochs) wait(epoch, pubs, n int, d time.Duration) bool {
	timer := time.AfterFunc(d, e.cond.Broadcast)
	defer timer.Stop()
	deadline := time.Now().Add(d)
	e.mu.Lock()
	defer e.mu.Unlock()
	for {
		done := true
		for p := range pubs {
			done = done && e.counts[[2]int{epoch, p}] >= n
		}
		if done {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		e.cond.Wait()
	}
}

// traffic owns the client goroutines. They report through errorf and
// never call t.Fatal; shutdown (a t.Cleanup) stops them and waits, so none
// outlives the test, and quiets them, so a test that already failed is not
// buried under the errors of connections closing.
type traffic struct {
	t       *testing.T
	ep      *epochs
	closing atomic.Bool
	abort   chan struct{}
	conns   []*wsc.Client
	done    []chan struct{}
}

func newTraffic(t *testing.T, ep *epochs) *traffic {
	return &traffic{t: t, ep: ep, abort: make(chan struct{})}
}

func (tr *traffic) errorf(format string, args ...any) {
	if !tr.closing.Load() {
		tr.t.Errorf(format, args...)
	}
}

func (tr *traffic) dial(url string) (*wsc.Client, chan struct{}) {
	c, done := wsc.Dial(tr.t, url), make(chan struct{})
	tr.conns, tr.done = append(tr.conns, c), append(tr.done, done)
	return c, done
}

func (tr *traffic) shutdown() {
	tr.closing.Store(true)
	close(tr.abort)
	for _, c := range tr.conns {
		c.NC.Close()
	}
	for _, d := range tr.done {
		<-d
	}
}

// publisher publishes events of every class in turn on one connection,
// pipelined: up to window EVENTs wait for their OK.
type publisher struct {
	tr     *traffic
	n      int
	c      *wsc.Client
	key    wsc.Key
	sent   chan record // EVENTs in send order, for the OK reader
	window chan struct{}
	done   chan struct{} // closed when the reader is done

	mu      sync.Mutex
	records []record // filled by the reader
}

const (
	window   = 16
	interval = 4 * time.Millisecond // per publisher: at most 250 events/s
)

// publish starts a publisher that sends until stop is closed.
func (tr *traffic) publish(url string, n int, key wsc.Key, stop <-chan struct{}) *publisher {
	c, done := tr.dial(url)
	wrote := make(chan struct{})
	tr.done = append(tr.done, wrote)
	p := &publisher{tr: tr, n: n, c: c, key: key, sent: make(chan record, window), window: make(chan struct{}, window), done: done}
	go p.write(stop, wrote)
	go p.read()
	return p
}

// write sends until stop, then one last "plain" event (accepted by every
// version: subscribers wait for it).
func (p *publisher) write(stop <-chan struct{}, wrote chan struct{}) {
	defer close(wrote)
	defer close(p.sent)
	tick := time.NewTicker(interval)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case <-stop:
			p.send(i, 2, "end")
			return
		case <-tick.C:
		}
		if !p.send(i, i%len(classes), "") {
			return
		}
	}
}

func (p *publisher) send(i, cl int, tag string) bool {
	select {
	case p.window <- struct{}{}:
	case <-p.tr.abort:
		return false
	}
	c := classes[cl]
	ev := &nostr.Event{Kind: c.kind, Content: fmt.Sprintf("%s %d %s", c.content, i, tag), CreatedAt: nostr.Now(), Tags: nostr.Tags{}}
	if err := ev.Sign(p.key.SK); err != nil {
		p.tr.errorf("publisher %d: sign: %v", p.n, err)
		return false
	}
	b, _ := json.Marshal([]any{"EVENT", ev})
	p.sent <- record{id: ev.ID, class: cl, epoch: int(p.tr.ep.cur.Load())} // never full: window
	if _, err := p.c.NC.Write(wsc.Frame(b)); err != nil {
		p.tr.errorf("publisher %d: connection dropped: %v", p.n, err)
		return false
	}
	return true
}

// read takes one OK per EVENT, in send order.
func (p *publisher) read() {
	defer close(p.done)
	for r := range p.sent {
		msg, err := readMsg(p.c)
		if err != nil {
			p.tr.errorf("publisher %d: connection dropped: %v", p.n, err)
			return
		}
		var label, id string
		if len(msg) == 4 {
			json.Unmarshal(msg[0], &label)
			json.Unmarshal(msg[1], &id)
			json.Unmarshal(msg[2], &r.ok)
			json.Unmarshal(msg[3], &r.reason)
		}
		if label != "OK" || id != r.id {
			p.tr.errorf("publisher %d: got %s, want the OK for %s", p.n, msg, r.id)
			return
		}
		r.at = time.Now()
		p.mu.Lock()
		p.records = append(p.records, r)
		p.mu.Unlock()
		p.tr.ep.ok(r.epoch, p.n)
		<-p.window
	}
}

// snapshot returns the records so far.
func (p *publisher) snapshot() []record {
	p.mu.Lock()
	defer p.mu.Unlock()
	return append([]record(nil), p.records...)
}

// subscriber keeps one live subscription to the publishers' events and
// records, per author, the ids it receives, until it has seen every
// publisher's "end" event.
type subscriber struct {
	c    *wsc.Client
	got  map[string][]string // author -> event ids, in arrival order
	done chan struct{}
}

// subscribe starts a subscriber; its subscription is live when it returns.
func (tr *traffic) subscribe(url string, n int, authors []string) *subscriber {
	c, done := tr.dial(url)
	c.Req("live", nostr.Filter{Authors: authors, LimitZero: true})
	s := &subscriber{c: c, got: map[string][]string{}, done: done}
	go func() {
		defer close(s.done)
		ends := map[string]bool{}
		for len(ends) < len(authors) {
			msg, err := readMsg(c)
			if err != nil {
				tr.errorf("subscriber %d: connection dropped: %v", n, err)
				return
			}
			var label string
			var ev nostr.Event
			if len(msg) == 3 {
				json.Unmarshal(msg[0], &label)
				json.Unmarshal(msg[2], &ev)
			}
			if label != "EVENT" {
				tr.errorf("subscriber %d: got %s, want EVENT", n, msg)
				return
			}
			s.got[ev.PubKey] = append(s.got[ev.PubKey], ev.ID)
			if strings.HasSuffix(ev.Content, " end") {
				ends[ev.PubKey] = true
			}
		}
	}()
	return s
}

// readMsg reads one message without the test-bound helpers of wsclient,
// which may only fail the test from its own goroutine.
func readMsg(c *wsc.Client) ([]json.RawMessage, error) {
	f, err := c.Frame()
	if err != nil {
		return nil, err
	}
	var msg []json.RawMessage
	if err := json.Unmarshal(f.Payload, &msg); err != nil {
		return nil, fmt.Errorf("bad JSON %q: %w", f.Payload, err)
	}
	return msg, nil
}
