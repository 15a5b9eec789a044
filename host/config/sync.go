package config

import (
	"errors"
	"fmt"
	"net/url"
	"time"

	"github.com/relayd/relayd/host/envelope"
)

// SyncPeer is one [[sync]] table: another relay the running relay syncs
// with (host/peer).
type SyncPeer struct {
	// URL is the peer's ws:// or wss:// URL.
	URL string `toml:"url"`
	// Dir is "down" (the peer's events come here; the default), "up"
	// (this relay's events go there) or "both".
	Dir string `toml:"dir"`
	// Filter is a NIP-01 filter as a JSON object (default {}: every
	// event); it means what it would mean in a REQ.
	Filter string `toml:"filter"`
	// Interval, if set, repeats the negentropy sync that runs at start
	// this often (at least MinSyncInterval).
	Interval Duration `toml:"interval"`
	// Live also subscribes to the peer's new events (dir down or both).
	Live bool `toml:"live"`
}

// Bounds of a sync peer's interval: shorter would make the peer read its
// whole matching set that often; longer is most likely a typo.
const (
	MinSyncInterval = 10 * time.Second
	MaxSyncInterval = 7 * 24 * time.Hour
)

// validateSync checks the [[sync]] tables, naming each bad key as
// sync[i].key.
func (c Config) validateSync() []error {
	var errs []error
	for i, p := range c.Sync {
		key := func(k string) string { return fmt.Sprintf("sync[%d].%s", i, k) }
		if u, err := url.Parse(p.URL); err != nil || (u.Scheme != "ws" && u.Scheme != "wss") || u.Host == "" {
			errs = append(errs, fmt.Errorf("%s %q is not a ws:// or wss:// URL", key("url"), p.URL))
		}
		switch p.Dir {
		case "", "down", "up", "both":
		default:
			errs = append(errs, fmt.Errorf("%s %q is not down, up or both", key("dir"), p.Dir))
		}
		if p.Live && p.Dir == "up" {
			errs = append(errs, fmt.Errorf("%s: a live subscription brings the peer's events down; it needs dir down or both", key("live")))
		}
		if iv := p.Interval.Duration; iv != 0 && (iv < MinSyncInterval || iv > MaxSyncInterval) {
			errs = append(errs, fmt.Errorf("%s %v is outside %v to %v (leave it out to sync once at start)",
				key("interval"), iv, MinSyncInterval, MaxSyncInterval))
		}
		if err := validSyncFilter(p.Filter, p.Live); err != nil {
			errs = append(errs, fmt.Errorf("%s %q: %w", key("filter"), p.Filter, err))
		}
	}
	return errs
}

// validSyncFilter parses a peer's filter as a REQ's.
func validSyncFilter(s string, live bool) error {
	if s == "" {
		return nil
	}
	f, err := envelope.ParseFilter([]byte(s), envelope.Limits{})
	var e *envelope.Error
	switch {
	case errors.As(err, &e):
		return errors.New(e.Reason)
	case err != nil:
		return err
	case f.Search != "":
		return errors.New("search (NIP-50) is not supported")
	case live && f.Until != nil:
		return errors.New("until leaves a live subscription nothing new to get")
	}
	return nil
}
