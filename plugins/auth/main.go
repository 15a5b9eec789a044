// Command auth is a relayd policy plugin for NIP-42 gating: it requires
// AUTH to publish (everything or some kinds) or to read some kinds, keeps
// direct messages and gift wraps between their author and their p-tagged
// recipients, and can restrict publishing to an allowlist of pubkeys.
//
// Build it with
//
//	GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o auth.wasm .
//
// README.md describes the config.
package main

import (
	"bytes"
	"strconv"

	"github.com/relayd/relayd/sdk"
)

// cfg is this instance's settings, set by OnInit.
var cfg *settings

func init() {
	sdk.OnInit(setup)
	sdk.OnLimitation(limitation)
}

func main() {}

// setup reads the config and registers only the hooks it needs, so an
// unused hook costs nothing in the relay.
func setup() error {
	c, err := loadSettings()
	if err != nil {
		return err
	}
	cfg = c
	register(c.gatesPublish(), sdk.OnEventPre, onEventPre)
	register(c.gatesRead(), sdk.OnReq, onFilters)
	register(c.gatesRead(), sdk.OnCount, onFilters)
	if c.gatesRead() && !c.ReadAuth {
		// onFilters accepts every REQ and COUNT whose filters name none of
		// the gated kinds: the relay need not call it for them.
		if err := sdk.FilterKinds(append(append([]int(nil), c.DMKinds...), c.ReadAuthKinds...)...); err != nil {
			return err
		}
	}
	register(!c.dm.empty(), sdk.OnDeliver, onDeliver)
	if !c.dm.empty() {
		// onDeliver accepts every other kind: the relay need not call it
		// (nor decode a stored event for it) for them.
		if err := sdk.DeliverKinds(c.DMKinds...); err != nil {
			return err
		}
	}
	if sdk.LogEnabled(sdk.LevelInfo) {
		sdk.Log(sdk.LevelInfo, "auth: "+c.summary())
	}
	return nil
}

// register sets or clears one handler.
func register[T any](on bool, set func(func(T) sdk.Verdict), fn func(T) sdk.Verdict) {
	if on {
		set(fn)
	} else {
		set(nil)
	}
}

// limitation reports the NIP-11 keys the config makes true.
func limitation() map[string]any {
	m := map[string]any{}
	if cfg == nil {
		return m
	}
	if cfg.PublishAuth || cfg.ReadAuth {
		m["auth_required"] = true
	}
	if len(cfg.AllowPubkeys) > 0 {
		m["restricted_writes"] = true
	}
	return m
}

// fromClient reports whether an event came from a client connection
// rather than an import, stream or sync.
func fromClient(e sdk.Event) bool {
	src := e.Source()
	return src == sdk.SourceIP4 || src == sdk.SourceIP6
}

// onEventPre gates publishing. It needs neither the signature nor the
// content, so it runs before the relay spends time verifying; a forged
// event claiming an allowed pubkey still fails the signature check after.
func onEventPre(e sdk.Event) sdk.Verdict {
	if fromClient(e) && !e.Session().IsAuthed() {
		if cfg.PublishAuth {
			return reject(sdk.AuthRequired, "publishing requires authentication")
		}
		if cfg.publish.has(e.Kind()) {
			return reject(sdk.AuthRequired, "publishing kind "+strconv.Itoa(e.Kind())+" requires authentication")
		}
	}
	if cfg.allow == nil {
		return sdk.Accept()
	}
	if cfg.allow[e.Pubkey()] {
		return sdk.Accept()
	}
	if cfg.AllowAuthed && fromClient(e) && cfg.allow[e.Session().Authed()] {
		return sdk.Accept()
	}
	return reject(sdk.Restricted, cfg.RestrictedMessage)
}

// onDeliver drops a protected event (a DM or gift wrap) unless the
// receiving session is authenticated as its author or a p-tagged
// recipient. The relay calls it for stored and live events alike.
func onDeliver(e sdk.Event) sdk.Verdict {
	if !cfg.dm.has(e.Kind()) {
		return sdk.Accept()
	}
	me := e.Session().Authed()
	if me != "" && (e.Pubkey() == me || tagged(e, me)) {
		return sdk.Accept()
	}
	return sdk.Reject(sdk.Restricted, "")
}

// tagged reports whether e has a ["p", pubkey, ...] tag. It scans the
// tags' JSON, one host call, rather than fetching tag by tag: a tag
// element cannot contain an unescaped quote, so the match is exact.
func tagged(e sdk.Event, pubkey string) bool {
	if e.TagCount() == 0 {
		return false
	}
	return bytes.Contains(e.TagsJSON(), []byte(`["p","`+pubkey+`"`))
}

// reject refuses and logs the refusal at debug level.
func reject(p sdk.Prefix, msg string) sdk.Verdict {
	if sdk.LogEnabled(sdk.LevelDebug) {
		sdk.Log(sdk.LevelDebug, "auth: refused: "+msg)
	}
	return sdk.Reject(p, msg)
}
