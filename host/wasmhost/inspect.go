package wasmhost

import "github.com/relayd/relayd/host/wasmhost/state"

// SharedState returns the shared state (counters, buckets, kv) of plugin
// name, or nil if the Manager has not loaded a plugin of that name. It is
// for tools that check a plugin from outside, such as the guest
// conformance kit (internal/tck), which reads what a plugin's calls left
// there.
func (m *Manager) SharedState(name string) *state.Space {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.spaces[name]
}
