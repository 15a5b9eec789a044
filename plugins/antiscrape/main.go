// Command antiscrape is a relayd policy plugin that keeps REQ and COUNT
// filters from dumping the relay: empty filters, kind-only filters on busy
// kinds, unselective filters on sensitive kinds, huge limits, too many
// filters and since far in the past. Each rule rejects ("blocked:") or
// clamps the filter's limit.
//
// README.md describes the config.
package main

import (
	"strconv"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/filter"
)

// cfg is this instance's settings, set by OnInit.
var cfg *settings

func init() {
	sdk.OnInit(setup)
	sdk.OnReq(func(r sdk.Req) sdk.Verdict { return check(r, false) })
	sdk.OnCount(func(r sdk.Req) sdk.Verdict { return check(r, true) })
}

func main() {}

func setup() error {
	c, err := loadSettings()
	if err != nil {
		return err
	}
	cfg = c
	if sdk.LogEnabled(sdk.LevelInfo) {
		sdk.Log(sdk.LevelInfo, "antiscrape: "+c.summary())
	}
	return nil
}

// check applies the rules to a REQ or COUNT. A COUNT returns no events,
// so clamping its limit would change nothing: for COUNT only the reject
// rules apply.
func check(r sdk.Req, count bool) sdk.Verdict {
	if len(cfg.exempt) > 0 && r.Session().IsAuthed() && cfg.exempt[r.Session().Authed()] {
		return sdk.Accept()
	}
	fs, err := filter.Parse(r.FiltersJSON())
	if err != nil {
		return sdk.Reject(sdk.Invalid, "bad filters")
	}
	changed := false
	if n := len(fs); n > cfg.Filters.Max && cfg.Filters.Action != actOff {
		if cfg.Filters.Action == actReject {
			return reject(itoa(n) + " filters, at most " + itoa(cfg.Filters.Max))
		}
		if !count {
			fs, changed = fs[:cfg.Filters.Max], true
		}
	}
	var now clock
	for i := range fs {
		limit, msg := judge(fs[i], &now)
		if msg != "" {
			return reject(msg)
		}
		if limit > 0 && !count {
			fs[i] = fs[i].Set("limit", strconv.AppendInt(nil, int64(limit), 10))
			changed = true
		}
	}
	if !changed {
		return sdk.Accept()
	}
	b := filter.Append(nil, fs)
	if sdk.LogEnabled(sdk.LevelDebug) {
		sdk.Log(sdk.LevelDebug, "antiscrape: clamped "+string(b))
	}
	return sdk.RewriteFilters(b)
}

// judge runs the per-filter rules on f. It returns the refusal message of
// the first rejecting rule, or the lowest limit the clamping rules want
// (0: leave the filter alone).
func judge(f filter.Filter, now *clock) (limit int, msg string) {
	clamp := func(to int) {
		if cur, ok := limitOf(f); ok && cur <= to {
			return // already within: no rewrite
		}
		if limit == 0 || to < limit {
			limit = to
		}
	}
	apply := func(a action, to int, why string) bool {
		switch a {
		case actReject:
			msg = why
			return true
		case actClamp:
			clamp(to)
		}
		return false
	}
	// A selective filter (ids, authors or tags) meets only the limit
	// rule: its kinds and since are not read.
	if !isSelective(f) {
		kinds := kindsOf(f)
		if kinds == nil && !f.Has("search") {
			if apply(cfg.Empty.Action, cfg.Empty.Limit, "empty filters are not allowed; name kinds, authors, ids or tags") {
				return 0, msg
			}
		}
		if k, ok := anyIn(kinds, cfg.Unselective.set); ok && cfg.Unselective.Action != actOff {
			if apply(cfg.Unselective.Action, cfg.Unselective.Limit, "filters for kind "+itoa(k)+" must name authors, ids or tags") {
				return 0, msg
			}
		}
		if k, ok := anyIn(kinds, cfg.KindOnly.set); ok && !f.Has("search") && cfg.KindOnly.Action != actOff {
			if apply(cfg.KindOnly.Action, cfg.KindOnly.Limit, "kind-only filters for kind "+itoa(k)+" are not allowed; add authors, ids or tags") {
				return 0, msg
			}
		}
		if since, ok := filter.Int(f.Get("since")); ok && since < now.unix()-cfg.OldSince.age && cfg.OldSince.Action != actOff {
			if apply(cfg.OldSince.Action, cfg.OldSince.Limit, "since is more than "+cfg.OldSince.MaxAge+" ago; add authors, ids or tags") {
				return 0, msg
			}
		}
	}
	if l, ok := limitOf(f); ok && l > cfg.Limit.Max && cfg.Limit.Action != actOff {
		if apply(cfg.Limit.Action, cfg.Limit.Max, "limit "+itoa(l)+" is over "+itoa(cfg.Limit.Max)) {
			return 0, msg
		}
	}
	return limit, ""
}

func anyIn(kinds []int, set map[int]bool) (int, bool) {
	for _, k := range kinds {
		if set[k] {
			return k, true
		}
	}
	return 0, false
}

// clock reads the host's time once per call, when a rule needs it.
type clock struct{ t int64 }

func (c *clock) unix() int64 {
	if c.t == 0 {
		c.t = sdk.Now().Unix()
	}
	return c.t
}

func reject(msg string) sdk.Verdict {
	if sdk.LogEnabled(sdk.LevelDebug) {
		sdk.Log(sdk.LevelDebug, "antiscrape: refused: "+msg)
	}
	return sdk.Reject(sdk.Blocked, msg)
}
