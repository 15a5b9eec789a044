// Package config turns relayd's config file and flags into one typed, flat
// Config, checked by Validate and never changed afterwards: a reload makes
// a new Config and swaps it whole (reload.go). The limits are
// host/limits', embedded.
package config

import (
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/relayd/relayd/host/limits"
	"github.com/relayd/relayd/sdk/nip19"
)

// Config is everything relayd can be told. Zero values are replaced by
// Default's values in Load; Validate checks the result.
type Config struct {
	// Listen is the address to serve websocket and HTTP on.
	Listen string `toml:"listen" reload:"restart"`
	// DataDir holds the badger store and the wasm compilation cache.
	DataDir string `toml:"data" reload:"restart"`
	// PluginDir holds NAME.wasm policy plugins and their NAME.toml files.
	// Empty disables plugins.
	PluginDir string `toml:"plugins" reload:"restart"`
	// Chain is the order of the plugin chain, by plugin name (NAME of
	// NAME.wasm). Plugins it does not list run after the listed ones, by
	// the order key of their NAME.toml, then by name; a listed plugin that
	// is not loaded is logged and skipped.
	Chain []string `toml:"chain" reload:"live"`
	// RelayURL is the relay's public websocket URL (ws:// or wss://),
	// checked against the "relay" tag of NIP-42 AUTH events. Empty accepts
	// a URL whose host is the connection's Host header, or the
	// X-Forwarded-Host (and X-Forwarded-Proto) of a trusted proxy. Set it
	// whenever relayd is behind a proxy.
	RelayURL string `toml:"relay_url" reload:"live"`
	// TrustedProxies are the addresses (or CIDR prefixes) of the reverse
	// proxies in front of relayd. Only a connection from one of them has
	// its X-Forwarded-For, X-Forwarded-Host and X-Forwarded-Proto headers
	// read; the client IP is the rightmost X-Forwarded-For entry that is
	// not a trusted proxy. Empty: those headers are ignored.
	TrustedProxies Prefixes `toml:"trusted_proxies" reload:"live"`
	// AdminPubkeys are the pubkeys (64 hex digits or npub) allowed to call
	// the NIP-86 management API (host/manage), which they sign with NIP-98.
	// Empty: every call is refused.
	AdminPubkeys []string `toml:"admin_pubkeys" reload:"live"`

	// NIP-11 document.
	Name        string `toml:"name" reload:"live"`
	Description string `toml:"description" reload:"live"`
	Pubkey      string `toml:"pubkey" reload:"live"`
	Contact     string `toml:"contact" reload:"live"`
	Icon        string `toml:"icon" reload:"live"`

	// Limits are the relay's limits (host/limits: their keys, defaults,
	// NIP-11 names and how a reload applies each).
	limits.Limits

	// Negentropy answers NIP-77 NEG-OPEN (and lists 77 in NIP-11); its
	// bounds are max_negentropy_events and max_negentropy_sessions.
	Negentropy bool `toml:"negentropy" reload:"live"`

	// ShutdownTimeout bounds how long queues are flushed on SIGTERM.
	ShutdownTimeout Duration `toml:"shutdown_timeout" reload:"live"`
	// ExpireInterval is how often expired (NIP-40) events are removed.
	ExpireInterval Duration `toml:"expire_interval" reload:"restart"`

	// DiskReserveMB is the free space, in MiB, kept on the data dir's
	// filesystem. Below it the store turns read-only: EVENTs get
	// "error: disk full", REQs and ephemeral events go on; it takes events
	// again once the free space is back above the reserve plus a tenth.
	// 0 turns the check off, and a full disk then kills relayd (SIGBUS).
	DiskReserveMB int `toml:"disk_reserve_mb" reload:"restart"`
	// DiskCheckInterval is how often the free space is measured when no
	// writes do it (they do every MiB written).
	DiskCheckInterval Duration `toml:"disk_check_interval" reload:"restart"`
	// StoreMemoryMB is the memory budget, in MiB, of the store and relayd's own
	// caches: badger's two memtables (1/16 each), its block cache (1/16)
	// and index cache (1/32), the event cache (1/8); the rest is room for
	// the Go heap (connections, queues, garbage). Plugins' linear memory
	// is apart (plugin_memory_mb). docs/deploy.md, "Sizing".
	StoreMemoryMB int `toml:"store_memory_mb" reload:"restart"`
	// AcceptStoreRollback opens a store that has gone backwards against
	// its rollback record instead of refusing to start. Set only by the
	// -accept-store-rollback flag, for one start: never from the file.
	AcceptStoreRollback bool `toml:"-"`

	// Plugin defaults, overridable per plugin in NAME.toml.
	PluginTimeout  Duration `toml:"plugin_timeout" reload:"restart"`
	PluginMemoryMB int      `toml:"plugin_memory_mb" reload:"restart"`

	// DebugListen, if set, serves Go's pprof handlers on that address.
	// Keep it on loopback.
	DebugListen string `toml:"debug_listen" reload:"restart"`
	// MetricsListen, if set, serves /metrics and the status page on that
	// address, apart from the relay's port, to whoever can reach it. Unset,
	// /metrics is served on the relay's port to clients on this host only
	// (behind trusted proxies: whose forwarded client IP is loopback).
	MetricsListen string `toml:"metrics_listen" reload:"restart"`
	// StatusPage says who gets the status page (the relay's root in a
	// browser, and /status.json) on the relay's port: "public" (anyone),
	// "local" (clients on this host, as /metrics) or "off". It shows plugin
	// names, versions, settings and counts, no secrets.
	StatusPage string `toml:"status_page" reload:"restart"`

	// LogLevel is debug, info, warn or error.
	LogLevel string `toml:"log_level" reload:"live"`

	// Sync lists the relays to sync with ([[sync]] tables). A reload that
	// changes them restarts the sync peers.
	Sync []SyncPeer `toml:"sync" reload:"live"`

	// Cluster, when its table turns it on, makes this node one of several
	// acting as one relay through NATS JetStream (host/cluster).
	Cluster Cluster `toml:"cluster" reload:"restart"`
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
		Limits:            limits.Default(),
		Listen:            "127.0.0.1:7447",
		DataDir:           "./data",
		Name:              "relayd",
		Description:       "A Nostr relay with WebAssembly policies",
		StatusPage:        "public",
		ShutdownTimeout:   Duration{5 * time.Second},
		ExpireInterval:    Duration{time.Minute},
		DiskReserveMB:     1024,
		StoreMemoryMB:     256,
		DiskCheckInterval: Duration{5 * time.Second},
		PluginTimeout:     Duration{50 * time.Millisecond},
		PluginMemoryMB:    64,
		LogLevel:          "info",
		Negentropy:        true,
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

// Validate checks that every value is usable; the error names each key
// at fault.
func (c Config) Validate() error {
	if err := c.problems(); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	return nil
}

// problems are Validate's errors, joined.
func (c Config) problems() error {
	var errs []error
	if err := c.Limits.Validate(); err != nil {
		errs = append(errs, err)
	}
	if c.PluginMemoryMB <= 0 {
		errs = append(errs, fmt.Errorf("plugin_memory_mb must be > 0, got %d", c.PluginMemoryMB))
	}
	if c.StoreMemoryMB < 64 {
		errs = append(errs, fmt.Errorf("store_memory_mb must be >= 64, got %d", c.StoreMemoryMB))
	}
	if c.DiskReserveMB < 0 {
		errs = append(errs, fmt.Errorf("disk_reserve_mb must be >= 0 (0 turns the check off), got %d", c.DiskReserveMB))
	}
	for _, d := range []struct {
		name string
		v    Duration
	}{{"shutdown_timeout", c.ShutdownTimeout}, {"expire_interval", c.ExpireInterval}, {"plugin_timeout", c.PluginTimeout},
		{"disk_check_interval", c.DiskCheckInterval}} {
		if d.v.Duration <= 0 {
			errs = append(errs, fmt.Errorf("%s must be > 0", d.name))
		}
	}
	errs = append(errs, checkChain(c.Chain)...)
	if c.RelayURL != "" {
		if u, err := url.Parse(c.RelayURL); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
			errs = append(errs, fmt.Errorf("relay_url %q is not a ws:// or wss:// URL", c.RelayURL))
		}
	}
	for i, k := range c.AdminPubkeys {
		if _, err := PubkeyHex(k); err != nil {
			errs = append(errs, fmt.Errorf("admin_pubkeys entry %d: %w", i, err))
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
	errs = append(errs, c.validateCluster()...)
	switch c.LogLevel {
	case "debug", "info", "warn", "error":
	default:
		errs = append(errs, fmt.Errorf("log_level %q is not debug, info, warn or error", c.LogLevel))
	}
	return errors.Join(errs...)
}

// checkChain refuses an empty or repeated name in chain.
func checkChain(chain []string) []error {
	var errs []error
	seen := map[string]bool{}
	for i, name := range chain {
		switch {
		case name == "" || strings.ContainsAny(name, "/\\") || strings.HasSuffix(name, ".wasm"):
			errs = append(errs, fmt.Errorf("chain entry %d (%q) is not a plugin name (NAME of NAME.wasm)", i, name))
		case seen[name]:
			errs = append(errs, fmt.Errorf("chain lists %q twice", name))
		}
		seen[name] = true
	}
	return errs
}

// PubkeyHex returns the pubkey k, given as 64 hex digits or as an npub,
// in lowercase hex (sdk/nip19 reads both, for the plugins' lists too).
func PubkeyHex(k string) (string, error) { return nip19.Pubkey(k) }

// AdminKeys returns admin_pubkeys in lowercase hex; Validate has checked
// them, and an entry that does not read is left out.
func (c *Config) AdminKeys() []string {
	out := make([]string, 0, len(c.AdminPubkeys))
	for _, k := range c.AdminPubkeys {
		if h, err := PubkeyHex(k); err == nil {
			out = append(out, h)
		}
	}
	return out
}
