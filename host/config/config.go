// Package config turns relayd's config file and flags into one typed, flat
// Config, checked once by Validate and never changed afterwards.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"
)

// Config is everything relayd can be told. Zero values are replaced by
// Default's values in Load; Validate checks the result.
type Config struct {
	// Listen is the address to serve websocket and HTTP on.
	Listen string `toml:"listen"`
	// DataDir holds the badger store and the wasm compilation cache.
	DataDir string `toml:"data"`
	// PluginDir holds NAME.wasm policy plugins and their NAME.toml files.
	// Empty disables plugins.
	PluginDir string `toml:"plugins"`
	// RelayURL is the relay's public websocket URL (ws:// or wss://),
	// checked against the "relay" tag of NIP-42 AUTH events. Empty accepts
	// a URL whose host is the connection's Host header, or the
	// X-Forwarded-Host (and X-Forwarded-Proto) of a trusted proxy. Set it
	// whenever relayd is behind a proxy.
	RelayURL string `toml:"relay_url"`
	// TrustedProxies are the addresses (or CIDR prefixes) of the reverse
	// proxies in front of relayd. Only a connection from one of them has
	// its X-Forwarded-For, X-Forwarded-Host and X-Forwarded-Proto headers
	// read; the client IP is the rightmost X-Forwarded-For entry that is
	// not a trusted proxy. Empty: those headers are ignored.
	TrustedProxies Prefixes `toml:"trusted_proxies"`

	// NIP-11 document.
	Name        string `toml:"name"`
	Description string `toml:"description"`
	Pubkey      string `toml:"pubkey"`
	Contact     string `toml:"contact"`
	Icon        string `toml:"icon"`

	// Limits, all advertised in NIP-11 "limitation".
	MaxMessageBytes     int   `toml:"max_message_bytes"`
	MaxContentBytes     int   `toml:"max_content_bytes"`
	MaxSubscriptions    int   `toml:"max_subscriptions"`
	MaxFilters          int   `toml:"max_filters"`
	MaxFilterValues     int   `toml:"max_filter_values"`
	MaxLimit            int   `toml:"max_limit"`
	DefaultLimit        int   `toml:"default_limit"`
	MaxSubIDLength      int   `toml:"max_subid_length"`
	MaxEventTags        int   `toml:"max_event_tags"`
	CreatedAtLowerLimit int64 `toml:"created_at_lower_limit"` // seconds into the past; 0 = none
	CreatedAtUpperLimit int64 `toml:"created_at_upper_limit"` // seconds into the future; 0 = none
	AuthRequired        bool  `toml:"auth_required"`          // require NIP-42 AUTH for everything
	MaxConnections      int   `toml:"max_connections"`

	// NIP-77 negentropy: Negentropy answers NEG-OPEN (and lists 77 in
	// NIP-11); a session may reconcile at most MaxNegentropyEvents events
	// (40 bytes each while it is open) and a connection may hold
	// MaxNegentropySessions sessions at once.
	Negentropy            bool `toml:"negentropy"`
	MaxNegentropyEvents   int  `toml:"max_negentropy_events"`
	MaxNegentropySessions int  `toml:"max_negentropy_sessions"`

	// Per-session outbound queue and timing.
	QueueBytes   int      `toml:"queue_bytes"`
	WriteTimeout Duration `toml:"write_timeout"`
	PingInterval Duration `toml:"ping_interval"`
	IdleTimeout  Duration `toml:"idle_timeout"`
	// ShutdownTimeout bounds how long queues are flushed on SIGTERM.
	ShutdownTimeout Duration `toml:"shutdown_timeout"`
	// ExpireInterval is how often expired (NIP-40) events are removed.
	ExpireInterval Duration `toml:"expire_interval"`

	// DiskReserveMB is the free space, in MiB, kept on the data dir's
	// filesystem. Below it the store turns read-only: EVENTs get
	// "error: disk full", REQs and ephemeral events go on; it takes events
	// again once the free space is back above the reserve plus a tenth.
	// 0 turns the check off, and a full disk then kills relayd (SIGBUS).
	DiskReserveMB int `toml:"disk_reserve_mb"`
	// DiskCheckInterval is how often the free space is measured when no
	// writes do it (they do every MiB written).
	DiskCheckInterval Duration `toml:"disk_check_interval"`
	// AcceptStoreRollback opens a store that has gone backwards against
	// its rollback record instead of refusing to start. Set only by the
	// -accept-store-rollback flag, for one start: never from the file.
	AcceptStoreRollback bool `toml:"-"`

	// Plugin defaults, overridable per plugin in NAME.toml.
	PluginTimeout  Duration `toml:"plugin_timeout"`
	PluginMemoryMB int      `toml:"plugin_memory_mb"`

	// DebugListen, if set, serves Go's pprof handlers on that address.
	// Keep it on loopback.
	DebugListen string `toml:"debug_listen"`
	// MetricsListen, if set, serves /metrics and the status page on that
	// address, apart from the relay's port, to whoever can reach it. Unset,
	// /metrics is served on the relay's port to clients on this host only
	// (behind trusted proxies: whose forwarded client IP is loopback).
	MetricsListen string `toml:"metrics_listen"`
	// StatusPage says who gets the status page (the relay's root in a
	// browser, and /status.json) on the relay's port: "public" (anyone),
	// "local" (clients on this host, as /metrics) or "off". It shows plugin
	// names, versions, settings and counts, no secrets.
	StatusPage string `toml:"status_page"`

	// LogLevel is debug, info, warn or error.
	LogLevel string `toml:"log_level"`

	// Sync lists the relays to sync with ([[sync]] tables).
	Sync []SyncPeer `toml:"sync"`
}

