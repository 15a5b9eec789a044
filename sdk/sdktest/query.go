//go:build !wasip1

package sdktest

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"slices"
	"strings"

	"github.com/relayd/relayd/sdk/abi"
	"github.com/relayd/relayd/sdk/internal/imports"
)

// The fake store behind sdk.StoreQuery: the fixture events of
// Options.Events and AddEvents, matched against a NIP-01 filter and
// encoded as the relay's store_query encodes them (ABI.md, "Store
// query"), within the same bounds. Replaceable and addressable events are
// kept as given: add only the events a relay would keep.

// queryBounds are the settings' query_max_events and query_max_bytes; 0
// is the relay's default.
type queryBounds struct{ maxEvents, maxBytes int }

func (q queryBounds) events() int {
	if q.maxEvents > 0 {
		return q.maxEvents
	}
	return abi.QueryDefaultMaxEvents
}

func (q queryBounds) bytes() int {
	if q.maxBytes > 0 {
		return q.maxBytes
	}
	return abi.QueryDefaultMaxBytes
}

// AddEvents adds events to the fake store (making one if Options.Events
// was nil), as if the relay had stored them. Empty ID, PubKey and Sig are
// filled as for hook fixtures.
func (h *Host) AddEvents(evs ...Event) {
	if h.events == nil {
		h.events = []Event{}
	}
	for _, ev := range evs {
		fill(&ev)
		h.events = append(h.events, ev)
	}
}

// nip01 is a NIP-01 filter as the fake store reads it.
type nip01 struct {
	IDs     []string
	Authors []string
	Kinds   []int
	Since   *int64
	Until   *int64
	Limit   int
	Tags    map[string][]string // by letter, without the '#'
}

// parseNIP01 reads a filter JSON object; unknown keys are ignored, as
// the relay does.
func parseNIP01(b []byte) (nip01, error) {
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(b, &raw); err != nil {
		return nip01{}, err
	}
	f := nip01{Tags: map[string][]string{}}
	for k, v := range raw {
		var err error
		switch {
		case k == "ids":
			err = json.Unmarshal(v, &f.IDs)
		case k == "authors":
			err = json.Unmarshal(v, &f.Authors)
		case k == "kinds":
			err = json.Unmarshal(v, &f.Kinds)
		case k == "since":
			err = json.Unmarshal(v, &f.Since)
		case k == "until":
			err = json.Unmarshal(v, &f.Until)
		case k == "limit":
			err = json.Unmarshal(v, &f.Limit)
		case len(k) == 2 && k[0] == '#':
			var vals []string
			err = json.Unmarshal(v, &vals)
			f.Tags[k[1:]] = vals
		}
		if err != nil {
			return nip01{}, errors.New("filter key " + k + ": " + err.Error())
		}
	}
	return f, nil
}

// match reports whether ev matches f.
func (f nip01) match(ev *Event) bool {
	if f.IDs != nil && !slices.Contains(f.IDs, ev.ID) ||
		f.Authors != nil && !slices.Contains(f.Authors, ev.PubKey) ||
		f.Kinds != nil && !slices.Contains(f.Kinds, ev.Kind) ||
		f.Since != nil && ev.CreatedAt < *f.Since ||
		f.Until != nil && ev.CreatedAt > *f.Until {
		return false
	}
	for letter, vals := range f.Tags {
		if !slices.ContainsFunc(ev.Tags, func(t []string) bool {
			return len(t) >= 2 && t[0] == letter && slices.Contains(vals, t[1])
		}) {
			return false
		}
	}
	return true
}

// StoreQuery implements the host function store_query on the fake store.
func (h *Host) StoreQuery(filter, buf []byte) int32 {
	if h.events == nil {
		return int32(abi.ErrUnavailable)
	}
	if len(filter) > abi.MaxFiltersLen {
		return int32(abi.ErrTooLarge)
	}
	f, err := parseNIP01(filter)
	if err != nil {
		return int32(abi.ErrInvalid)
	}
	var hits []*Event
	for i := range h.events {
		if f.match(&h.events[i]) {
			hits = append(hits, &h.events[i])
		}
	}
	slices.SortStableFunc(hits, func(a, b *Event) int {
		if a.CreatedAt != b.CreatedAt {
			return int(b.CreatedAt - a.CreatedAt)
		}
		return strings.Compare(a.ID, b.ID)
	})
	return put(buf, h.encodeQuery(hits, f.Limit))
}

// encodeQuery writes hits as store_query's result, within the bounds.
func (h *Host) encodeQuery(hits []*Event, limit int) []byte {
	maxEvents, maxBytes := h.query.events(), h.query.bytes()
	own := limit > 0 && limit <= maxEvents
	out := make([]byte, abi.QueryHeaderLen)
	var count, flags uint32
	for _, ev := range hits {
		if own && int(count) == limit {
			break
		}
		raw, _ := json.Marshal(ev)
		if int(count) == maxEvents || len(out)+abi.QueryEntryHeaderLen+len(raw) > maxBytes {
			flags |= abi.QueryTruncated
			break
		}
		out = binary.LittleEndian.AppendUint32(out, uint32(len(raw)))
		out = append(out, raw...)
		count++
	}
	binary.LittleEndian.PutUint32(out, count)
	binary.LittleEndian.PutUint32(out[4:], flags)
	return out
}

// Tick runs the plugin's OnTick handler, as the relay does every tick_ms,
// and returns its error (nil without a handler). The relay ticks on an
// instance of its own, so the next hook call runs OnInit again, as on an
// instance that never saw the tick: state the tick hands to the hooks must
// go through the durable or shared state, here as in the relay.
func (h *Host) Tick() error {
	if !h.init {
		if err := h.Init(); err != nil {
			return err
		}
	}
	if err := h.enter(); err != nil {
		h.leave()
		return err
	}
	defer h.leave()
	h.reset(callInput{})
	rc := imports.Guest.Tick()
	guest.active = nil
	if rc < 0 {
		return errors.New(string(h.out[abi.OutputMessage]))
	}
	return nil
}
