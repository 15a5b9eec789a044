package wasmhost

import (
	"crypto/sha256"
	"encoding/hex"
)

// Read-only accessors for metrics and the status page (host/metrics,
// host/status). They change nothing in the Manager or the plugins.

// Version identifies the plugin's files: the first 12 hex digits of the
// sha256 of NAME.wasm (what `sha256sum NAME.wasm` prints first), and, when
// the plugin has a NAME.toml, "-" and 6 hex digits of a hash of the
// settings and the files they list. A reload that changes nothing keeps
// the version; any change the Manager reloads for makes a new one.
func (p *Plugin) Version() string { return version(p.sum) }

// Failed returns the plugins whose files, as last scanned, failed to load,
// by name, with the Version those files have; such a plugin runs its
// previous version, or is not loaded if it had none. ok is false while a
// load, reload or close is in progress (the map is then nil): it does not
// wait for one.
func (m *Manager) Failed() (failed map[string]string, ok bool) {
	if !m.mu.TryLock() {
		return nil, false
	}
	defer m.mu.Unlock()
	failed = make(map[string]string, len(m.failed))
	for name, sum := range m.failed {
		failed[name] = version(sum)
	}
	return failed, true
}

func version(sum [3][32]byte) string {
	v := hex.EncodeToString(sum[0][:6])
	if sum[1] == ([32]byte{}) && sum[2] == ([32]byte{}) {
		return v
	}
	h := sha256.New()
	h.Write(sum[1][:])
	h.Write(sum[2][:])
	return v + "-" + hex.EncodeToString(h.Sum(nil)[:3])
}

// QueryStats returns, per plugin name, the counts of its store_query
// calls and ticks since the Manager started (across reloads), for every
// plugin that has been loaded. It does not wait for a load.
func (m *Manager) QueryStats() map[string]QueryStatsSnapshot {
	m.statsMu.Lock()
	defer m.statsMu.Unlock()
	out := make(map[string]QueryStatsSnapshot, len(m.stats))
	for name, q := range m.stats {
		out[name] = q.Snapshot()
	}
	return out
}
