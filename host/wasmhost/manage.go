package wasmhost

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/sdk/abi"
)

// NIP-86 management methods served by plugins (FeatureManage, ABI.md
// "Management methods").
//
// A plugin declares the methods it serves in relayd_init (OutputMethods)
// and answers them in relayd_on_manage (HookManage). The Manager keeps a
// route per method, rebuilt with every chain: one plugin per method, and
// none for a method the relay serves itself (abi.HostMethods). A plugin
// whose methods clash is refused at load like a broken plugin, and the
// one that already served the method keeps it. A call runs like any hook
// (the plugin's deadline, memory cap and breaker, its metrics under hook
// "manage"), and returns once the durable state writes the plugin made
// are committed, so that what the API reports done survives a crash.

// MethodError is a management method's refusal by the plugin that serves
// it (relayd_on_manage rejected). Message is the plugin's reason, meant
// for the API's error answer.
type MethodError struct {
	Plugin, Method, Message string
}

// Error implements error.
func (e *MethodError) Error() string {
	return fmt.Sprintf("plugin[%s] manage %s: %s", e.Plugin, e.Method, e.Message)
}

// ManageMethods returns the management methods the loaded plugins serve,
// sorted. Safe for concurrent use.
func (m *Manager) ManageMethods() []string {
	r := m.routes.Load()
	if r == nil {
		return nil
	}
	return slices.Sorted(maps.Keys(*r))
}

// Manage calls management method on the plugin that serves it, with
// params (a JSON array; empty or null is []), and returns its result
// JSON (true when the plugin gave none). It returns only once the durable
// state writes the plugin made are committed (Manager.FlushState). Errors:
// ErrUnknownMethod for a method no plugin serves; *MethodError when the
// plugin refused, with its reason; ErrInvalidParams for params that are
// not a JSON array; a plugin failure (ErrTimeout, ErrTripped, ErrBusy…)
// as for any hook; ctx's error if it ends while waiting for the commit
// (the call's writes are then visible, but not yet known durable). Safe
// for concurrent use.
func (m *Manager) Manage(ctx context.Context, method string, params json.RawMessage) (json.RawMessage, error) {
	var p *Plugin
	if r := m.routes.Load(); r != nil {
		p = (*r)[method]
	}
	if p == nil {
		return nil, fmt.Errorf("wasmhost: manage %q: %w", method, ErrUnknownMethod)
	}
	params, count, err := manageParams(params)
	if err != nil {
		return nil, fmt.Errorf("wasmhost: manage %q: %w", method, err)
	}
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("wasmhost: manage %q: %w", method, err)
	}
	rec := m.holder.Load().Recorder(p.name)
	start := time.Now()
	v, err := p.manage(method, params, count)
	if rec != nil {
		rec.Record(policy.HookManage, v.Action, v.Prefix, err, time.Since(start))
	}
	if err != nil {
		return nil, err
	}
	// Flushed on a refusal too: the plugin may have written before it
	// refused.
	if err := m.FlushState(ctx, p.name); err != nil {
		return nil, fmt.Errorf("plugin[%s] manage %s: state not committed: %w", p.name, method, err)
	}
	if v.Action != policy.Accept {
		msg := v.Message
		if msg == "" {
			msg = "refused"
		}
		return nil, &MethodError{Plugin: p.name, Method: method, Message: msg}
	}
	if v.Payload == nil {
		return json.RawMessage("true"), nil
	}
	return v.Payload, nil
}

// manageParams checks that params is a JSON array and counts its
// elements; empty or null params are [].
func manageParams(params json.RawMessage) ([]byte, int, error) {
	t := bytes.TrimSpace(params)
	if len(t) == 0 || bytes.Equal(t, []byte("null")) {
		return []byte("[]"), 0, nil
	}
	var els []json.RawMessage
	if t[0] != '[' || json.Unmarshal(t, &els) != nil {
		return nil, 0, ErrInvalidParams
	}
	return t, len(els), nil
}

// manage runs relayd_on_manage. The hook's parameters are 0 but size,
// the params' length, and count, the number of params.
func (p *Plugin) manage(method string, params []byte, count int) (policy.Verdict, error) {
	inst, err := p.acquire()
	if err != nil {
		return policy.Verdict{}, err
	}
	inst.in = callInput{hook: abi.HookManage, method: method, params: params}
	st := inst.stack
	st[0], st[1], st[2], st[3], st[4], st[5], st[6] = 0, 0, 0, 0, uint64(uint32(len(params))), uint64(uint32(count)), 0
	return p.run(inst, abi.HookManage)
}

