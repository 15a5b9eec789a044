// Command lists is a relayd policy plugin: allow and deny lists of
// pubkeys, client addresses and kinds. A deny list always wins; an allow
// list, when not empty, lets in only what it names.
//
// The lists live in the [config] table of lists.toml and in list files
// beside it (one entry per line) that lists.toml names; the relay reloads
// the plugin when any of them changes, so an edit takes effect within a
// moment, without a restart. The NIP-86 management methods (banpubkey,
// allowkind, blockip…) add runtime entries, kept in the plugin's durable
// state (runtime.go, manage.go), and kind 1984 reports feed
// listeventsneedingmoderation (reports.go).
package main

import (
	"errors"
	"net/netip"
	"strconv"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/config"
	"github.com/relayd/relayd/sdk/db"
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
	// With durable state, a management method may fill any list at any
	// time, so every hook is needed (RATIONALE.md, "Why does lists keep
	// its runtime entries apart from its files, and run every hook when
	// the relay keeps plugin state?").
	rt = runtime{on: db.Available()}
	dyn := rt.on
	ips := dyn || !l.ipAllow.empty() || !l.ipDeny.empty()
	pre := ips || len(l.kindAllow) > 0 || len(l.kindDeny) > 0 || len(l.pkDeny) > 0
	sdk.OnConnect(when(ips, onConnect))
	sdk.OnReq(when(ips, onReq))
	sdk.OnCount(when(ips, onReq))
	sdk.OnEventPre(when(pre, onEventPre))
	sdk.OnEvent(when(dyn || len(l.pkAllow) > 0, onEvent))
	sdk.OnAuth(when(dyn || len(l.pkDeny) > 0, onAuth))
	registerMethods(rt.on && (c.Manage == nil || *c.Manage))
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
	if k := e.Kind(); ls.kindDeny.Has(k) || kindAllowOn() && !kindAllowed(k) {
		return sdk.Reject(sdk.Blocked, "kind "+strconv.Itoa(k)+" is not accepted here")
	}
	if (len(ls.pkDeny) > 0 || len(rt.ban) > 0) && pubkeyDenied(e.Pubkey()) {
		return sdk.Reject(sdk.Blocked, "this pubkey is blocked")
	}
	return sdk.Accept()
}

// onEvent applies the allow list of authors once the signature is known
// to be good, and records the reports (kind 1984) it lets through.
func onEvent(e sdk.Event) sdk.Verdict {
	rt.refresh()
	if pubkeyDenied(e.Pubkey()) { // a ban made since event_pre
		return sdk.Reject(sdk.Blocked, "this pubkey is blocked")
	}
	if (len(ls.pkAllow) > 0 || len(rt.allow) > 0) && !pubkeyAllowed(e.Pubkey()) {
		return sdk.Reject(sdk.Restricted, "this relay only accepts events from allowed pubkeys")
	}
	if e.Kind() == kindReport && rt.on {
		recordReport(e)
	}
	return sdk.Accept()
}

// onAuth refuses a NIP-42 AUTH as a denied pubkey.
func onAuth(e sdk.Event) sdk.Verdict {
	rt.refresh()
	if pubkeyDenied(e.Pubkey()) {
		return sdk.Reject(sdk.Blocked, "this pubkey is blocked")
	}
	return sdk.Accept()
}

// pubkeyDenied: configured or banned at run time.
func pubkeyDenied(pk string) bool {
	if ls.pkDeny[pk] {
		return true
	}
	_, ok := rt.ban[pk]
	return ok
}

// pubkeyAllowed: configured or allowed at run time.
func pubkeyAllowed(pk string) bool {
	if ls.pkAllow[pk] {
		return true
	}
	_, ok := rt.allow[pk]
	return ok
}

// kindAllowOn reports whether an allow list of kinds is in force.
func kindAllowOn() bool { return len(ls.kindAllow) > 0 || len(rt.kinds) > 0 }

func kindAllowed(k int) bool { return ls.kindAllow.Has(k) || rt.kinds[k] }

// checkIP is the verdict of ipRefusal.
func checkIP(s sdk.Session) sdk.Verdict {
	v, _ := ipRefusal(s)
	return v
}

// ipRefusal applies the address lists; calls without a client address
// (imports) pass.
func ipRefusal(s sdk.Session) (sdk.Verdict, bool) {
	rt.refresh()
	if ls.ipAllow.empty() && ls.ipDeny.empty() && rt.ips.empty() {
		return sdk.Accept(), false
	}
	a, err := netip.ParseAddr(s.IP())
	if err != nil {
		return sdk.Accept(), false
	}
	a = a.Unmap()
	if ls.ipDeny.has(a) || rt.ips.has(a) {
		return sdk.Reject(sdk.Blocked, "your address is blocked"), true
	}
	if !ls.ipAllow.empty() && !ls.ipAllow.has(a) {
		return sdk.Reject(sdk.Restricted, "this relay only accepts clients from allowed addresses"), true
	}
	return sdk.Accept(), false
}
