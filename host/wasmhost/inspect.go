package wasmhost

import "github.com/relayd/relayd/host/wasmhost/state"

// SharedState returns the shared state (counters, buckets, kv) of plugin
// name, or nil if the Manager has not loaded a plugin of that name. It is
// for tools that check a plugin from outside, such as the guest
// conformance kit (internal/tck), which reads what a plugin's calls left
// there.
//
// # Notes
//
//   - The kit also relies on Load's context reaching each plugin's wazero
//     runtime: it passes a function listener factory
//     (experimental.WithFunctionListenerFactory) to Load, and wasmhost
//     builds the relayd_v1 host module and compiles the guest with that
//     context, so the kit sees every host call. A change that builds them
//     with another context makes TestTCK report no host calls.
func (m *Manager) SharedState(name string) *state.Space {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.spaces[name]
}