// Duration is a time.Duration that reads "10s" style strings from TOML.
type Duration struct{ time.Duration }

// UnmarshalText parses a Go duration string.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil {
		return fmt.Errorf("duration %q: %w", b, err)
	}
	d.Duration = v
	return nil
}

// MarshalText formats the duration as Go does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }

// Default returns the configuration relayd runs with when nothing is set.
func Default() Config {
	return Config{
		Listen:              "127.0.0.1:7447",
		DataDir:             "./data",
		Name:                "relayd",
		Description:         "A Nostr relay with WebAssembly policies",
		StatusPage:          "public",
		MaxMessageBytes:     512 << 10,
		MaxContentBytes:     256 << 10,
		MaxSubscriptions:    50,
		MaxFilters:          10,
		MaxFilterValues:     1000,
		MaxLimit:            5000,
		DefaultLimit:        500,
		MaxSubIDLength:      64,
		MaxEventTags:        2500,
		CreatedAtLowerLimit: 0,
		CreatedAtUpperLimit: 15 * 60,
		MaxConnections:      50000,
		QueueBytes:          4 << 20,
		WriteTimeout:        Duration{10 * time.Second},
		PingInterval:        Duration{30 * time.Second},
		IdleTimeout:         Duration{90 * time.Second},
		ShutdownTimeout:     Duration{5 * time.Second},
		ExpireInterval:      Duration{time.Minute},
		DiskReserveMB:       1024,
		DiskCheckInterval:   Duration{5 * time.Second},
		PluginTimeout:       Duration{50 * time.Millisecond},
		PluginMemoryMB:      64,
		LogLevel:            "info",

		Negentropy:            true,
		MaxNegentropyEvents:   500000,
		MaxNegentropySessions: 4,
	}
}

// Load reads the TOML file at path (if path is not empty) over the
// defaults. Flags are applied by the caller afterwards; call Validate last.
func Load(path string) (Config, error) {
	c := Default()
	if path == "" {
		return c, nil
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return c, fmt.Errorf("config: %w", err)
	}
	md, err := toml.Decode(string(b), &c)
	if err != nil {
		return c, fmt.Errorf("config %s: %w", path, err)
	}
	if md.IsDefined("trust_proxy") {
		return c, fmt.Errorf("config %s: %w", path, ErrTrustProxy)
	}
	if un := md.Undecoded(); len(un) > 0 {
		return c, fmt.Errorf("config %s: unknown key %q", path, un[0].String())
	}
	return c, nil
}

