package status

import (
	"bytes"
	"embed"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

//go:embed assets
var assets embed.FS

// cacheFor is how long a gathered status is served again.
const cacheFor = time.Second

// csp lets the page load its own script and style and fetch its own JSON,
// and nothing else: no other site is ever asked for anything.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
	"base-uri 'none'; form-action 'none'; frame-ancestors 'none'"

// Options configure a Handler.
type Options struct {
	// Name, Description and Version are shown as they are (NIP-11's name
	// and description, relayd's version).
	Name, Description, Version string
	// Started is when relayd started, for the uptime.
	Started time.Time
	// Gatherer holds the relay's metrics: host/relay's, host/metrics'
	// Plugins, Store and LoadFailures.
	Gatherer prometheus.Gatherer
	// Peers lists the sync peers ([[sync]]) and their state; nil: none.
	Peers func() []Peer
	// Now is the clock; nil: time.Now.
	Now func() time.Time
}

// Handler serves the status page: GET / (the page), /status/app.js,
// /status/app.css and /status.json. It is safe for concurrent use.
type Handler struct {
	opts Options
	tmpl *template.Template
	page atomic.Pointer[page] // SetInfo swaps it

	mu     sync.Mutex
	at     time.Time // when cached was gathered
	cached []byte
}

var _ http.Handler = (*Handler)(nil)

// New builds the handler and renders the page.
func New(opts Options) (*Handler, error) {
	if opts.Gatherer == nil {
		return nil, fmt.Errorf("status: no gatherer")
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	t, err := template.ParseFS(assets, "assets/index.html")
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	h := &Handler{opts: opts, tmpl: t}
	if err := h.SetInfo(opts.Name, opts.Description); err != nil {
		return nil, err
	}
	return h, nil
}

// page is the rendered page with the name and description it shows.
type page struct {
	name, description string
	index             []byte
}

// SetInfo changes the name and description the page shows (a config
// reload); the next request sees them.
func (h *Handler) SetInfo(name, description string) error {
	o := h.opts
	o.Name, o.Description = name, description
	var b bytes.Buffer
	if err := h.tmpl.Execute(&b, o); err != nil {
		return fmt.Errorf("status: %w", err)
	}
	h.page.Store(&page{name: name, description: description, index: b.Bytes()})
	h.mu.Lock()
	h.cached = nil
	h.mu.Unlock()
	return nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return
	}
	hd := w.Header()
	hd.Set("Content-Security-Policy", csp)
	hd.Set("X-Content-Type-Options", "nosniff")
	hd.Set("Referrer-Policy", "no-referrer")
	switch r.URL.Path {
	case "/", "/status/", "/status/index.html":
		hd.Set("Content-Type", "text/html; charset=utf-8")
		hd.Set("Cache-Control", "no-cache")
		w.Write(h.page.Load().index)
	case "/status/app.js":
		h.asset(w, "assets/app.js", "text/javascript; charset=utf-8")
	case "/status/app.css":
		h.asset(w, "assets/app.css", "text/css; charset=utf-8")
	case "/status.json":
		b, err := h.json()
		if err != nil {
			http.Error(w, "error: "+err.Error(), http.StatusInternalServerError)
			return
		}
		hd.Set("Content-Type", "application/json")
		hd.Set("Cache-Control", "no-store")
		w.Write(b)
	default:
		http.NotFound(w, r)
	}
}

func (h *Handler) asset(w http.ResponseWriter, name, typ string) {
	b, err := assets.ReadFile(name)
	if err != nil {
		http.Error(w, "error: "+err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", typ)
	w.Header().Set("Cache-Control", "no-cache")
	w.Write(b)
}

// json returns the status document, gathered at most once per cacheFor.
func (h *Handler) json() ([]byte, error) {
	h.mu.Lock()
	defer h.mu.Unlock()
	now := h.opts.Now()
	if h.cached != nil && now.Sub(h.at) < cacheFor {
		return h.cached, nil
	}
	st, err := h.Status(now)
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(st)
	if err != nil {
		return nil, fmt.Errorf("status: %w", err)
	}
	h.cached, h.at = b, now
	return b, nil
}

// Status gathers the status as of now.
func (h *Handler) Status(now time.Time) (Status, error) {
	mfs, err := h.opts.Gatherer.Gather()
	if err != nil && len(mfs) == 0 {
		return Status{}, fmt.Errorf("status: gather: %w", err)
	}
	fs := index(mfs)
	pg := h.page.Load()
	st := Status{
		Name: pg.name, Description: pg.description, Version: h.opts.Version,
		Now:            unix(now),
		StartedAt:      unix(h.opts.Started),
		Uptime:         now.Sub(h.opts.Started).Seconds(),
		Starting:       fs.value("relayd_starting") > 0,
		Connections:    fs.value("relayd_connections"),
		Subscriptions:  fs.value("relayd_subscriptions"),
		EventsReceived: fs.value("relayd_ok_latency_seconds"),
		EventsStored:   fs.value("relayd_events_stored_total"),
		StoreBytes:     fs.value("relayd_store_bytes"),
		Plugins:        fs.plugins(),
		SyncPeers:      []Peer{},
	}
	if h.opts.Peers != nil {
		st.SyncPeers = append(st.SyncPeers, h.opts.Peers()...)
	}
	return st, nil
}

func unix(t time.Time) float64 { return float64(t.UnixNano()) / 1e9 }
