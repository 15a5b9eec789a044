package wasmhost

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/fsnotify/fsnotify"
)

// Run watches the plugin directory and reloads, debounced, whenever a
// .wasm or .toml file is created, written, renamed or removed (editors
// that write a temporary file and rename it are covered). It returns when
// ctx is done. Reload errors are logged, not returned.
func (m *Manager) Run(ctx context.Context) error {
	w, err := fsnotify.NewWatcher()
	if err != nil {
		return fmt.Errorf("wasmhost: watch: %w", err)
	}
	defer w.Close()
	if err := w.Add(m.opts.Dir); err != nil {
		return fmt.Errorf("wasmhost: watch %s: %w", m.opts.Dir, err)
	}
	t := time.NewTimer(time.Hour)
	t.Stop()
	for {
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case ev, ok := <-w.Events:
			if !ok {
				return nil
			}
			if relevant(ev) {
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

func relevant(ev fsnotify.Event) bool {
	if !strings.HasSuffix(ev.Name, ".wasm") && !strings.HasSuffix(ev.Name, ".toml") {
		return false
	}
	return ev.Has(fsnotify.Create) || ev.Has(fsnotify.Write) || ev.Has(fsnotify.Remove) || ev.Has(fsnotify.Rename)
}
