package peer

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relayd/relayd/host/reconcile"
	"github.com/relayd/relayd/host/relay"
	"github.com/relayd/relayd/host/store"
)

// Stats are one peer's counters, updated atomically; read them with the
// atomics' Load.
type Stats struct {
	// In counts the events that came from the peer (syncs and live), by
	// what the Ingester made of them.
	In [relay.OutcomeFailed + 1]atomic.Uint64
	// Out counts the events sent to the peer, by its answer.
	Out [UploadRefused + 1]atomic.Uint64
	// Syncs counts the syncs that completed; LastSync is when the last one
	// did (unix seconds, 0 for never).
	Syncs    atomic.Uint64
	LastSync atomic.Int64
	// Errors counts failed syncs and lost live subscriptions.
	Errors atomic.Uint64
	// Dropped counts the events the peer sent that were not asked for or
	// did not match the filter.
	Dropped atomic.Uint64
	// Live is 1 while the live subscription is open (from its EOSE).
	Live atomic.Int64
}

// Peer is one relay the running relay syncs with. Its methods are safe
// for concurrent use.
type Peer struct {
	cfg   Config
	opts  Options
	stats Stats
	pace  *pacer
	logs  logLimiter

	mu          sync.Mutex
	lastErr     string
	lastErrTime time.Time
}

func newPeer(cfg Config, opts Options) *Peer {
	return &Peer{cfg: cfg, opts: opts, pace: newPacer(opts.Rate), logs: logLimiter{every: opts.LogEvery}}
}

// Config returns the peer's configuration.
func (p *Peer) Config() Config { return p.cfg }

// Stats returns the peer's counters.
func (p *Peer) Stats() *Stats { return &p.stats }

// run syncs at start and every interval and, with Live, follows the
// peer's new events, until ctx ends; g is the peer's Ingester.
func (p *Peer) run(ctx context.Context, st store.Store, g *relay.Ingester) {
	var wg sync.WaitGroup
	if p.cfg.Live && p.cfg.Dir&Down != 0 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			p.liveLoop(ctx, g)
		}()
	}
	p.syncLoop(ctx, st, g)
	wg.Wait()
}

// syncLoop runs a sync now and then every interval; a failed one is
// retried after a backoff (at most the interval).
func (p *Peer) syncLoop(ctx context.Context, st store.Store, g *relay.Ingester) {
	for attempt := 0; ; {
		err := p.syncOnce(ctx, st, g)
		if ctx.Err() != nil {
			return
		}
		wait := p.cfg.Interval
		if err != nil {
			p.fail("sync failed", err)
			wait = backoff(attempt, p.opts.BackoffMin, p.opts.BackoffMax)
			if p.cfg.Interval > 0 {
				wait = min(wait, p.cfg.Interval)
			}
			attempt++
		} else {
			attempt = 0
			if p.cfg.Interval == 0 {
				return
			}
		}
		if !sleep(ctx, wait) {
			return
		}
	}
}

// syncOnce runs one sync within SyncTimeout.
func (p *Peer) syncOnce(ctx context.Context, st store.Store, g *relay.Ingester) error {
	ctx, cancel := context.WithTimeout(ctx, p.opts.SyncTimeout)
	defer cancel()
	start := time.Now()
	rep, err := Sync(ctx, st, g, Request{
		URL: p.cfg.URL, Dir: p.cfg.Dir, Filter: p.cfg.Filter, Limits: p.opts.Limits, Conn: p.connOptions(p.opts.Conn.ReadTimeout),
		Pace:       p.pace.wait,
		Downloaded: func(res relay.IngestResult, _ int) { p.stats.In[res.Outcome].Add(1) },
		Uploaded:   func(res UploadResult, _ string, _ int) { p.stats.Out[res].Add(1) },
		Notice:     func(msg string) { p.warn("sync peer: " + msg) },
	})
	p.stats.Dropped.Add(uint64(rep.Unrequested))
	if err != nil {
		return err
	}
	p.stats.Syncs.Add(1)
	p.stats.LastSync.Store(time.Now().Unix())
	p.opts.Logger.Info("synced with peer", "peer", p.cfg.URL, "dir", p.cfg.Dir.String(), "have", rep.Have, "need", rep.Need,
		"stored", rep.Downloaded[relay.OutcomeStored], "uploaded", rep.Uploaded[UploadAccepted],
		"took", time.Since(start).Round(time.Millisecond))
	return nil
}

// connOptions are the websocket client's options with the read timeout
// given (0: the default).
func (p *Peer) connOptions(readTimeout time.Duration) (o reconcile.Options) {
	o = p.opts.Conn
	o.ReadTimeout = readTimeout
	ua := "relayd"
	if p.opts.Version != "" {
		ua += "/" + p.opts.Version
	}
	o.Header = http.Header{"User-Agent": {ua + " (sync)"}}
	return o
}

// fail counts an error, keeps it for the status page, and logs it at a
// bounded rate.
func (p *Peer) fail(what string, err error) {
	p.stats.Errors.Add(1)
	p.mu.Lock()
	p.lastErr, p.lastErrTime = fmt.Sprintf("%s: %v", what, err), time.Now()
	p.mu.Unlock()
	p.warn("sync peer: "+what, "err", err)
}

// warn logs at most one line per LogEvery for this peer.
func (p *Peer) warn(msg string, args ...any) {
	ok, dropped := p.logs.allow()
	if !ok {
		return
	}
	args = append([]any{"peer", p.cfg.URL}, args...)
	if dropped > 0 {
		args = append(args, "lines_left_out", dropped)
	}
	p.opts.Logger.Warn(msg, args...)
}
