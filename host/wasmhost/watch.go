package wasmhost

import (
	"context"
	"fmt"
	"path/filepath"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Run watches the plugin directory and reloads, debounced, whenever a
// .wasm or .toml file, or a file a plugin's settings list, is created,
// written, renamed or removed (editors that write a temporary file and
// rename it are covered), and rescans once when it starts. It returns when
// ctx is done. Reload errors are
// logged, not returned. It does not watch Options.PushedDir (the node
// calls ReloadPushed), and without Options.Dir it only waits for ctx.
func (m *Manager) Run(ctx context.Context) error {
	if m.opts.Dir == "" { // pushed plugins only: ReloadPushed reloads
		<-ctx.Done()
		return nil
	}
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("wasmhost: watch: %w", err)
	}
	defer w.Close()
	if err := w.Add(m.opts.Dir); err != nil {
		return fmt.Errorf("wasmhost: watch %s: %w", m.opts.Dir, err)
	}
	// A file that changed after the last Load or Reload but before the
	// watch began sent no event: one rescan picks it up (unchanged plugins
	// only cost a read and a hash).
	t := time.NewTimer(m.opts.Debounce)
	for {
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if m.relevant(ev) {
				t.Reset(m.opts.Debounce)
			}
		case err, ok := <-w.Errors:
			if !ok {
				return nil
			}
			m.log.Warn("wasm plugin watcher", "err", err)
			t.Reset(m.opts.Debounce) // events may have been lost: rescan
		case <-t.C:
			_ = m.Reload(ctx) // failures are logged per plugin
		}
	}
}

// relevant reports whether ev may change a plugin. Which files are listed
// is as of the last rescan; a settings change that lists a new file is
// itself relevant, and its rescan reads the new file.
func (m *Manager) relevant(ev fsnotify.Event) bool {
	if !ev.Has(fsnotify.Create) && !ev.Has(fsnotify.Write) && !ev.Has(fsnotify.Remove) && !ev.Has(fsnotify.Rename) {
		return false
	}
	if strings.HasSuffix(ev.Name, ".wasm") || strings.HasSuffix(ev.Name, ".toml") {
		return true
	}
	listed := m.listed.Load()
	return listed != nil && (*listed)[filepath.Base(ev.Name)]
}
