package manage

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/store"
)

// Store is what the management API needs of the event store
// (badgerstore): the operator's bans and settings, the purge of an
// author's events, and the event count.
type Store interface {
	store.Admin
	// DeleteMatching deletes the stored events matching f (with dryRun,
	// only counts them) and returns how many.
	DeleteMatching(ctx context.Context, f nostr.Filter, dryRun bool) (int, error)
}

// Plugins serves the methods the loaded plugins declare
// (wasmhost.Manager). Both methods are safe for concurrent use.
type Plugins interface {
	// ManageMethods lists the methods some loaded plugin serves.
	ManageMethods() []string
	// Manage calls the plugin that serves method with params (a JSON
	// array) and returns its result, once the plugin's durable state
	// writes are committed.
	Manage(ctx context.Context, method string, params json.RawMessage) (json.RawMessage, error)
}

// Info is the NIP-11 fields the operator set through the API; an empty
// field is not set (relayd.toml's value applies).
type Info struct {
	Name, Description, Icon string
}

// Options configure a Handler.
type Options struct {
	// Store keeps the bans and the NIP-11 overrides. Required.
	Store Store
	// Plugins serves the methods the host does not; nil: none.
	Plugins Plugins
	// Admins returns the pubkeys (lowercase hex) allowed to call, read at
	// each request: the live config's admin_pubkeys. Required.
	Admins func() []string
	// SetInfo applies the NIP-11 overrides to the running relay after each
	// change (Info returns them at any time: the stored ones at start).
	// Optional.
	SetInfo func(Info)
	// Stats returns the numbers the stats method reports. Optional.
	Stats func(ctx context.Context) map[string]any
	// Window is how far a NIP-98 event's created_at may be from now; 60 s
	// by default.
	Window time.Duration
	// MaxBody bounds a request's body; 64 KiB by default.
	MaxBody int64
	// ReadTimeout bounds the reading of a request's body; 10 s by
	// default.
	ReadTimeout time.Duration
	// MaxSeen bounds the remembered NIP-98 event ids; 10000 by default.
	MaxSeen int
	// Now is the clock; time.Now by default.
	Now func() time.Time
	// Logger logs every call and refusal; nil: none.
	Logger *slog.Logger
}

// Handler serves the management API. It is safe for concurrent use.
type Handler struct {
	opts Options
	log  *slog.Logger
	seen *seenIDs
	host map[string]method
	// infoMu guards info, the NIP-11 overrides, and serialises their
	// changes (store, then SetInfo).
	infoMu sync.Mutex
	info   Info
}

// method is one host-served method: params are the request's params.
type method func(ctx context.Context, params []json.RawMessage) (any, error)

// Host settings keys of the NIP-11 overrides.
const (
	keyName        = "nip11.name"
	keyDescription = "nip11.description"
	keyIcon        = "nip11.icon"
)

// New builds a handler, with the NIP-11 overrides read from the store
// (Info).
func New(opts Options) (*Handler, error) {
	if opts.Store == nil || opts.Admins == nil {
		return nil, fmt.Errorf("manage: Store and Admins are required")
	}
	if opts.Window <= 0 {
		opts.Window = time.Minute
	}
	if opts.MaxBody <= 0 {
		opts.MaxBody = 64 << 10
	}
	if opts.ReadTimeout <= 0 {
		opts.ReadTimeout = 10 * time.Second
	}
	if opts.MaxSeen <= 0 {
		opts.MaxSeen = 10000
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Handler{opts: opts, log: opts.Logger, seen: newSeenIDs(opts.MaxSeen)}
	h.host = h.hostMethods()
	var err error
	for _, f := range []struct {
		key string
		v   *string
	}{{keyName, &h.info.Name}, {keyDescription, &h.info.Description}, {keyIcon, &h.info.Icon}} {
		if *f.v, _, err = opts.Store.HostSetting(f.key); err != nil {
			return nil, fmt.Errorf("manage: NIP-11 overrides: %w", err)
		}
	}
	return h, nil
}

// Info returns the NIP-11 overrides in force.
func (h *Handler) Info() Info {
	h.infoMu.Lock()
	defer h.infoMu.Unlock()
	return h.info
}

// RefreshInfo reads the NIP-11 overrides from the store again and, if they
// changed, applies them (SetInfo): for a change another node of a cluster
// made, which the cluster wrote to this node's store.
func (h *Handler) RefreshInfo() error {
	h.infoMu.Lock()
	defer h.infoMu.Unlock()
	next := h.info
	var err error
	for _, f := range []struct {
		key string
		v   *string
	}{{keyName, &next.Name}, {keyDescription, &next.Description}, {keyIcon, &next.Icon}} {
		if *f.v, _, err = h.opts.Store.HostSetting(f.key); err != nil {
			return fmt.Errorf("manage: NIP-11 overrides: %w", err)
		}
	}
	if next == h.info {
		return nil
	}
	h.info = next
	if h.opts.SetInfo != nil {
		h.opts.SetInfo(h.info)
	}
	return nil
}
