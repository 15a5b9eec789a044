package relay

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/nbd-wtf/go-nostr"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/relayd/relayd/host/envelope"
	"github.com/relayd/relayd/host/eventsig"
	"github.com/relayd/relayd/host/limits"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/store"
	"github.com/relayd/relayd/host/subindex"
	"github.com/relayd/relayd/host/wsconn"
)

// Options configure a Relay. host/server fills them from host/config.
// Reconfigure changes the live ones in a running relay: the NIP-11 fields,
// RelayURL, TrustedProxies, DisableNegentropy and Limits but
// MaxMessageBytes (live.go).
type Options struct {
	// RelayURL is the public websocket URL checked in NIP-42 AUTH; empty
	// accepts a URL whose host is the connection's Host header, or the
	// X-Forwarded-Host of a trusted proxy (see proxy.go).
	RelayURL string
	// TrustedProxies are the reverse proxies whose X-Forwarded-For,
	// X-Forwarded-Host and X-Forwarded-Proto headers are believed (see
	// proxy.go). Empty: the client IP is the TCP peer's and those headers
	// are ignored.
	TrustedProxies []netip.Prefix

	// NIP-11 fields.
	Name, Description, Pubkey, Contact, Icon, Software, Version string

	// Limits are the relay's limits; the zero value is limits.Default().
	// The websocket server's and the envelope parser's options and the
	// NIP-11 limitation are derived from them (wsOptions, envelopeLimits,
	// Info).
	Limits limits.Limits

	// NIP-77 negentropy. DisableNegentropy refuses NEG-OPEN and leaves 77
	// out of NIP-11; Limits bound the sessions. A session that gets no
	// message for NegentropyIdleTimeout (default 2 minutes) is closed with
	// NEG-ERR "closed: ...".
	DisableNegentropy     bool
	NegentropyIdleTimeout time.Duration

	// ExpireInterval is how often expired events are removed (NIP-40);
	// default one minute.
	ExpireInterval time.Duration

	// Starting makes the relay refuse work until Started is called, while
	// the caller loads the policies: EVENT and AUTH get OK false
	// "error: starting", REQ and COUNT CLOSED "error: starting". An auth
	// or ban policy that is not loaded yet must not mean open access.
	// Connections are accepted (NIP-11 and /metrics answer); the connect
	// hook of one that arrived meanwhile runs before its first message
	// after Started.
	Starting bool

	// Registry receives the relay's metrics (docs/metrics.md); nil gives
	// the relay a registry of its own.
	Registry prometheus.Registerer
	// Metrics is served at GET /metrics to local clients only (http.go);
	// nil: /metrics is not served on this port (metrics_listen).
	Metrics http.Handler
	// Status serves the status page: GET / for browsers (Accept: text/html),
	// /status.json and /status/... (host/status); nil: a browser gets a
	// line of text. StatusLocal serves it to local clients only.
	Status      http.Handler
	StatusLocal bool
	// Manage serves the NIP-86 management API: POSTs with Content-Type
	// application/nostr+json+rpc (manage.go). nil: they get 405.
	Manage Manager

	// Replicated says the store replicates the events given to Submit
	// (host/cluster): it calls Broadcast itself for every event it
	// stores, whichever node it came from, in the replication stream's
	// order, so the relay does not broadcast what Submit stored.
	Replicated bool
	// Fanout, if set, hears every ephemeral event this relay accepted
	// (from a client or an Ingester) after its local broadcast, to pass
	// it to the other nodes of a cluster. It must not block.
	Fanout func(ev *nostr.Event, raw []byte)

	Logger *slog.Logger
}

// Relay is a NIP-01 relay on a Store, with a policy chain in every message
// path. It is an http.Handler: websocket upgrades, NIP-11 documents and
// CORS preflights all arrive through ServeHTTP.
type Relay struct {
	opts  Options
	log   *slog.Logger
	store store.Store
	chain *policy.Holder
	ws    *wsconn.Server
	subs  *subindex.Index[*sub]
	// sig checks ids and signatures, keeping recent authors' parsed keys.
	sig eventsig.Checker
	// batchScratch recycles the inputs and outputs of deliver batches
	// (*batchScratch, deliver.go).
	batchScratch sync.Pool
	// live holds the settings Reconfigure changes (live.go); reconf
	// serialises Reconfigure.
	live   atomic.Pointer[settings]
	reconf sync.Mutex
	// override is the operator's NIP-11 overrides (nip11.go); nil: none.
	override atomic.Pointer[InfoOverride]

	sessionID atomic.Uint64
	stats     Stats
	m         relayMetrics
	starting  atomic.Bool

	ctx    context.Context
	cancel context.CancelFunc
	bg     sync.WaitGroup
}

// Stats are the relay's counters, updated atomically.
type Stats struct {
	Connections  atomic.Int64
	EventsStored atomic.Uint64
	EventsFailed atomic.Uint64
	Deliveries   atomic.Uint64
	Queries      atomic.Uint64
	// SlowReadersCut counts connections closed for reading too slowly.
	SlowReadersCut atomic.Uint64
	// NegSessions and NegItems are the open negentropy sessions and the
	// (created_at, id) pairs they hold.
	NegSessions atomic.Int64
	NegItems    atomic.Int64
}

