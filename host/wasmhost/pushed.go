package wasmhost

import (
	"context"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"slices"
	"sort"
)

// Plugin sources: where a plugin's files come from.
const (
	// SourceLocal is the node's plugin directory (Options.Dir).
	SourceLocal = "local"
	// SourcePushed is the cluster's pushed plugins (Options.PushedDir).
	SourcePushed = "pushed"
)

// RunningPlugin is what the Manager runs of one plugin name, for the
// cluster's nodes bucket, /metrics and the status page.
type RunningPlugin struct {
	// Name is the plugin's name.
	Name string
	// SHA256 is the hex sha256 of the .wasm that runs; empty when no
	// version runs (Failed says why).
	SHA256 string
	// Source is SourceLocal or SourcePushed: where the running version
	// came from (or, when none runs, the failed one).
	Source string
	// Failed is the hex sha256 of the .wasm of a version that failed to
	// load and does not run (the previous version, if any, runs); Error
	// says why.
	Failed string
	// Error is why Failed did not load.
	Error string
}

// Running returns what the Manager runs, by name: after the first load,
// the plugins of the chain and those whose latest files failed to load
// (running their previous version or none), including a pushed plugin
// refused because a local plugin has its name. It does not wait for a
// reload in progress: it returns what the last one left. Sorted by name.
func (m *Manager) Running() []RunningPlugin {
	if r := m.running.Load(); r != nil {
		return slices.Clone(*r)
	}
	return nil
}

// loadErr is why a plugin's latest version failed to load, and where it
// came from.
type loadErr struct{ msg, source string }

// shadowedSet are the pushed plugins refused at a scan because the local
// plugin directory has a plugin of the same name, by name: the sha256 of
// their .wasm.
type shadowedSet map[string][32]byte

// errs returns one error per shadowed plugin, sorted by name.
func (s shadowedSet) errs() []error {
	var out []error
	for _, name := range slices.Sorted(mapKeys(s)) {
		out = append(out, fmt.Errorf("plugin[%s]: %w", name, errShadowed))
	}
	return out
}

func mapKeys[V any](m map[string]V) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// errShadowed is why a pushed plugin is refused when the local plugin
// directory has one of the same name: the local one runs.
var errShadowed = errors.New("pushed plugin refused: the local plugin directory has a plugin of this name, which runs instead (local wins; rename one)")

// scanAll reads the local and the pushed plugin directories. A name in
// both is the local plugin's; the pushed one is left out and returned in
// shadowed (logged once per version).
func (m *Manager) scanAll() ([]pluginFile, shadowedSet, error) {
	var files []pluginFile
	if m.opts.Dir != "" {
		local, err := scan(m.opts.Dir)
		if err != nil {
			return nil, nil, err
		}
		for i := range local {
			local[i].source = SourceLocal
		}
		files = local
	}
	shadowed := shadowedSet{}
	if m.opts.PushedDir == "" {
		return files, shadowed, nil
	}
	pushed, err := scan(m.opts.PushedDir)
	if errors.Is(err, os.ErrNotExist) {
		return files, shadowed, nil
	}
	if err != nil {
		return nil, nil, err
	}
	have := map[string]bool{}
	for _, f := range files {
		have[f.name] = true
	}
	for _, f := range pushed {
		if have[f.name] {
			shadowed[f.name] = f.sum[0]
			if m.shadowLogged[f.name] != f.sum[0] {
				m.log.Error("wasm plugin failed to load", "plugin", f.name, "file", f.wasmPath, "err", errShadowed, "running", "local plugin")
			}
			continue
		}
		f.source = SourcePushed
		files = append(files, f)
	}
	m.shadowLogged = shadowed
	return files, shadowed, nil
}

// storeRunning records what Running returns after a reload. Lock should
// be held.
func (m *Manager) storeRunning(shadowed shadowedSet) {
	byName := map[string]*RunningPlugin{}
	for name, p := range m.plugins {
		byName[name] = &RunningPlugin{Name: name, SHA256: hex.EncodeToString(p.sum[0][:]), Source: p.source}
	}
	for name, sum := range m.failed {
		r := byName[name]
		if r == nil {
			r = &RunningPlugin{Name: name, Source: m.loadErrs[name].source}
			byName[name] = r
		}
		r.Failed, r.Error = hex.EncodeToString(sum[0][:]), m.loadErrs[name].msg
	}
	for name, sum := range shadowed {
		r := byName[name]
		if r == nil { // the local one failed and runs no version
			r = &RunningPlugin{Name: name, Source: SourceLocal}
			byName[name] = r
		}
		if r.Failed == "" {
			r.Failed, r.Error = hex.EncodeToString(sum[:]), errShadowed.Error()
		}
	}
	out := make([]RunningPlugin, 0, len(byName))
	for _, r := range byName {
		out = append(out, *r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	m.running.Store(&out)
}

// ReloadPushed runs write, which changes the files of the pushed plugin
// directory, then reloads, so that no other reload reads the directory
// half written. write's error stops the reload and is returned.
func (m *Manager) ReloadPushed(ctx context.Context, write func() error) error {
	m.mu.Lock()
	if err := write(); err != nil {
		m.mu.Unlock()
		return err
	}
	err := m.reload(ctx)
	m.mu.Unlock()
	if m.opts.OnReload != nil {
		m.opts.OnReload()
	}
	return err
}
