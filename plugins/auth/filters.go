package main

import (
	"bytes"
	"encoding/json"
	"slices"
	"strconv"

	"github.com/relayd/relayd/sdk"
)

// filter is one NIP-01 filter with its keys kept as raw JSON, so fields
// this plugin does not know (search, future NIPs) survive a rewrite.
type filter map[string]json.RawMessage

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
	if !bytes.Contains(raw, []byte(`"kinds"`)) {
		return sdk.Accept()
	}
	var fs []filter
	if err := json.Unmarshal(raw, &fs); err != nil {
		return sdk.Reject(sdk.Invalid, "bad filters")
	}
	dmAsked := false
	for _, f := range fs {
		kinds, ok := f.kinds()
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
	b, err := json.Marshal(out)
	if err != nil {
		return sdk.Reject(sdk.ErrorPrefix, "rewriting filters failed")
	}
	return sdk.RewriteFilters(b)
}

// narrow rewrites each filter so that DM kinds match only events authored
// by me or p-tagging me. It reports whether anything changed.
func narrow(fs []filter, me string) (out []filter, changed bool) {
	for _, f := range fs {
		kinds, _ := f.kinds()
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
			out = append(out, f.with("kinds", rest))
			changed = true
		}
		authors, hasAuthors := f.strings("authors")
		ps, hasP := f.strings("#p")
		switch {
		case hasAuthors && len(authors) == 1 && authors[0] == me:
			// Only my own messages were asked for: already narrow.
			out = append(out, f.with("kinds", dm))
			changed = changed || len(rest) > 0
			continue
		case hasP && len(ps) == 1 && ps[0] == me:
			out = append(out, f.with("kinds", dm))
			changed = changed || len(rest) > 0
			continue
		}
		changed = true
		if !hasAuthors || slices.Contains(authors, me) {
			out = append(out, f.with("kinds", dm).with("authors", []string{me}))
		}
		if !hasP || slices.Contains(ps, me) {
			out = append(out, f.with("kinds", dm).with("#p", []string{me}))
		}
	}
	return out, changed
}

// kinds returns the filter's kinds (nil if absent); ok is false if they
// are not a list of integers.
func (f filter) kinds() ([]int, bool) {
	raw, ok := f["kinds"]
	if !ok {
		return nil, true
	}
	var ks []int
	if err := json.Unmarshal(raw, &ks); err != nil {
		return nil, false
	}
	return ks, true
}

// strings returns a list-of-strings field and whether it is present.
func (f filter) strings(key string) ([]string, bool) {
	raw, ok := f[key]
	if !ok {
		return nil, false
	}
	var ss []string
	json.Unmarshal(raw, &ss)
	return ss, true
}

// with returns a copy of f with key set to v.
func (f filter) with(key string, v any) filter {
	g := make(filter, len(f)+1)
	for k, r := range f {
		g[k] = r
	}
	b, _ := json.Marshal(v)
	g[key] = b
	return g
}
