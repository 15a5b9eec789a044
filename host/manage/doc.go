// Package manage serves relayd's NIP-86 relay management API: JSON-RPC
// over HTTP POST at the relay's URL (Content-Type:
// application/nostr+json+rpc), each request authorised by a NIP-98 event
// signed by one of the config's admin_pubkeys.
//
// # Requests and answers
//
// A request is {"method": NAME, "params": [...]}, at most Options.MaxBody
// bytes (64 KiB by default), read within Options.ReadTimeout (10 s). The answer is {"result": ...} or
// {"error": "..."} with HTTP 200; an unknown method or bad params is an
// error answer. A request that is not authorised gets HTTP 401 and
// {"error": "unauthorized"}, whatever check failed: the client learns
// nothing about which (the log says, for the operator).
//
// # Authorisation (NIP-98)
//
// The Authorization header is "Nostr " and the base64 of an event that:
//
//   - is of kind 27235;
//   - has created_at within Options.Window (60 s) of the relay's clock;
//   - has a "u" tag equal to the absolute URL of the request: the relay's
//     relay_url, or else the scheme and host the client used (behind a
//     trusted proxy, its X-Forwarded-Proto and X-Forwarded-Host; see
//     host/relay's proxy.go), and the path. A trailing slash does not
//     matter, ws:// reads as http:// and wss:// as https://, and when the
//     relay cannot know the scheme either is accepted;
//   - has a "method" tag POST and a "payload" tag equal to the lowercase
//     hex sha256 of the request body;
//   - is signed by one of admin_pubkeys, read from the live config at each
//     request, with a valid id and signature;
//   - has not been used before: the signatures of accepted events are
//     remembered until their created_at leaves the window (at most
//     Options.MaxSeen of them; when that many are live, calls are refused
//     until some expire). By signature, not id: the same request signed
//     again within the same second has the same id, and a client signing
//     with fresh randomness (BIP-340's aux_rand, as relayd admin does)
//     must not be refused for it; a replayer, who has only the captured
//     bytes, cannot make another signature (BIP-340 signatures are not
//     malleable).
//
// # Methods
//
// The host serves supportedmethods, banevent, allowevent,
// listbannedevents, changerelayname, changerelaydescription,
// changerelayicon and stats (host.go). Every other method goes to the
// plugin that declares it (Plugins; the lists plugin serves the pubkey,
// kind and IP lists). banpubkey takes an optional third param
// {"purge": true}: once the plugin has accepted the ban, the host deletes
// every stored event of that author and answers {"purged": N}.
//
// The NIP-11 fields the operator changes here are stored in the store's
// host settings and take precedence over relayd.toml from then on, across
// restarts; an empty value clears the override, so relayd.toml's value
// shows again.
package manage
