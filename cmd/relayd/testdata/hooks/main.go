// Command hooks is a test plugin for `relayd plugin test` and `relayd
// plugin bench`: every hook gives a verdict that depends on the input the
// fixture format carries for it (IP, headers, filters, subscription id,
// auth state, the receiving session, shared state left by close).
package main

import (
	"bytes"
	"strconv"
	"strings"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/filter"
)

// banned is the pubkey the auth hook refuses.
var banned = strings.Repeat("b", 64)

func init() {
	sdk.OnConnect(func(s sdk.Session) sdk.Verdict {
		switch {
		case s.IP() == "203.0.113.66":
			return sdk.Reject(sdk.Blocked, "banned network")
		case s.Header("origin") == "https://evil.example":
			return sdk.Reject(sdk.Restricted, "origin "+s.Header("origin"))
		case s.IP() == "198.51.100.9":
			n, _ := sdk.CounterGet("closes")
			return sdk.Reject(sdk.RateLimit, "seen "+strconv.FormatInt(n, 10)+" closes")
		}
		return sdk.Accept()
	})
	sdk.OnEvent(func(e sdk.Event) sdk.Verdict {
		switch {
		case strings.Contains(e.Content(), "spam"):
			return sdk.Reject(sdk.Blocked, "spam")
		case e.Kind() == 7:
			return sdk.ShadowReject()
		case e.Content() == "slow":
			return sdk.RateLimited("slow down")
		}
		return sdk.Accept()
	})
	sdk.OnReq(func(r sdk.Req) sdk.Verdict {
		if !r.Session().IsAuthed() {
			return sdk.Reject(sdk.AuthRequired, "REQ needs AUTH")
		}
		if r.SubID() != "big" {
			return sdk.Accept()
		}
		fs, err := filter.Parse(r.FiltersJSON())
		if err != nil {
			return sdk.Reject(sdk.Invalid, "bad filters")
		}
		for i, f := range fs {
			fs[i] = f.Set("limit", []byte("10"))
		}
		return sdk.RewriteFilters(filter.Append(nil, fs))
	})
	sdk.OnCount(func(r sdk.Req) sdk.Verdict {
		if r.SubID() == "nope" {
			return sdk.Reject(sdk.Restricted, "count "+r.SubID()+" not allowed, "+strconv.Itoa(r.FilterCount())+" filters")
		}
		return sdk.Accept()
	})
	sdk.OnAuth(func(e sdk.Event) sdk.Verdict {
		if e.Pubkey() == banned {
			return sdk.Reject(sdk.Blocked, "banned key")
		}
		return sdk.Accept()
	})
	sdk.OnDeliver(func(e sdk.Event) sdk.Verdict {
		if e.Kind() == 4 {
			to, _ := e.TagValue("p")
			if e.Session().Authed() != to {
				return sdk.Reject(sdk.Blocked, "not for "+e.SubID())
			}
			return sdk.Accept()
		}
		if strings.Contains(e.Content(), "secret") {
			return sdk.RewriteEvent(bytes.ReplaceAll(e.Raw(), []byte("secret"), []byte("[redacted]")))
		}
		return sdk.Accept()
	})
	sdk.OnClose(func(sdk.Session) { sdk.CounterAdd("closes", 1, 0) })
}

func main() {}
