// Package sdktest runs a policy written with package sdk natively, without
// WebAssembly, so plugin authors can unit-test it with go test.
//
// It plays the host: it supplies the plugin's settings, a clock, sessions,
// fixture events, an in-memory shared state and a durable state (DB) with
// the same semantics as the relay's, then calls the registered handlers and
// returns their verdicts. The durable state passes the same conformance
// suite as the relay's (internal/testing/dbtest, run from the relay's module).
//
//	func TestNoDMs(t *testing.T) {
//		t.Parallel()
//		h := sdktest.New(sdktest.Options{Settings: "[config]\nblocked_kinds = [4]\n"})
//		if err := h.Init(); err != nil {
//			t.Fatal(err)
//		}
//		got := h.Event(sdktest.Session{ID: 1, IP: "203.0.113.7"}, sdktest.Event{Kind: 4})
//		if got.Action != abi.ActionReject { ... }
//	}
//
// # Settings
//
// Options.Settings (or SettingsFile) takes the plugin's NAME.toml as the
// operator writes it, and Init reads it as the relay does: unknown keys
// and wrong types are refused, the [config] table reaches the plugin as
// the same JSON, listed files are read beside it, and "hooks" and "kinds"
// leave out the calls the relay would not make. ParseSettings is the
// reader; a test in the relay's tree holds it to the relay's.
//
// # Stored events and ticks
//
// Options.Events (and Host.AddEvents) is a fake store of fixture events
// that sdk.StoreQuery reads, matched and ordered as the relay's store
// does and bounded by the settings' query_max_events and query_max_bytes.
// Host.Tick runs the OnTick handler; the next hook call then runs OnInit
// again, since the relay ticks on an instance of its own.
//
// # Parallel tests
//
// A test binary holds one copy of the plugin, as a wasm instance does: the
// sdk's registered handlers and the plugin's globals exist once. Each
// Host is independent all the same: its calls take the plugin in turn,
// and when the plugin last ran OnInit for another Host, it runs OnInit
// again with this Host's settings first, as the relay starts new
// instances at any time. So tests with their own Host can call
// t.Parallel, provided OnInit sets every global the handlers read (rather
// than, say, appending to one). Shared state, logs, files and the clock
// belong to each Host.
//
// # Notes
//
//   - Handlers must be registered before the Host's first call (in the
//     plugin's init, or in the test before calling New).
//   - SDK functions called outside a handler reach the Host that New made
//     last; in parallel tests, call them inside Host.Call.
//   - sdktest is native only: it is empty under GOOS=wasip1.
package sdktest
