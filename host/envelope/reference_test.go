package envelope_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"regexp"
	"strconv"
	"unicode/utf8"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/envelope"
)

// This file is a slow, obviously-correct reference for Parse, built on
// encoding/json, that the tests and FuzzParse compare Parse with. It applies
// the rules of Parse's doc comment in the same document order.

// jv is a JSON value that keeps object keys in order, duplicates included.
type jv struct {
	kind byte // 's' string, 'n' number, 'b' bool, 'z' null, 'a' array, 'o' object
	s    string
	arr  []jv
	keys []string
	vals []jv
}

// refDecode decodes a valid JSON text into a jv.
func refDecode(msg []byte) (jv, error) {
	d := json.NewDecoder(bytes.NewReader(msg))
	d.UseNumber()
	return refValue(d)
}

func refValue(d *json.Decoder) (jv, error) {
	t, err := d.Token()
	if err != nil {
		return jv{}, err
	}
	switch t := t.(type) {
	case json.Delim:
		if t == '[' {
			v := jv{kind: 'a'}
			for d.More() {
				e, err := refValue(d)
				if err != nil {
					return jv{}, err
				}
				v.arr = append(v.arr, e)
			}
			_, err := d.Token()
			return v, err
		}
		v := jv{kind: 'o'}
		for d.More() {
			k, err := d.Token()
			if err != nil {
				return jv{}, err
			}
			e, err := refValue(d)
			if err != nil {
				return jv{}, err
			}
			v.keys, v.vals = append(v.keys, k.(string)), append(v.vals, e)
		}
		_, err := d.Token()
		return v, err
	case string:
		return jv{kind: 's', s: t}, nil
	case json.Number:
		return jv{kind: 'n', s: string(t)}, nil
	case bool:
		return jv{kind: 'b'}, nil
	default:
		return jv{kind: 'z'}, nil
	}
}

// refDepth returns the deepest nesting of arrays and objects in a valid
// JSON text.
func refDepth(msg []byte) int {
	depth, maxDepth, inStr := 0, 0, false
	for i := 0; i < len(msg); i++ {
		c := msg[i]
		switch {
		case inStr && c == '\\':
			i++
		case c == '"':
			inStr = !inStr
		case inStr:
		case c == '[' || c == '{':
			depth++
			maxDepth = max(maxDepth, depth)
		case c == ']' || c == '}':
			depth--
		}
	}
	return maxDepth
}

var intRE = regexp.MustCompile(`^-?(0|[1-9][0-9]*)$`)

// refInt returns v as an integer within [lo, hi].
func refInt(v jv, lo, hi int64) (int64, bool) {
	if v.kind != 'n' || !intRE.MatchString(v.s) {
		return 0, false
	}
	n, err := strconv.ParseInt(v.s, 10, 64)
	return n, err == nil && lo <= n && n <= hi
}

