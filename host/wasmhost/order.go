package wasmhost

import (
	"cmp"
	"slices"
	"strings"

	"github.com/relayd/relayd/host/policy"
)

// The chain's order is data in one place: relayd.toml's chain, a list of
// plugin names (Options.Chain, SetChain). Listed plugins run first, in the
// list's order; plugins it does not list run after them, by the order key
// of their NAME.toml, then by name (the order key is the fallback, for a
// plugin dropped in without editing relayd.toml). A listed plugin that is
// not loaded (no NAME.wasm, disabled, or failed with no previous version)
// is logged each time the chain is rebuilt and otherwise skipped: a
// missing plugin is an operator's slip, not a reason to stop the relay.

// chainLess orders plugins for the chain: by position in order, listed
// before unlisted, then by the order setting, then by name.
func chainLess(order []string) func(a, b *Plugin) int {
	rank := func(p *Plugin) int {
		if i := slices.Index(order, p.name); i >= 0 {
			return i
		}
		return len(order)
	}
	return func(a, b *Plugin) int {
		return cmp.Or(cmp.Compare(rank(a), rank(b)), cmp.Compare(a.set.order, b.set.order), strings.Compare(a.name, b.name))
	}
}

// SetChain makes order the chain's order (see chainLess) and, if that
// changes the order of the loaded plugins, swaps in the reordered chain:
// the plugins keep their instances and state, callers that loaded the
// previous chain finish on it. Before Load it only sets the order.
func (m *Manager) SetChain(order []string) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.closed || slices.Equal(m.order, order) {
		return
	}
	m.order = slices.Clone(order)
	cur := m.holder.Load()
	if cur == nil || len(m.plugins) == 0 {
		return
	}
	next := m.chain()
	if slices.EqualFunc(cur.Entries(), next.Entries(), func(a, b policy.Entry) bool { return a.Policy == b.Policy }) {
		m.logMissing(m.plugins)
		return
	}
	m.holder.Store(next)
	m.log.Info("wasm plugin chain reordered", "chain", chainNames(next))
	m.logChain(m.plugins)
}

// logMissing logs each plugin the chain order lists that is not loaded.
func (m *Manager) logMissing(ps map[string]*Plugin) {
	for _, name := range m.order {
		if ps[name] == nil {
			m.log.Warn("chain lists a plugin that is not loaded; it is skipped", "plugin", name, "dir", m.opts.Dir)
		}
	}
}

// chainNames are the names of ch's plugins, in order.
func chainNames(ch *policy.Chain) []string {
	var out []string
	for _, e := range ch.Entries() {
		out = append(out, e.Policy.Name())
	}
	return out
}
