package reload_test

import (
	"encoding/json"
	"fmt"
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

// publisher publishes events of every class in turn on one connection,
// pipelined: up to window EVENTs wait for their OK. It must not use
// t.Fatal (it runs in its own goroutines).
type publisher struct {
	t      *testing.T
	n      int
	c      *wsc.Client
	key    wsc.Key
	ep     *epochs
	sent   chan record // EVENTs in send order, for the OK reader
	window chan struct{}
	done   chan struct{} // closed when the reader is done

	mu      sync.Mutex
	records []record // filled by the reader
}

const (
	window   = 16
	interval = 4 * time.Millisecond // per publisher: ~250 events/s
)

func startPublisher(t *testing.T, url string, n int, key wsc.Key, ep *epochs, stop <-chan struct{}) *publisher {
	p := &publisher{t: t, n: n, c: wsc.Dial(t, url), key: key, ep: ep,
		sent: make(chan record, window), window: make(chan struct{}, window), done: make(chan struct{})}
	go p.write(stop)
	go p.read()
	return p
}

// write sends until stop, then one last "plain" event (accepted by every
// version: subscribers wait for it).
func (p *publisher) write(stop <-chan struct{}) {
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
	p.window <- struct{}{}
	c := classes[cl]
	ev := &nostr.Event{Kind: c.kind, Content: fmt.Sprintf("%s %d %s", c.content, i, tag), CreatedAt: nostr.Now(), Tags: nostr.Tags{}}
	if err := ev.Sign(p.key.SK); err != nil {
		p.t.Errorf("publisher %d: sign: %v", p.n, err)
		return false
	}
	b, _ := json.Marshal([]any{"EVENT", ev})
	p.sent <- record{id: ev.ID, class: cl, epoch: int(p.ep.cur.Load())}
	if _, err := p.c.NC.Write(wsc.Frame(b)); err != nil {
		p.t.Errorf("publisher %d: connection dropped: %v", p.n, err)
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
			p.t.Errorf("publisher %d: connection dropped: %v", p.n, err)
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
			p.t.Errorf("publisher %d: got %s, want the OK for %s", p.n, msg, r.id)
			return
		}
		r.at = time.Now()
		p.mu.Lock()
		p.records = append(p.records, r)
		p.mu.Unlock()
		p.ep.ok(r.epoch, p.n)
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

func startSubscriber(t *testing.T, url string, n int, authors []string) *subscriber {
	c := wsc.Dial(t, url)
	c.Req("live", nostr.Filter{Authors: authors, LimitZero: true})
	s := &subscriber{c: c, got: map[string][]string{}, done: make(chan struct{})}
	go func() {
		defer close(s.done)
		ends := map[string]bool{}
		for len(ends) < len(authors) {
			msg, err := readMsg(c)
			if err != nil {
				t.Errorf("subscriber %d: connection dropped: %v", n, err)
				return
			}
			var label string
			var ev nostr.Event
			if len(msg) == 3 {
				json.Unmarshal(msg[0], &label)
				json.Unmarshal(msg[2], &ev)
			}
			if label != "EVENT" {
				t.Errorf("subscriber %d: got %s, want EVENT", n, msg)
				return
			}
			s.got[ev.PubKey] = append(s.got[ev.PubKey], ev.ID)
			if len(ev.Content) > 4 && ev.Content[len(ev.Content)-4:] == " end" {
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
