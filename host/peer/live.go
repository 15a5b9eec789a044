package peer

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/envelope"
	"github.com/relayd/relayd/host/reconcile"
	"github.com/relayd/relayd/host/relay"
)

// errIdle ends a live subscription that was silent for LiveIdle: it is
// reconnected without counting an error.
var errIdle = errors.New("peer: live subscription idle")

// liveLoop keeps a subscription to the peer's new events open,
// reconnecting after a backoff when it is lost.
func (p *Peer) liveLoop(ctx context.Context, g *relay.Ingester) {
	since := time.Now().Add(-p.opts.LiveSlack)
	for attempt := 0; ; {
		start := time.Now()
		err := p.liveOnce(ctx, g, since)
		lost := time.Now()
		since = lost.Add(-p.opts.LiveSlack)
		if ctx.Err() != nil {
			return
		}
		if lost.Sub(start) >= p.opts.HealthyAfter {
			attempt = 0
		}
		if !errors.Is(err, errIdle) {
			p.fail("live subscription lost", err)
		}
		if !sleep(ctx, backoff(attempt, p.opts.BackoffMin, p.opts.BackoffMax)) {
			return
		}
		attempt++
	}
}

// liveOnce subscribes to the peer's events matching the filter since
// since, and gives each one to g, until the connection fails or ctx ends.
func (p *Peer) liveOnce(ctx context.Context, g *relay.Ingester, since time.Time) error {
	c, err := reconcile.Dial(ctx, p.cfg.URL, p.connOptions(p.opts.LiveIdle))
	if err != nil {
		return err
	}
	defer c.Close()
	f := p.cfg.Filter
	s := nostr.Timestamp(since.Unix())
	if f.Since == nil || *f.Since < s {
		f.Since = &s
	}
	f.Limit, f.LimitZero = 0, false
	cn := conn{c: c, pace: p.pace.wait}
	if err := cn.send(ctx, []any{"REQ", "sync-live", f}); err != nil {
		return err
	}
	defer p.stats.Live.Store(0)
	for {
		m, err := cn.receive(ctx)
		if errors.Is(err, reconcile.ErrTimeout) {
			return errIdle
		}
		if err != nil {
			return err
		}
		switch {
		case m.label == "EVENT" && len(m.arr) == 3 && m.str(1) == "sync-live":
			if err := p.liveEvent(m, g); err != nil {
				return err
			}
		case m.label == "EOSE" && m.str(1) == "sync-live":
			p.stats.Live.Store(1)
		case m.label == "CLOSED" && m.str(1) == "sync-live":
			return fmt.Errorf("peer closed the subscription: %s", m.str(2))
		case m.label == "NOTICE":
			p.warn("sync peer: relay notice: " + m.str(1))
		}
	}
}

// liveEvent gives one event of the live subscription to g, if it matches
// the filter. An event that does not parse ends the subscription.
func (p *Peer) liveEvent(m message, g *relay.Ingester) error {
	ev, raw, err := envelope.ParseEvent(m.arr[2])
	if err != nil {
		return fmt.Errorf("%w: an event: %v", ErrMalformed, err)
	}
	if !p.cfg.Filter.Matches(ev) {
		p.stats.Dropped.Add(1)
		return nil
	}
	g.Submit(ev, raw, time.Now().Unix(), func(res relay.IngestResult) { p.stats.In[res.Outcome].Add(1) })
	return nil
}