// manageVerdict checks relayd_on_manage's verdict: Accept with an
// optional OutputResult (valid JSON), or Reject or RateLimited with the
// reason in OutputMessage. The result is copied into Payload.
func (inst *instance) manageVerdict(v policy.Verdict) (policy.Verdict, error) {
	switch v.Action {
	case policy.Reject, policy.RateLimited:
		return v, nil
	case policy.Accept:
	default:
		return policy.Verdict{}, fmt.Errorf("%w: manage answers accept or reject, got %s", ErrBadVerdict, v.Action)
	}
	if inst.outSet&(1<<abi.OutputResult) == 0 {
		return v, nil
	}
	out := inst.out[abi.OutputResult]
	if !json.Valid(out) {
		return policy.Verdict{}, fmt.Errorf("%w: manage result is not JSON", ErrBadVerdict)
	}
	v.Payload = bytes.Clone(out)
	return v, nil
}

// parseMethods decodes and checks relayd_init's OutputMethods: a JSON
// array of method names (abi.ValidMethod), returned sorted without
// duplicates.
func parseMethods(b []byte) ([]string, error) {
	var ms []string
	if err := json.Unmarshal(b, &ms); err != nil {
		return nil, fmt.Errorf("%w: management methods are not a JSON array of strings: %v", ErrABI, err)
	}
	for _, name := range ms {
		if !abi.ValidMethod(name) {
			return nil, fmt.Errorf("%w: management method %q: want 1 to %d of a-z, 0-9 and _", ErrABI, name, abi.MaxMethodLen)
		}
	}
	slices.Sort(ms)
	return slices.Compact(ms), nil
}

// setMethods keeps the methods the first instance declared, if the
// plugin runs HookManage (the operator's hooks setting may leave it out).
func (p *Plugin) setMethods(ms []string) error {
	if len(ms) > 0 && !p.ex.hooks[abi.HookManage] {
		return fmt.Errorf("%w: declares management methods %v but does not export %q", ErrABI, ms, abi.ExportOnManage)
	}
	if p.hooks.Has(policy.HookManage) {
		p.methods = ms
	}
	return nil
}

// ManageMethods returns the management methods the plugin serves, sorted.
func (p *Plugin) ManageMethods() []string { return slices.Clone(p.methods) }

// route checks the management methods of next, the plugins about to be
// swapped in, and returns the routes and the load errors. A plugin that
// declares a method the relay serves, or one an earlier plugin serves
// (plugins that keep running come first, then new versions, each in
// chain order), is refused: next keeps its previous version if that has
// no clash, else drops it, and the refused version is closed. Lock should
// be held.
func (m *Manager) route(next map[string]*Plugin) (map[string]*Plugin, []error) {
	ps := slices.SortedFunc(maps.Values(next), chainLess(m.order))
	slices.SortStableFunc(ps, func(a, b *Plugin) int { return boolInt(m.plugins[a.name] != a) - boolInt(m.plugins[b.name] != b) })
	host := map[string]bool{}
	for _, name := range abi.HostMethods() {
		host[name] = true
	}
	routes := map[string]*Plugin{}
	clash := func(p *Plugin) error {
		for _, method := range p.methods {
			if host[method] {
				return fmt.Errorf("%w: manage method %q is served by the relay itself", ErrMethodConflict, method)
			}
			if q := routes[method]; q != nil {
				return fmt.Errorf("%w: manage method %q is served by plugin %s too", ErrMethodConflict, method, q.name)
			}
		}
		return nil
	}
	var errs []error
	for _, p := range ps {
		err := clash(p)
		if err == nil {
			for _, method := range p.methods {
				routes[method] = p
			}
			continue
		}
		errs = append(errs, fmt.Errorf("plugin[%s] load %s: %w", p.name, p.file, err))
		m.refuse(p, err)
		if old := m.plugins[p.name]; old != nil && old != p && clash(old) == nil {
			next[p.name] = old
			for _, method := range old.methods {
				routes[method] = old
			}
		} else {
			delete(next, p.name)
		}
	}
	return routes, errs
}

// refuse records that p could not be swapped in because of err, and
// closes it unless it is the running version. Lock should be held.
func (m *Manager) refuse(p *Plugin, err error) {
	m.log.Error("wasm plugin failed to load", "plugin", p.name, "file", p.file, "err", err)
	m.failed[p.name] = p.sum
	m.loadErrs[p.name] = loadErr{msg: err.Error(), source: p.source}
	m.conflicted[p.name] = true
	if m.plugins[p.name] == p {
		return // already running: dropped by swap
	}
	m.closing.Add(1)
	go func() {
		defer m.closing.Done()
		p.close(0, true)
	}()
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}
