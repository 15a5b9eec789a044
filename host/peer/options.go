package peer

import (
	"log/slog"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/reconcile"
)

// Config is one peer of the running relay, from a [[sync]] table.
type Config struct {
	// URL is the peer's ws:// or wss:// URL.
	URL string
	// Dir says what moves at each sync.
	Dir Direction
	// Filter selects the events synced (and, with Live, subscribed to).
	Filter nostr.Filter
	// FilterText is the filter as configured, for the status page.
	FilterText string
	// Interval repeats the sync that runs at start; 0 syncs once (until
	// one succeeds).
	Interval time.Duration
	// Live also subscribes to the peer's new events.
	Live bool
}

// Options bound every peer of a Group. Zero fields take the defaults.
type Options struct {
	// Logger gets each peer's progress and, at most once per LogEvery per
	// peer, its errors.
	Logger *slog.Logger
	// Version is sent in the User-Agent header.
	Version string
	// Limits bound each sync.
	Limits Limits
	// Conn configures the websocket clients (default: 30s read timeout,
	// 4 MiB messages).
	Conn reconcile.Options
	// Workers and IngestWindow configure each peer's Ingester (defaults 1
	// and 256): a peer's events are checked on one goroutine, at most 256
	// in flight.
	Workers, IngestWindow int
	// Rate bounds the messages read from one peer per second, over all
	// its connections (default 5000); reading waits, so the peer sees
	// backpressure.
	Rate int
	// SyncTimeout bounds one whole sync (default 10 minutes).
	SyncTimeout time.Duration
	// LiveIdle is how long the live subscription may stay silent (no
	// message, no ping) before it is reconnected (default 5 minutes).
	LiveIdle time.Duration
	// LiveSlack is how far back a live subscription's since reaches: now
	// minus LiveSlack on the first connection, the moment the previous one
	// was lost minus LiveSlack after that (default 1 minute).
	LiveSlack time.Duration
	// BackoffMin and BackoffMax bound the wait before a failed sync is
	// retried or a lost live subscription reconnected (defaults 1s and
	// 5m): it doubles with each failure in a row, with jitter.
	BackoffMin, BackoffMax time.Duration
	// HealthyAfter is how long a live connection must last for the
	// backoff to start again from BackoffMin (default 1 minute).
	HealthyAfter time.Duration
	// LogEvery bounds the error lines of one peer (default 10s); the
	// number of lines left out is logged with the next one.
	LogEvery time.Duration
}

func (o Options) withDefaults() Options {
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Workers <= 0 {
		o.Workers = 1
	}
	if o.IngestWindow <= 0 {
		o.IngestWindow = 256
	}
	if o.Rate <= 0 {
		o.Rate = 5000
	}
	durations := []struct {
		p *time.Duration
		v time.Duration
	}{
		{&o.SyncTimeout, 10 * time.Minute}, {&o.LiveIdle, 5 * time.Minute}, {&o.LiveSlack, time.Minute},
		{&o.BackoffMin, time.Second}, {&o.BackoffMax, 5 * time.Minute}, {&o.HealthyAfter, time.Minute},
		{&o.LogEvery, 10 * time.Second},
	}
	for _, d := range durations {
		if *d.p <= 0 {
			*d.p = d.v
		}
	}
	o.BackoffMax = max(o.BackoffMax, o.BackoffMin)
	o.Limits = o.Limits.withDefaults()
	return o
}
