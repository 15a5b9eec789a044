package server

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/manage"
	"github.com/relayd/relayd/host/relay"
	"github.com/relayd/relayd/host/store/badgerstore"
	"github.com/relayd/relayd/host/wasmhost"
)

// The NIP-86 management API (host/manage) on the relay's port: admins are
// the live config's admin_pubkeys; bans and NIP-11 overrides live in the
// store; the overrides reach the relay's NIP-11 document and the status
// page, over relayd.toml's values, now and after each config reload.

// management wires the manage handler to the running parts. relay is set
// by listen before the relay serves, so the handler's callbacks, which
// run only while serving, always see it.
type management struct {
	h       *manage.Handler
	live    *config.Live
	st      *badgerstore.Store
	tel     *telemetry
	relay   *relay.Relay
	started time.Time
	log     *slog.Logger
}

// newManagement builds the manage handler on admin (st, or in a cluster
// st wrapped to share the bans and overrides); m (nil without plugins)
// serves the methods the plugins declare.
func newManagement(live *config.Live, st *badgerstore.Store, admin manage.Store, m *wasmhost.Manager, tel *telemetry, log *slog.Logger) (*management, error) {
	mg := &management{live: live, st: st, tel: tel, started: time.Now(), log: log}
	opts := manage.Options{
		Store:   admin,
		Admins:  func() []string { return live.Load().AdminKeys() },
		SetInfo: mg.applyInfo,
		Stats:   mg.stats,
		Logger:  log,
	}
	opts.Plugins = managePlugins(m)
	h, err := manage.New(opts)
	if err != nil {
		return nil, err
	}
	mg.h = h
	return mg, nil
}

// managePlugins is m as the handler's Plugins (nil without plugins): a
// plugin's refusal reaches the caller as its own message, without the
// plugin[NAME] prefix the log gets.
func managePlugins(m *wasmhost.Manager) manage.Plugins {
	if m == nil {
		return nil
	}
	return pluginMethods{m}
}

// pluginMethods serves the plugins' NIP-86 methods through m.
type pluginMethods struct{ m *wasmhost.Manager }

// ManageMethods lists the methods the loaded plugins serve.
func (p pluginMethods) ManageMethods() []string { return p.m.ManageMethods() }

// Manage calls method on the plugin that serves it.
func (p pluginMethods) Manage(ctx context.Context, method string, params json.RawMessage) (json.RawMessage, error) {
	res, err := p.m.Manage(ctx, method, params)
	if me, ok := errors.AsType[*wasmhost.MethodError](err); ok {
		return nil, errors.New(me.Message)
	}
	return res, err
}

// attach makes r serve the API and show the stored overrides.
func (mg *management) attach(r *relay.Relay) {
	mg.relay = r
	mg.applyInfo(mg.h.Info())
}

// applyInfo shows the overrides in NIP-11 and on the status page.
func (mg *management) applyInfo(i manage.Info) {
	mg.relay.SetInfoOverride(relay.InfoOverride{Name: i.Name, Description: i.Description, Icon: i.Icon})
	mg.statusInfo(mg.live.Load(), i)
}

// statusInfo sets the status page's name and description: the overrides
// i over cfg's.
func (mg *management) statusInfo(cfg *config.Config, i manage.Info) {
	if err := mg.tel.status.SetInfo(cmp.Or(i.Name, cfg.Name), cmp.Or(i.Description, cfg.Description)); err != nil {
		mg.log.Warn("status page", "err", err)
	}
}

// stats are the numbers of the stats method: all read from counters but
// the store's size, a walk of its directory.
func (mg *management) stats(context.Context) map[string]any {
	out := map[string]any{
		"events":                    mg.st.EventCount(),
		"connections":               mg.relay.Stats().Connections.Load(),
		"events_stored_since_start": mg.relay.Stats().EventsStored.Load(),
		"uptime_seconds":            int64(time.Since(mg.started).Seconds()),
	}
	if du, err := mg.st.DiskUsage(); err == nil {
		out["store_bytes"] = du.Total()
	}
	return out
}
