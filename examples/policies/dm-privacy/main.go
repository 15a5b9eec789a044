// Command dm-privacy is a relayd policy that serves direct messages (kind
// 4, NIP-04, and kind 1059 gift wraps, NIP-17/59) only to sessions
// authenticated (NIP-42) as their author or as a recipient tagged with
// "p".
//
// The deliver hook does the work: it runs for every event about to be
// sent to a session, live or from the store, and drops the DMs that
// session may not see. The REQ and COUNT hooks only make the answer
// explicit: a request for DM kinds from a session that has not
// authenticated gets CLOSED "auth-required:", which tells the client to
// AUTH and ask again.
package main

import (
	"encoding/json"
	"slices"

	"github.com/relayd/relayd/sdk"
)

// dmKinds are the kinds this policy protects.
var dmKinds = []int{4, 1059}

func init() {
	sdk.OnDeliver(deliver)
	sdk.OnReq(func(r sdk.Req) sdk.Verdict { return request(r, false) })
	sdk.OnCount(func(r sdk.Req) sdk.Verdict { return request(r, true) })
}

// deliver drops a DM unless the session is its author or a recipient.
// Kind and the authed flag cost nothing; pubkey and tags are fetched only
// for DMs to an authenticated session.
func deliver(e sdk.Event) sdk.Verdict {
	if !slices.Contains(dmKinds, e.Kind()) {
		return sdk.Accept()
	}
	me := e.Session().Authed()
	if me != "" && (e.Pubkey() == me || tagged(e, me)) {
		return sdk.Accept()
	}
	return sdk.Reject(sdk.Restricted, "not a party to this DM")
}

// tagged reports whether pubkey is in one of e's "p" tags.
func tagged(e sdk.Event, pubkey string) bool {
	for i := range e.TagCount() {
		if t := e.Tag(i); len(t) >= 2 && t[0] == "p" && t[1] == pubkey {
			return true
		}
	}
	return false
}

// filter is the part of a NIP-01 filter this policy looks at.
type filter struct {
	Kinds   []int    `json:"kinds"`
	Authors []string `json:"authors"`
	P       []string `json:"#p"`
}

// request answers REQs and COUNTs that ask for DM kinds by name. A
// session that has not authenticated is told to; an authenticated one may
// REQ (deliver filters what it gets) but may COUNT only its own DMs, since
// a count is not filtered by the deliver hook.
func request(r sdk.Req, count bool) sdk.Verdict {
	var filters []filter
	if err := json.Unmarshal(r.FiltersJSON(), &filters); err != nil {
		return sdk.Reject(sdk.Invalid, "filters do not parse")
	}
	me := r.Session().Authed()
	for _, f := range filters {
		if !slices.ContainsFunc(f.Kinds, func(k int) bool { return slices.Contains(dmKinds, k) }) {
			continue
		}
		if me == "" {
			return sdk.Reject(sdk.AuthRequired, "DMs are only served to their author and recipients; authenticate first")
		}
		if count && !slices.Equal(f.Authors, []string{me}) && !slices.Equal(f.P, []string{me}) {
			return sdk.Reject(sdk.Restricted, `count DMs with "authors" or "#p" set to your own key only`)
		}
	}
	return sdk.Accept()
}

func main() {}