// Validate checks that every value is usable.
func (c Config) Validate() error {
	var errs []error
	positive := []struct {
		name string
		v    int
	}{
		{"max_message_bytes", c.MaxMessageBytes},
		{"max_content_bytes", c.MaxContentBytes},
		{"max_subscriptions", c.MaxSubscriptions},
		{"max_filters", c.MaxFilters},
		{"max_filter_values", c.MaxFilterValues},
		{"max_limit", c.MaxLimit},
		{"default_limit", c.DefaultLimit},
		{"max_subid_length", c.MaxSubIDLength},
		{"max_event_tags", c.MaxEventTags},
		{"max_connections", c.MaxConnections},
		{"max_negentropy_events", c.MaxNegentropyEvents},
		{"max_negentropy_sessions", c.MaxNegentropySessions},
		{"queue_bytes", c.QueueBytes},
		{"plugin_memory_mb", c.PluginMemoryMB},
	}
	for _, p := range positive {
		if p.v <= 0 {
			errs = append(errs, fmt.Errorf("%s must be > 0, got %d", p.name, p.v))
		}
	}
	if c.DiskReserveMB < 0 {
		errs = append(errs, fmt.Errorf("disk_reserve_mb must be >= 0 (0 turns the check off), got %d", c.DiskReserveMB))
	}
	if c.DefaultLimit > c.MaxLimit {
		errs = append(errs, fmt.Errorf("default_limit %d is above max_limit %d", c.DefaultLimit, c.MaxLimit))
	}
	if c.QueueBytes < c.MaxMessageBytes {
		errs = append(errs, fmt.Errorf("queue_bytes %d must hold at least one max_message_bytes (%d)", c.QueueBytes, c.MaxMessageBytes))
	}
	if c.CreatedAtLowerLimit < 0 || c.CreatedAtUpperLimit < 0 {
		errs = append(errs, errors.New("created_at limits must be >= 0"))
	}
	for _, d := range []struct {
		name string
		v    Duration
	}{{"write_timeout", c.WriteTimeout}, {"ping_interval", c.PingInterval}, {"idle_timeout", c.IdleTimeout},
		{"shutdown_timeout", c.ShutdownTimeout}, {"expire_interval", c.ExpireInterval}, {"plugin_timeout", c.PluginTimeout},
		{"disk_check_interval", c.DiskCheckInterval}} {
		if d.v.Duration <= 0 {
			errs = append(errs, fmt.Errorf("%s must be > 0", d.name))
		}
	}
	if c.IdleTimeout.Duration <= c.PingInterval.Duration {
		errs = append(errs, fmt.Errorf("idle_timeout %v must be longer than ping_interval %v", c.IdleTimeout, c.PingInterval))
	}
	if c.RelayURL != "" {
		if u, err := url.Parse(c.RelayURL); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
			errs = append(errs, fmt.Errorf("relay_url %q is not a ws:// or wss:// URL", c.RelayURL))
		}
	}
	for i, p := range c.TrustedProxies {
		if !p.IsValid() {
			errs = append(errs, fmt.Errorf("trusted_proxies entry %d is not a valid prefix", i))
		}
	}
	if c.Listen == "" {
		errs = append(errs, errors.New("listen address is empty"))
	}
	if c.DataDir == "" {
		errs = append(errs, errors.New("data dir is empty"))
	}
	switch c.StatusPage {
	case "public", "local", "off":
	default:
		errs = append(errs, fmt.Errorf("status_page %q is not public, local or off", c.StatusPage))
	}
	if c.MetricsListen != "" && c.MetricsListen == c.Listen && !strings.HasSuffix(c.Listen, ":0") {
		errs = append(errs, fmt.Errorf("metrics_listen %q is the listen address; leave it unset to serve /metrics there", c.MetricsListen))
	}
	errs = append(errs, c.validateSync()...)
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level %q is not debug, info, warn or error", c.LogLevel))
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}
