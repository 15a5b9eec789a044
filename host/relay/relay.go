package relay

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"github.com/relayd/relayd/host/envelope"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/store"
	"github.com/relayd/relayd/host/subindex"
	"github.com/relayd/relayd/host/wsconn"
)

// Options configure a Relay. cmd/relayd fills them from host/config.
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

	MaxMessageBytes     int
	MaxContentBytes     int
	MaxSubscriptions    int
	MaxFilters          int
	MaxFilterValues     int
	MaxLimit            int
	DefaultLimit        int
	MaxSubIDLength      int
	MaxEventTags        int
	CreatedAtLowerLimit int64 // seconds into the past; 0 = none
	CreatedAtUpperLimit int64 // seconds into the future; 0 = none
	AuthRequired        bool
	MaxConnections      int

	// NIP-77 negentropy. DisableNegentropy refuses NEG-OPEN and leaves 77
	// out of NIP-11. MaxNegentropyEvents bounds the events of one session
	// (default 500000; 40 bytes each while it is open),
	// MaxNegentropySessions the open sessions of one connection (default
	// 4). A session that gets no message for NegentropyIdleTimeout
	// (default 2 minutes) is closed with NEG-ERR "closed: ...".
	DisableNegentropy     bool
	MaxNegentropyEvents   int
	MaxNegentropySessions int
	NegentropyIdleTimeout time.Duration

	QueueBytes     int
	WriteTimeout   time.Duration
	PingInterval   time.Duration
	IdleTimeout    time.Duration
	ExpireInterval time.Duration

	// Starting makes the relay refuse work until Started is called, while
	// the caller loads the policies: EVENT and AUTH get OK false
	// "error: starting", REQ and COUNT CLOSED "error: starting". An auth
	// or ban policy that is not loaded yet must not mean open access.
	// Connections are accepted (NIP-11 and /metrics answer); the connect
	// hook of one that arrived meanwhile runs before its first message
	// after Started.
	Starting bool

	// ExtraMetrics, if set, writes more metrics in the Prometheus text
	// format after the relay's own on GET /metrics (the sync peers'). It
	// must be safe for concurrent use.
	ExtraMetrics func(w io.Writer)

	Logger *slog.Logger
}

// Relay is a NIP-01 relay on a Store, with a policy chain in every message
// path. It is an http.Handler: websocket upgrades, NIP-11 documents and
// CORS preflights all arrive through ServeHTTP.
type Relay struct {
	opts   Options
	log    *slog.Logger
	store  store.Store
	chain  *policy.Holder
	ws     *wsconn.Server
	subs   *subindex.Index[*sub]
	limits envelope.Limits
	// proxies and relayURL are Options.TrustedProxies and RelayURL, parsed.
	proxies  trustedProxies
	relayURL relayURL

	sessionID atomic.Uint64
	stats     Stats
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
	setDefaults(&opts)
	var want relayURL
	if opts.RelayURL != "" {
		u, ok := parseRelayURL(opts.RelayURL)
		if !ok {
			return nil, fmt.Errorf("relay: relay URL %q is not a ws:// or wss:// URL", opts.RelayURL)
		}
		want = u
	}
	r := &Relay{
		opts:  opts,
		log:   opts.Logger,
		store: st,
		chain: chain,
		subs:  subindex.New[*sub](),
		limits: envelope.Limits{
			MaxSubIDLength:  opts.MaxSubIDLength,
			MaxFilters:      opts.MaxFilters,
			MaxFilterValues: opts.MaxFilterValues,
		},
	}
	srv, err := wsconn.NewServer(wsconn.Options{
		MaxMessageBytes: opts.MaxMessageBytes,
		QueueBytes:      opts.QueueBytes,
		WriteTimeout:    opts.WriteTimeout,
		PingInterval:    opts.PingInterval,
		IdleTimeout:     opts.IdleTimeout,
		Logger:          opts.Logger,
	}, (*handler)(r))
	if err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	r.ws = srv
	r.proxies, r.relayURL = newTrustedProxies(opts.TrustedProxies), want
	if len(r.proxies) > 0 && opts.RelayURL == "" {
		r.log.Info("trusted_proxies without relay_url: NIP-42 AUTH takes this relay's URL from the proxy's "+
			"X-Forwarded-Host and X-Forwarded-Proto, which the proxy must set itself; set relay_url to accept only "+
			"AUTH events signed for it", "trusted_proxies", len(r.proxies))
	}
	r.starting.Store(opts.Starting)
	r.ctx, r.cancel = context.WithCancel(context.Background())
	r.bg.Add(1)
	go r.expireLoop()
	return r, nil
}

func setDefaults(o *Options) {
	def := func(p *int, v int) {
		if *p <= 0 {
			*p = v
		}
	}
	def(&o.MaxMessageBytes, 512<<10)
	def(&o.MaxContentBytes, 256<<10)
	def(&o.MaxSubscriptions, 50)
	def(&o.MaxFilters, 10)
	def(&o.MaxFilterValues, 1000)
	def(&o.MaxLimit, 5000)
	def(&o.DefaultLimit, 500)
	def(&o.MaxSubIDLength, 64)
	def(&o.MaxEventTags, 2500)
	def(&o.MaxConnections, 50000)
	def(&o.QueueBytes, 4<<20)
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = 10 * time.Second // as wsconn's default; waitQueue needs it
	}
	def(&o.MaxNegentropyEvents, 500000)
	def(&o.MaxNegentropySessions, 4)
	if o.NegentropyIdleTimeout <= 0 {
		o.NegentropyIdleTimeout = 2 * time.Minute
	}
	if o.ExpireInterval <= 0 {
		o.ExpireInterval = time.Minute
	}
	if o.Software == "" {
		o.Software = "https://github.com/relayd/relayd"
	}
}

// Started ends the Starting state: the policies are loaded and the relay
// serves every message. Calling it again does nothing.
func (r *Relay) Started() { r.starting.Store(false) }

// Stats returns the relay's counters.
func (r *Relay) Stats() *Stats { return &r.stats }

// ServeHTTP upgrades websocket requests and answers NIP-11 and CORS
// requests.
func (r *Relay) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	setCORS(w.Header())
	switch {
	case req.Method == http.MethodOptions:
		w.WriteHeader(http.StatusNoContent)
	case isUpgrade(req):
		r.upgrade(w, req)
	case req.Method == http.MethodGet && req.URL.Path == "/metrics":
		r.serveMetrics(w)
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
