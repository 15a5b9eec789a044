// Command lists is a relayd policy plugin: allow and deny lists of
// pubkeys, client addresses and kinds. A deny list always wins; an allow
// list, when not empty, lets in only what it names.
//
// The lists live in the [config] table of lists.toml and in list files
// beside it (one entry per line) that lists.toml names; the relay reloads
// the plugin when any of them changes, so an edit takes effect within a
// moment, without a restart.
package main

import (
	"errors"
	"net/netip"
	"strconv"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/config"
)

// ls is this instance's checked config, set by setup.
var ls *lists

func init() {
	sdk.OnInit(setup)
	sdk.OnLimitation(limitation)
}

func main() {}

// setup reads the config and registers handlers only for the hooks the
// configured lists need: with every list empty the plugin costs nothing.
func setup() error {
	var c Config
	if err := config.DecodeStrict(&c); err != nil { // a typo refuses the load
		return errors.New("config: " + err.Error())
	}
	l, err := compile(c)
	if err != nil {
		return err
	}
	ls = l
	ips := !l.ipAllow.empty() || !l.ipDeny.empty()
	pre := ips || len(l.kindAllow) > 0 || len(l.kindDeny) > 0 || len(l.pkDeny) > 0
	sdk.OnConnect(when(ips, onConnect))
	sdk.OnReq(when(ips, onReq))
	sdk.OnCount(when(ips, onReq))
	sdk.OnEventPre(when(pre, onEventPre))
	sdk.OnEvent(when(len(l.pkAllow) > 0, onEvent))
	sdk.OnAuth(when(len(l.pkDeny) > 0, onAuth))
	return nil
}

// when returns fn if on, else nil (no handler).
func when[F any](on bool, fn F) F {
	if on {
		return fn
	}
	var none F
	return none
}

// limitation reports restricted_writes when an allow list limits who may
// publish.
func limitation() map[string]any {
	if ls != nil && (len(ls.pkAllow) > 0 || !ls.ipAllow.empty()) {
		return map[string]any{"restricted_writes": true}
	}
	return nil
}

// onConnect refuses listed addresses before the websocket upgrade (HTTP
// 403).
func onConnect(s sdk.Session) sdk.Verdict { return checkIP(s) }

// onReq checks the address again for sessions opened before the lists
// changed.
func onReq(r sdk.Req) sdk.Verdict { return checkIP(r.Session()) }

// onEventPre applies the checks that need no signature: the address, the
// kind, and the deny list of authors (refusing a forged claim to be a
// denied author is harmless).
func onEventPre(e sdk.Event) sdk.Verdict {
	if v, refused := ipRefusal(e.Session()); refused {
		return v
	}
	if k := e.Kind(); ls.kindDeny.Has(k) || len(ls.kindAllow) > 0 && !ls.kindAllow.Has(k) {
		return sdk.Reject(sdk.Blocked, "kind "+strconv.Itoa(k)+" is not accepted here")
	}
	if len(ls.pkDeny) > 0 && ls.pkDeny[e.Pubkey()] {
		return sdk.Reject(sdk.Blocked, "this pubkey is blocked")
	}
	return sdk.Accept()
}

// onEvent applies the allow list of authors once the signature is known
// to be good.
func onEvent(e sdk.Event) sdk.Verdict {
	if !ls.pkAllow[e.Pubkey()] {
		return sdk.Reject(sdk.Restricted, "this relay only accepts events from allowed pubkeys")
	}
	return sdk.Accept()
}

// onAuth refuses a NIP-42 AUTH as a denied pubkey.
func onAuth(e sdk.Event) sdk.Verdict {
	if ls.pkDeny[e.Pubkey()] {
		return sdk.Reject(sdk.Blocked, "this pubkey is blocked")
	}
	return sdk.Accept()
}

// checkIP is the verdict of ipRefusal.
func checkIP(s sdk.Session) sdk.Verdict {
	v, _ := ipRefusal(s)
	return v
}

// ipRefusal applies the address lists; calls without a client address
// (imports) pass.
func ipRefusal(s sdk.Session) (sdk.Verdict, bool) {
	if ls.ipAllow.empty() && ls.ipDeny.empty() {
		return sdk.Accept(), false
	}
	a, err := netip.ParseAddr(s.IP())
	if err != nil {
		return sdk.Accept(), false
	}
	a = a.Unmap()
	if ls.ipDeny.has(a) {
		return sdk.Reject(sdk.Blocked, "your address is blocked"), true
	}
	if !ls.ipAllow.empty() && !ls.ipAllow.has(a) {
		return sdk.Reject(sdk.Restricted, "this relay only accepts clients from allowed addresses"), true
	}
	return sdk.Accept(), false
}
