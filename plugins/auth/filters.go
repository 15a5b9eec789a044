package main

import (
	"bytes"
	"slices"
	"strconv"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/filter"
)

// onFilters gates REQ and COUNT. Reading configured kinds or DM kinds
// needs AUTH; filters asking for DM kinds are then narrowed to the
// session's own messages: one copy with authors=[me] and one with
// #p=[me]. Filters without "kinds" are left alone: the deliver hook drops
// DMs from what they return.
func onFilters(r sdk.Req) sdk.Verdict {
	authed := r.Session().IsAuthed()
	if cfg.ReadAuth && !authed {
		return reject(sdk.AuthRequired, "reading requires authentication")
	}
	raw := r.FiltersJSON()
	if !bytes.Contains(raw, []byte(`"kinds"`)) || noGatedKinds(raw) {
		return sdk.Accept()
	}
	fs, err := filter.Parse(raw)
	if err != nil {
		return sdk.Reject(sdk.Invalid, "bad filters")
	}
	dmAsked := false
	for _, f := range fs {
		kinds, ok := kindsOf(f)
		if !ok {
			return sdk.Reject(sdk.Invalid, "bad kinds")
		}
		for _, k := range kinds {
			switch {
			case cfg.dm.has(k):
				dmAsked = true
				if !authed {
					return reject(sdk.AuthRequired, "reading kind "+strconv.Itoa(k)+" requires authentication")
				}
			case cfg.read.has(k) && !authed:
				return reject(sdk.AuthRequired, "reading kind "+strconv.Itoa(k)+" requires authentication")
			}
		}
	}
	if !dmAsked {
		return sdk.Accept()
	}
	out, changed := narrow(fs, r.Session().Authed())
	if len(out) == 0 {
		return reject(sdk.Restricted, "you may only read your own direct messages")
	}
	if !changed {
		return sdk.Accept()
	}
	return sdk.RewriteFilters(filter.Append(nil, out))
}

// noGatedKinds reports, from a scan of the filters' JSON without parsing
// it, that every "kinds" list holds only kinds this plugin does not gate
// (neither a DM kind nor a read_auth kind), so that onFilters would accept.
// It answers false, and onFilters parses, for anything it does not read
// exactly: a "kinds" key not followed by a list of plain integers, an empty
// list, a number of more than six digits. (A quote inside a JSON string is
// escaped, so `"kinds"` can only be a key.)
func noGatedKinds(raw []byte) bool {
	const key = `"kinds"`
	for {
		i := bytes.Index(raw, []byte(key))
		if i < 0 {
			return true
		}
		raw = raw[i+len(key):]
		if !bytes.HasPrefix(raw, []byte(":[")) {
			return false
		}
		raw = raw[2:]
		for {
			k, j := 0, 0
			for ; j < len(raw) && j < 6 && raw[j] >= '0' && raw[j] <= '9'; j++ {
				k = k*10 + int(raw[j]-'0')
			}
			if j == 0 || j == len(raw) || j > 1 && raw[0] == '0' || cfg.dm.has(k) || cfg.read.has(k) {
				return false
			}
			sep := raw[j]
			raw = raw[j+1:]
			if sep == ']' {
				break
			}
			if sep != ',' {
				return false
			}
		}
	}
}

// narrow rewrites each filter so that DM kinds match only events authored
// by me or p-tagging me. It reports whether anything changed.
func narrow(fs []filter.Filter, me string) (out []filter.Filter, changed bool) {
	mine := []byte(`["` + me + `"]`)
	for _, f := range fs {
		kinds, _ := kindsOf(f)
		var dm, rest []int
		for _, k := range kinds {
			if cfg.dm.has(k) {
				dm = append(dm, k)
			} else {
				rest = append(rest, k)
			}
		}
		if len(dm) == 0 {
			out = append(out, f)
			continue
		}
		if len(rest) > 0 {
			out = append(out, f.Set("kinds", filter.AppendInts(nil, rest)))
			changed = true
		}
		dmf := f.Set("kinds", filter.AppendInts(nil, dm))
		authors, hasAuthors := stringsOf(f, "authors")
		ps, hasP := stringsOf(f, "#p")
		if hasAuthors && len(authors) == 1 && authors[0] == me || hasP && len(ps) == 1 && ps[0] == me {
			// Only my own messages were asked for: already narrow.
			out = append(out, dmf)
			continue
		}
		changed = true
		if !hasAuthors || slices.Contains(authors, me) {
			out = append(out, dmf.Set("authors", mine))
		}
		if !hasP || slices.Contains(ps, me) {
			out = append(out, dmf.Set("#p", mine))
		}
	}
	return out, changed
}

// kindsOf returns the filter's kinds (nil if absent); ok is false if they
// are not a list of integers.
func kindsOf(f filter.Filter) ([]int, bool) {
	raw := f.Get("kinds")
	if raw == nil {
		return nil, true
	}
	return filter.Ints(raw)
}

// stringsOf returns a list-of-strings field and whether it is present; a
// malformed list reads as empty.
func stringsOf(f filter.Filter, key string) ([]string, bool) {
	raw := f.Get(key)
	if raw == nil {
		return nil, false
	}
	ss, _ := filter.Strings(raw)
	return ss, true
}