// New builds a relay on st. chain holds the policies (its zero value accepts
// everything) and may be swapped at any time by a reloader.
func New(opts Options, st store.Store, chain *policy.Holder) (*Relay, error) {
	if st == nil {
		return nil, errors.New("relay: nil store")
	}
	if chain == nil {
		chain = &policy.Holder{}
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := setDefaults(&opts); err != nil {
		return nil, err
	}
	live, err := newSettings(&opts)
	if err != nil {
		return nil, err
	}
	r := &Relay{
		opts:  opts,
		log:   opts.Logger,
		store: st,
		chain: chain,
		subs:  subindex.New[*sub](),
	}
	r.live.Store(live)
	srv, err := wsconn.NewServer(wsOptions(opts.Limits, opts.Logger), (*handler)(r))
	if err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	r.ws = srv
	if opts.Registry == nil {
		opts.Registry = prometheus.NewRegistry()
	}
	if err := r.registerMetrics(opts.Registry); err != nil {
		srv.Close()
		return nil, err
	}
	r.logProxySetup(live)
	r.starting.Store(opts.Starting)
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.bg.Add(1)
	go r.expireLoop()
	return r, nil
}

// setDefaults fills the options left zero and checks the limits.
func setDefaults(o *Options) error {
	if o.Limits == (limits.Limits{}) {
		o.Limits = limits.Default()
	}
	if err := o.Limits.Validate(); err != nil {
		return fmt.Errorf("relay: %w", err)
	}
	if o.NegentropyIdleTimeout <= 0 {
		o.NegentropyIdleTimeout = 2 * time.Minute
	}
	if o.ExpireInterval <= 0 {
		o.ExpireInterval = time.Minute
	}
	if o.Software == "" {
		o.Software = "https://github.com/relayd/relayd"
	}
	return nil
}

// wsOptions are the websocket server's options for l.
func wsOptions(l limits.Limits, log *slog.Logger) wsconn.Options {
	return wsconn.Options{
		MaxMessageBytes: l.MaxMessageBytes,
		QueueBytes:      l.QueueBytes,
		WriteTimeout:    l.WriteTimeout,
		PingInterval:    l.PingInterval,
		IdleTimeout:     l.IdleTimeout,
		Logger:          log,
	}
}

// envelopeLimits are the envelope parser's limits for l.
func envelopeLimits(l limits.Limits) envelope.Limits {
	return envelope.Limits{MaxSubIDLength: l.MaxSubIDLength, MaxFilters: l.MaxFilters, MaxFilterValues: l.MaxFilterValues}
}

// Started ends the Starting state: the policies are loaded and the relay
// serves every message. Calling it again does nothing.
func (r *Relay) Started() { r.starting.Store(false) }

// Stats returns the relay's counters.
func (r *Relay) Stats() *Stats { return &r.stats }

// ServeHTTP upgrades websocket requests and answers NIP-11, CORS, /metrics,
// status page (http.go) and NIP-86 management (manage.go) requests.
func (r *Relay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	if r.servePage(w, req) {
		return
	}
	setCORS(w.Header())
	switch {
	case req.Method == http.MethodOptions:
		w.WriteHeader(http.StatusNoContent)
	case r.opts.Manage != nil && isManage(req):
		r.opts.Manage.ServeManage(w, req, r.requestURLs(req))
	case isUpgrade(req):
		r.upgrade(w, req)
	case req.Method == http.MethodGet || req.Method == http.MethodHead:
		r.serveInfo(w, req)
	default:
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// Serve accepts connections on ln until it is closed. Websocket handshakes
// are answered by wsconn without net/http (no per-connection garbage);
// other HTTP requests go to ServeHTTP.
func (r *Relay) Serve(ln net.Listener) error {
	return r.ws.ServeListener(ln, r.upgradeFunc, r)
}

// Shutdown stops the relay: every connection gets its queued messages and
// a close frame within ctx's deadline, then background work stops. It does
// not close the store.
func (r *Relay) Shutdown(ctx context.Context) error {
	err := r.ws.Shutdown(ctx)
	r.cancel()
	r.bg.Wait()
	return err
}

// expireLoop removes expired events in the background (NIP-40).
func (r *Relay) expireLoop() {
	defer r.bg.Done()
	t := time.NewTicker(r.opts.ExpireInterval)
	defer t.Stop()
	for {
		select {
		case <-r.ctx.Done():
			return
		case now := <-t.C:
			n, err := r.store.DeleteExpired(r.ctx, now.Unix())
			switch {
			case err != nil && r.ctx.Err() == nil:
				r.log.Warn("removing expired events failed", "err", err)
			case n > 0:
				r.log.Debug("removed expired events", "count", n)
			}
		}
	}
}
