// Command wot is a relayd policy plugin: a web of trust. It accepts
// writes (and, optionally, reads) only from pubkeys within a number of
// hops of the owners' follow lists (kind 3), and acts on the kind-1984
// reports of trusted moderators: a report of an event hides it, a report
// of a person removes them.
//
// The trust set is computed on the relay's tick (sdk.OnTick) from the
// store (sdk.StoreQuery) and kept in the plugin's durable state (sdk/db),
// where every hook instance reads it with one lookup per message and where
// a restart finds it: the gates stay as they were until the first tick
// after the restart has recomputed them.
package main

import (
	"errors"
	"strconv"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/config"
	"github.com/relayd/relayd/sdk/db"
)

// pol is this instance's checked config, set by setup.
var pol *rules

// Refusals.
const (
	msgOutsider = "not in this relay's web of trust"
	msgRemoved  = "removed by this relay's moderators"
	msgAuth     = "this relay serves its web of trust: authenticate first"
)

func init() {
	sdk.OnInit(setup)
	sdk.OnLimitation(limitation)
	sdk.OnTick(tick)
}

func main() {}

// setup reads the config, checks the durable state's limits, and asks for
// the hooks the config needs.
func setup() error {
	var c Config
	if err := config.DecodeStrict(&c); err != nil {
		return errors.New("config: " + err.Error())
	}
	p, err := compile(c)
	if err != nil {
		return err
	}
	if db.Available() {
		u, err := db.GetUsage()
		if err != nil {
			return err
		}
		if need := int64(p.maxKeys + 2*p.maxReports + 16); u.MaxKeys < need {
			return errors.New("db_max_keys " + strconv.FormatInt(u.MaxKeys, 10) + " is less than max_keys + 2 × max_reports + 16 = " +
				strconv.FormatInt(need, 10) + ": raise db_max_keys in wot.toml (or lower max_keys)")
		}
	} else {
		sdk.Log(sdk.LevelWarn, "wot: the relay keeps no durable state for plugins: only the owners and moderators can write")
	}
	pol = p
	stored = nil // a new config (or another host in a native test): read the set again
	sdk.OnEvent(onEvent)
	if len(p.moderators) > 0 {
		sdk.OnDeliver(onDeliver)
	} else {
		sdk.OnDeliver(nil)
	}
	if p.reads {
		sdk.OnReq(onRead)
		sdk.OnCount(onRead)
	} else {
		sdk.OnReq(nil)
		sdk.OnCount(nil)
	}
	return nil
}

// limitation says writes are restricted, and reads too when gated.
func limitation() map[string]any {
	if pol == nil {
		return nil
	}
	m := map[string]any{"restricted_writes": true}
	if pol.reads {
		m["auth_required"] = true
	}
	return m
}

// has reports whether the durable state has prefix+key; a failed lookup
// counts as absent (the gate stays closed).
func has(prefix, key string) bool {
	ok, err := db.Has(prefix + key)
	return ok && err == nil
}

// onEvent lets in the events of trusted authors, from clients; imports
// and syncs are the operator's. A moderator's report takes effect at once.
func onEvent(e sdk.Event) sdk.Verdict {
	if e.Source() != sdk.SourceIP4 && e.Source() != sdk.SourceIP6 {
		return sdk.Accept()
	}
	pk := e.Pubkey()
	if pol.trusted[pk] {
		if e.Kind() == 1984 && pol.isMod[pk] {
			applyNow(e)
		}
		return sdk.Accept()
	}
	if has(keyTrusted, pk) {
		return sdk.Accept()
	}
	if has(keyRemoved, pk) {
		return sdk.Reject(sdk.Blocked, msgRemoved)
	}
	return sdk.Reject(sdk.Blocked, msgOutsider)
}

// applyNow applies a moderator's report as it arrives, before the next
// tick reads it from the store (which also undoes it if the report was
// not stored, or was deleted since).
func applyNow(e sdk.Event) {
	raw, err := e.GetRaw()
	if err != nil {
		return
	}
	applyReport(raw, pol, func(id string) { _ = db.Put(keyHidden+id, []byte{0}) }, func(pk string) {
		_ = db.Put(keyRemoved+pk, []byte{0})
		_, _ = db.Delete(keyTrusted + pk)
	})
}

// onDeliver drops reported events and the events of removed authors, live
// and in REQ results.
func onDeliver(e sdk.Event) sdk.Verdict {
	if has(keyHidden, e.ID()) || has(keyRemoved, e.Pubkey()) {
		return sdk.Reject(sdk.Blocked, msgRemoved)
	}
	return sdk.Accept()
}

// onRead lets trusted, authenticated sessions read.
func onRead(r sdk.Req) sdk.Verdict {
	s := r.Session()
	if s.Source() != sdk.SourceIP4 && s.Source() != sdk.SourceIP6 {
		return sdk.Accept()
	}
	pk := s.Authed()
	switch {
	case pk == "":
		return sdk.Reject(sdk.AuthRequired, msgAuth)
	case pol.trusted[pk], has(keyTrusted, pk):
		return sdk.Accept()
	}
	return sdk.Reject(sdk.Restricted, msgOutsider)
}
