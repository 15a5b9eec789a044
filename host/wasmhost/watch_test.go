package wasmhost

import (
	"testing"

	"github.com/fsnotify/fsnotify"
)

func Test_relevant(t *testing.T) {
	m := &Manager{}
	listed := map[string]bool{"deny.txt": true}
	m.listed.Store(&listed)
	tests := []struct {
		name string
		ev   fsnotify.Event
		want bool
	}{
		{"plugin written", fsnotify.Event{Name: "/p/a.wasm", Op: fsnotify.Write}, true},
		{"settings renamed", fsnotify.Event{Name: "/p/a.toml", Op: fsnotify.Rename}, true},
		{"listed file written", fsnotify.Event{Name: "/p/deny.txt", Op: fsnotify.Write}, true},
		{"listed file created", fsnotify.Event{Name: "/p/deny.txt", Op: fsnotify.Create}, true},
		{"listed file removed", fsnotify.Event{Name: "/p/deny.txt", Op: fsnotify.Remove}, true},
		{"listed file renamed away", fsnotify.Event{Name: "/p/deny.txt", Op: fsnotify.Rename}, true},
		{"listed file chmod", fsnotify.Event{Name: "/p/deny.txt", Op: fsnotify.Chmod}, false},
		{"temporary file", fsnotify.Event{Name: "/p/deny.txt.tmp", Op: fsnotify.Create}, false},
		{"other file", fsnotify.Event{Name: "/p/notes.txt", Op: fsnotify.Write}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := m.relevant(tc.ev); got != tc.want {
				t.Errorf("got %v, want %v", got, tc.want)
			}
		})
	}
	if got := (&Manager{}).relevant(fsnotify.Event{Name: "/p/deny.txt", Op: fsnotify.Write}); got {
		t.Error("before the first scan: got true for a file no plugin lists")
	}
}