func refHex(v jv, n int) bool {
	if v.kind != 's' || len(v.s) != n {
		return false
	}
	for _, c := range v.s {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}

// refError is the reference's verdict on a rejected message.
type refError struct {
	err     error
	subID   string
	eventID string
}

// refParse applies Parse's rules to msg with encoding/json.
func refParse(msg []byte, lim envelope.Limits) (envelope.Message, *refError) {
	if !utf8.Valid(msg) || !json.Valid(msg) || refDepth(msg) > 64 {
		return envelope.Message{}, &refError{err: envelope.ErrSyntax}
	}
	root, err := refDecode(msg)
	if err != nil {
		panic("BUG: refDecode of valid JSON: " + err.Error())
	}
	switch {
	case root.kind != 'a':
		return envelope.Message{}, &refError{err: envelope.ErrNotArray}
	case len(root.arr) == 0:
		return envelope.Message{}, &refError{err: envelope.ErrEmpty}
	case root.arr[0].kind != 's':
		return envelope.Message{}, &refError{err: envelope.ErrLabel}
	}
	switch root.arr[0].s {
	case "EVENT":
		return refEventMessage(root.arr, envelope.LabelEvent)
	case "AUTH":
		return refEventMessage(root.arr, envelope.LabelAuth)
	case "REQ":
		return refReqMessage(root.arr, envelope.LabelReq, lim)
	case "COUNT":
		return refReqMessage(root.arr, envelope.LabelCount, lim)
	case "CLOSE", "NEG-CLOSE":
		label := envelope.LabelClose
		if root.arr[0].s == "NEG-CLOSE" {
			label = envelope.LabelNegClose
		}
		m, e := refSubID(root.arr, label, lim)
		if e == nil && len(root.arr) > 2 {
			e = &refError{err: envelope.ErrArity, subID: m.SubID}
		}
		return m, e
	case "NEG-OPEN":
		return refNegMessage(root.arr, envelope.LabelNegOpen, lim)
	case "NEG-MSG":
		return refNegMessage(root.arr, envelope.LabelNegMsg, lim)
	default:
		return envelope.Message{}, &refError{err: envelope.ErrUnknownLabel}
	}
}

func refEventMessage(arr []jv, label envelope.Label) (envelope.Message, *refError) {
	if len(arr) < 2 {
		return envelope.Message{}, &refError{err: envelope.ErrArity}
	}
	ev, id, err := refEvent(arr[1])
	if err == nil && len(arr) > 2 {
		err = envelope.ErrArity
	}
	if err != nil {
		return envelope.Message{}, &refError{err: err, eventID: id}
	}
	return envelope.Message{Label: label, Event: ev}, nil
}

func refEvent(v jv) (*nostr.Event, string, error) {
	if v.kind != 'o' {
		return nil, "", envelope.ErrEvent
	}
	id := ""
	for i, k := range v.keys {
		if k == "id" {
			if refHex(v.vals[i], 64) {
				id = v.vals[i].s
			}
			break
		}
	}
	ev := &nostr.Event{}
	seen := map[string]bool{}
	for i, k := range v.keys {
		val, ok := v.vals[i], true
		switch k {
		case "id":
			ev.ID, ok = val.s, refHex(val, 64)
		case "pubkey":
			ev.PubKey, ok = val.s, refHex(val, 64)
		case "sig":
			ev.Sig, ok = val.s, refHex(val, 128)
		case "kind":
			var n int64
			n, ok = refInt(val, 0, 65535)
			ev.Kind = int(n)
		case "created_at":
			var n int64
			n, ok = refInt(val, 0, math.MaxInt64)
			ev.CreatedAt = nostr.Timestamp(n)
		case "content":
			ev.Content, ok = val.s, val.kind == 's'
		case "tags":
			ev.Tags, ok = refTags(val)
		default:
			continue
		}
		if !ok || seen[k] {
			return nil, id, envelope.ErrEvent
		}
		seen[k] = true
	}
	if len(seen) != 7 {
		return nil, id, envelope.ErrEvent
	}
	return ev, id, nil
}

func refTags(v jv) (nostr.Tags, bool) {
	if v.kind != 'a' {
		return nil, false
	}
	tags := nostr.Tags{}
	for _, t := range v.arr {
		if t.kind != 'a' {
			return nil, false
		}
		tag := nostr.Tag{}
		for _, s := range t.arr {
			if s.kind != 's' {
				return nil, false
			}
			tag = append(tag, s.s)
		}
		tags = append(tags, tag)
	}
	return tags, true
}

func refSubID(arr []jv, label envelope.Label, lim envelope.Limits) (envelope.Message, *refError) {
	switch {
	case len(arr) < 2:
		return envelope.Message{}, &refError{err: envelope.ErrArity}
	case arr[1].kind != 's' || arr[1].s == "":
		return envelope.Message{}, &refError{err: envelope.ErrSubID}
	case lim.MaxSubIDLength > 0 && utf8.RuneCountInString(arr[1].s) > lim.MaxSubIDLength:
		return envelope.Message{}, &refError{err: envelope.ErrLimit}
	}
	return envelope.Message{Label: label, SubID: arr[1].s}, nil
}

func refReqMessage(arr []jv, label envelope.Label, lim envelope.Limits) (envelope.Message, *refError) {
	m, e := refSubID(arr, label, lim)
	if e != nil {
		return m, e
	}
	for i, fv := range arr[2:] {
		if lim.MaxFilters > 0 && i == lim.MaxFilters {
			return envelope.Message{}, &refError{err: envelope.ErrLimit, subID: m.SubID}
		}
		f, err := refFilter(fv, lim)
		if err != nil {
			return envelope.Message{}, &refError{err: err, subID: m.SubID}
		}
		m.Filters = append(m.Filters, f)
	}
	if len(m.Filters) == 0 {
		return envelope.Message{}, &refError{err: envelope.ErrArity, subID: m.SubID}
	}
	return m, nil
}

// refNegMessage applies the rules of NEG-OPEN (subscription id, filter,
// message) and NEG-MSG (subscription id, message).
func refNegMessage(arr []jv, label envelope.Label, lim envelope.Limits) (envelope.Message, *refError) {
	m, e := refSubID(arr, label, lim)
	if e != nil {
		return m, e
	}
	bad := func(err error) (envelope.Message, *refError) {
		return envelope.Message{}, &refError{err: err, subID: m.SubID}
	}
	i := 2
	if label == envelope.LabelNegOpen {
		if len(arr) < 3 {
			return bad(envelope.ErrArity)
		}
		f, err := refFilter(arr[2], lim)
		if err != nil {
			return bad(err)
		}
		m.Filters = nostr.Filters{f}
		i = 3
	}
	if len(arr) <= i {
		return bad(envelope.ErrArity)
	}
	if v := arr[i]; v.kind != 's' || len(v.s) == 0 || len(v.s)%2 != 0 || !refHex(v, len(v.s)) {
		return bad(envelope.ErrNegMessage)
	}
	if len(arr) > i+1 {
		return bad(envelope.ErrArity)
	}
	m.NegMessage = arr[i].s
	return m, nil
}

var tagKeyRE = regexp.MustCompile(`^#[a-zA-Z]$`)

func refFilter(v jv, lim envelope.Limits) (nostr.Filter, error) {
	var f nostr.Filter
	if v.kind != 'o' {
		return f, envelope.ErrFilter
	}
	seen := map[string]bool{}
	for i, k := range v.keys {
		val := v.vals[i]
		known := k == "ids" || k == "authors" || k == "kinds" || k == "since" ||
			k == "until" || k == "limit" || k == "search"
		if len(k) > 0 && k[0] == '#' {
			if !tagKeyRE.MatchString(k) {
				return f, envelope.ErrFilter
			}
			known = true
		}
		if !known {
			continue
		}
		if seen[k] {
			return f, envelope.ErrFilter
		}
		seen[k] = true
		if val.kind == 'z' {
			continue
		}
		if err := refFilterField(&f, k, val, lim); err != nil {
			return f, err
		}
	}
	return f, nil
}

func refFilterField(f *nostr.Filter, k string, val jv, lim envelope.Limits) error {
	ok := true
	switch k {
	case "since", "until":
		var n int64
		if n, ok = refInt(val, math.MinInt64, math.MaxInt64); ok {
			ts := nostr.Timestamp(n)
			if k == "since" {
				f.Since = &ts
			} else {
				f.Until = &ts
			}
		}
	case "limit":
		var n int64
		n, ok = refInt(val, 0, math.MaxInt64)
		f.Limit, f.LimitZero = int(n), n == 0
	case "search":
		f.Search, ok = val.s, val.kind == 's'
	default:
		if val.kind != 'a' {
			return envelope.ErrFilter
		}
		return refList(f, k, val.arr, lim)
	}
	if !ok {
		return envelope.ErrFilter
	}
	return nil
}

func refList(f *nostr.Filter, k string, arr []jv, lim envelope.Limits) error {
	strs, kinds := []string{}, []int{}
	for i, e := range arr {
		switch {
		case k == "kinds":
			n, ok := refInt(e, 0, 65535)
			if !ok {
				return envelope.ErrFilter
			}
			kinds = append(kinds, int(n))
		case k == "ids" || k == "authors":
			if !refHex(e, 64) {
				return envelope.ErrFilter
			}
			strs = append(strs, e.s)
		case e.kind != 's':
			return envelope.ErrFilter
		default:
			strs = append(strs, e.s)
		}
		if lim.MaxFilterValues > 0 && i >= lim.MaxFilterValues {
			return envelope.ErrLimit
		}
	}
	switch k {
	case "kinds":
		f.Kinds = kinds
	case "ids":
		f.IDs = strs
	case "authors":
		f.Authors = strs
	default:
		if f.Tags == nil {
			f.Tags = nostr.TagMap{}
		}
		f.Tags[k[1:]] = strs
	}
	return nil
}

// sameErr reports whether err is the reference's verdict.
func sameErr(err error, want *refError) bool {
	var e *envelope.Error
	if !errors.As(err, &e) || !errors.Is(err, want.err) {
		return false
	}
	if want.err == envelope.ErrSyntax {
		return true
	}
	return e.SubID == want.subID && e.EventID == want.eventID
}
