//go:build !wasip1

package sdktest

import (
	"sync"

	"github.com/relayd/relayd/sdk/internal/imports"
)

// guest is the plugin as one wasm instance would hold it: in a native test
// binary the sdk's registered handlers and the plugin's globals exist once
// per process, so the calls of every Host go through it one at a time.
// active is the Host whose settings the plugin's OnInit saw last; a call
// from another Host runs OnInit again with that Host's settings first, as
// the relay starts a new instance of a plugin at any time. This is what
// lets tests with their own Host run with t.Parallel: no Host sees
// another's config, state, files or logs.
var guest struct {
	mu     sync.Mutex
	active *Host
}

// enter takes the guest for one call from h and makes h its host. If the
// plugin last ran OnInit for another Host, it runs it again for h
// (quietly: its logs are dropped, as they were kept the first time).
func (h *Host) enter() error {
	guest.mu.Lock()
	imports.SetHost(h)
	if !h.init || guest.active == h {
		return nil
	}
	guest.active = h
	h.quiet = true
	h.reset(callInput{})
	rc := imports.Guest.Init()
	h.quiet = false
	if rc < 0 {
		return errInit(h.out)
	}
	return nil
}

// leave releases the guest after a call.
func (h *Host) leave() { guest.mu.Unlock() }

// Call runs fn as plugin code with h as its host, for SDK functions called
// outside a handler (sdk.KVGet to check a handler's state, config.Decode
// in a helper). Unlike calling them directly after New, which reaches the
// Host New made last, Call is safe in parallel tests.
func (h *Host) Call(fn func()) {
	if err := h.enter(); err != nil {
		h.leave()
		panic("sdktest: Call: OnInit failed again: " + err.Error())
	}
	defer h.leave()
	fn()
}
