// Package sdktest runs a policy written with package sdk natively, without
// WebAssembly, so plugin authors can unit-test it with go test.
//
// It plays the host: it supplies the plugin's config, a clock, sessions,
// fixture events, an in-memory shared state and a durable state (DB) with
// the same semantics as the relay's, then calls the registered handlers and
// returns their verdicts. The durable state passes the same conformance
// suite as the relay's (internal/testing/dbtest).
//
//	func TestNoDMs(t *testing.T) {
//		h := sdktest.New(sdktest.Options{Config: `{"max":3}`})
//		if err := h.Init(); err != nil {
//			t.Fatal(err)
//		}
//		got := h.Event(sdktest.Session{ID: 1, IP: "203.0.113.7"}, sdktest.Event{Kind: 4})
//		if got.Action != abi.ActionReject { ... }
//	}
//
// # Notes
//
//   - The sdk's handlers are process-wide, as in a wasm instance, and so is
//     the Host that New installs: don't run sdktest tests in parallel.
//   - Handlers must be registered before New (in the plugin's init, or in
//     the test before calling New).
//   - sdktest is native only: it is empty under GOOS=wasip1.
package sdktest
