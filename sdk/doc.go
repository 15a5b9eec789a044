// Package sdk is the Go SDK for relayd policy plugins: write a policy as
// plain Go functions, build it to WebAssembly, drop it in the relay's plugin
// directory.
//
// A plugin is a main package that registers handlers in init:
//
//	package main
//
//	import "github.com/relayd/relayd/sdk"
//
//	func init() {
//		sdk.OnEvent(func(e sdk.Event) sdk.Verdict {
//			if e.Kind() == 4 {
//				return sdk.Reject(sdk.Blocked, "no DMs")
//			}
//			return sdk.Accept()
//		})
//	}
//
//	func main() {}
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o name.wasm .
//
// and test it natively with package sdk/sdktest.
//
// # What a handler sees
//
// Fixed fields (kind, created_at, content length, tag count, session id,
// source, authed flag) arrive with the call and cost nothing to read. The
// rest (id, pubkey, content, tags, the raw JSON, the session IP, headers,
// the plugin config) is fetched from the host when a method is called,
// about 50 ns each. Nothing is parsed as JSON unless you ask for JSON.
//
// # Views
//
// Event, Session and Req are views of one handler call. Their fixed
// fields are values and stay readable, but everything else is read from
// the host's input for the call in progress, so it is valid only during
// the handler call that received the view. A view kept in a global and
// read in a later call would read that call's input; instead the SDK
// stamps each view with its call: after the call its accessors panic (the
// relay discards the instance and counts a plugin error; sdktest fails the
// test) and their Get forms return ErrExpired. Copy what you need to keep:
// strings and byte slices the accessors return are yours.
//
// # Errors
//
// The plain accessors (Content, IP, Header, Config, File...) give the zero
// value when the host reports an error, which is what a policy usually
// wants. Each has a Get form (GetContent, GetIP, GetHeader, GetConfig,
// GetFile...) that returns the host's error as well, to tell a missing
// header (ErrNotFound) from an empty one, or a field the hook does not
// have from an empty value.
//
// # State
//
// The relay runs several instances of a plugin at once and may replace an
// instance at any time, so Go globals are per instance and short-lived.
// Anything shared (counters, rate limits, caches) belongs in the host's
// shared state: CounterAdd, Take, KVGet and friends. It is shared by every
// instance of the plugin and survives reloads, but not a restart of the
// relay. What must survive restarts (bans, first-seen times) belongs in the
// plugin's durable state, package sdk/db, which the relay keeps in its
// store.
//
// # Files
//
// A plugin has no file system. It reads the files its operator lists in the
// plugin's settings (files = ["banned.txt"] in NAME.toml) with File. The
// relay reads them when it loads the plugin and reloads the plugin when one
// changes, so parse them once, in OnInit.
//
// # Management methods
//
// A plugin can serve methods of the relay's NIP-86 management API
// (banpubkey, allowkind, or names of its own) with OnManage: the handler
// gets the call's Params and returns a JSON result or an error, which the
// API answers with. The relay answers only once the handler's sdk/db
// writes are committed, so keep what a method changes there. Test with
// sdktest.Host.Manage.
//
// # Helper packages
//
// Packages beside sdk do what several plugins need, with nothing outside
// the standard library; a plugin pays only for those it imports:
//
//   - sdk/config decodes the [config] table into a struct, strictly if you
//     like (encoding/json, about 1 MB of wasm).
//   - sdk/db is the plugin's durable state: keys, values and sets of keys
//     that survive restarts.
//   - sdk/filter reads and rewrites REQ and COUNT filters without
//     encoding/json: raw members, or NIP-01 fields (Req.Filters).
//   - sdk/kinds reads kinds and "lo-hi" kind ranges, and per-kind
//     overrides.
//   - sdk/nip19 reads pubkeys written as hex or as an npub.
//   - sdk/sdktest runs a plugin natively for its tests.
//
// # Notes
//
//   - Register handlers in init (or package variable initialisers); main is
//     not called in a c-shared build.
//   - A handler runs under the plugin's deadline (timeout_ms). A panic, a
//     timeout or runaway memory discards the instance and counts as a plugin
//     error, which the relay answers with the plugin's on_error setting.
//   - The SDK yields to the Go scheduler every few calls so the garbage
//     collector keeps the heap small; handlers need not do it.
//   - Strings and byte slices returned by accessors are fresh copies, safe
//     to keep; the views that return them are not (see Views).
package sdk
