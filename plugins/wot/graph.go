package main

import (
	"errors"
	"strconv"
	"strings"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/db"
)

// The tick: recompute the trust set and the moderation sets from the store
// (store_query) and bring the durable state to them, so that the hooks,
// on other instances, read them with one db lookup per message; and so
// that a restart finds them, and keeps its gates as they were, before its
// first tick.

// Durable state keys: a prefix and a 64-character hex key or id.
const (
	keyTrusted = "t" // value: the hop (one byte)
	keyHidden  = "h" // a reported event
	keyRemoved = "r" // a reported author
	keyMeta    = "m" // the last computation, as text
)

// authorsPerQuery is how many authors one follow-list query names: about
// 17 KiB of filter, well under the host's filter limit.
const authorsPerQuery = 250

// reportsPerQuery is the page size of the reports query.
const reportsPerQuery = 500

// sets is one computation: keys by hop, hidden event ids and removed
// authors.
type sets struct {
	trusted map[string]byte
	hidden  map[string]bool
	removed map[string]bool
	full    bool // the trust set reached max_keys
}

// tick recomputes the sets and stores them.
func tick() error {
	if pol == nil {
		return errors.New("not configured")
	}
	if !sdk.HasQuery() {
		return errors.New("the relay has no event store to read follow lists from")
	}
	start := sdk.Now()
	s := &sets{trusted: map[string]byte{}, hidden: map[string]bool{}, removed: map[string]bool{}}
	if err := s.readReports(pol); err != nil {
		return err
	}
	if err := s.walk(pol); err != nil {
		return err
	}
	read := sdk.Now()
	n, err := s.store()
	if err != nil {
		return err
	}
	msg := "wot: trust set " + strconv.Itoa(len(s.trusted)) + " keys, hidden " + strconv.Itoa(len(s.hidden)) +
		" events, removed " + strconv.Itoa(len(s.removed)) + " authors; " + strconv.Itoa(n) + " changes in " +
		sdk.Now().Sub(start).String() + " (store reads " + read.Sub(start).String() + ")"
	if s.full {
		msg += "; max_keys reached"
	}
	sdk.Log(sdk.LevelInfo, msg)
	return nil
}

// walk fills the trust set: the owners and moderators, then hop by hop
// the keys the previous hop follows (kind 3 p tags), nearest first, up to
// max_keys. Removed authors are left out and do not extend the web.
func (s *sets) walk(p *rules) error {
	var frontier []string
	for _, k := range append(append([]string{}, p.owners...), p.moderators...) {
		if _, ok := s.trusted[k]; !ok {
			s.trusted[k] = 0
			frontier = append(frontier, k)
		}
	}
	for hop := 1; hop <= p.hops && len(frontier) > 0 && !s.full; hop++ {
		var next []string
		err := followLists(frontier, func(follows []string) bool {
			for _, k := range follows {
				if _, seen := s.trusted[k]; seen || s.removed[k] {
					continue
				}
				if len(s.trusted) >= p.maxKeys {
					s.full = true
					return false
				}
				s.trusted[k] = byte(hop)
				next = append(next, k)
			}
			return true
		})
		if err != nil {
			return err
		}
		frontier = next
	}
	return nil
}

// followLists calls fn with the follows of each of authors' kind-3
// lists, authorsPerQuery authors a query; a result cut by the relay's
// query bounds is completed by querying the authors it lacks. fn returns
// false to stop.
func followLists(authors []string, fn func(follows []string) bool) error {
	for len(authors) > 0 {
		n := min(len(authors), authorsPerQuery)
		chunk := authors[:n]
		authors = authors[n:]
		for len(chunk) > 0 {
			r, err := sdk.StoreQuery(`{"kinds":[3],"authors":["` + strings.Join(chunk, `","`) + `"]}`)
			if err != nil {
				return errors.New("follow lists: " + err.Error())
			}
			seen := map[string]bool{}
			for _, raw := range r.Events {
				seen[field(raw, "pubkey")] = true
				var follows []string
				tagValues(raw, "p", func(v string) { follows = append(follows, v) })
				if !fn(follows) {
					return nil
				}
			}
			if !r.Truncated {
				break
			}
			if len(r.Events) == 0 { // one list over query_max_bytes: skip its author
				sdk.Log(sdk.LevelWarn, "wot: a follow list is over query_max_bytes; skipped")
				chunk = chunk[1:]
				continue
			}
			rest := chunk[:0:0]
			for _, a := range chunk {
				if !seen[a] {
					rest = append(rest, a)
				}
			}
			chunk = rest
		}
	}
	return nil
}

// readReports reads the moderators' kind-1984 reports, newest first, up
// to max_reports: one naming an event (an e tag) hides the events it
// names; one naming only people (p tags) removes them. Owners and
// moderators cannot be removed.
func (s *sets) readReports(p *rules) error {
	if len(p.moderators) == 0 {
		return nil
	}
	authors := `"authors":["` + strings.Join(p.moderators, `","`) + `"]`
	until := ""
	seen := map[string]bool{}
	for read := 0; read < p.maxReports; {
		r, err := sdk.StoreQuery(`{"kinds":[1984],` + authors + until + `,"limit":` + strconv.Itoa(reportsPerQuery) + `}`)
		if err != nil {
			return errors.New("reports: " + err.Error())
		}
		fresh := 0
		var last int64
		for _, raw := range r.Events {
			id := field(raw, "id")
			last = createdAt(raw)
			if seen[id] {
				continue
			}
			seen[id] = true
			fresh++
			if read++; read > p.maxReports {
				break
			}
			applyReport(raw, p, func(id string) { s.hidden[id] = true }, func(pk string) {
				s.removed[pk] = true
				delete(s.trusted, pk)
			})
		}
		if fresh == 0 || len(r.Events) < reportsPerQuery && !r.Truncated {
			return nil
		}
		// The next page starts at the last created_at (inclusive: events
		// of the same second may lie on both sides), skipping those seen.
		until = `,"until":` + strconv.FormatInt(last, 10)
	}
	return nil
}

// applyReport reads one report: hide is called with each event it names,
// or, when it names none, remove with each person it names.
func applyReport(raw []byte, p *rules, hide, remove func(string)) {
	events := 0
	tagValues(raw, "e", func(id string) { events++; hide(id) })
	if events > 0 {
		return
	}
	tagValues(raw, "p", func(pk string) {
		if !p.trusted[pk] {
			remove(pk)
		}
	})
}

// createdAt returns the created_at of an event's JSON, or 0.
func createdAt(raw []byte) int64 {
	const pat = `"created_at":`
	i := strings.Index(string(raw), pat)
	if i < 0 {
		return 0
	}
	var n int64
	for _, c := range raw[i+len(pat):] {
		if c < '0' || c > '9' {
			break
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// store brings the durable state to s: adds what is new, deletes what is
// gone, and returns the number of changes. Keys are added before others
// are deleted, so a key that stays never leaves the set meanwhile.
func (s *sets) store() (int, error) {
	changes := 0
	for _, part := range []struct {
		prefix string
		want   map[string]byte
	}{
		{keyTrusted, s.trusted},
		{keyHidden, byteSet(s.hidden)},
		{keyRemoved, byteSet(s.removed)},
	} {
		n, err := syncKeys(part.prefix, part.want)
		changes += n
		if err != nil {
			return changes, err
		}
	}
	meta := "keys=" + strconv.Itoa(len(s.trusted)) + " hidden=" + strconv.Itoa(len(s.hidden)) +
		" removed=" + strconv.Itoa(len(s.removed)) + " at=" + strconv.FormatInt(sdk.Now().Unix(), 10)
	if err := db.Put(keyMeta, []byte(meta)); err != nil {
		return changes, err
	}
	return changes, nil
}

func byteSet(m map[string]bool) map[string]byte {
	out := make(map[string]byte, len(m))
	for k := range m {
		out[k] = 0
	}
	return out
}

// stored is the trust set as this tick instance last stored it, so that a
// tick that changes little does not read 100,000 keys back from the
// durable state; it is read again every rescanEvery ticks (hooks delete
// trusted keys when a moderator's report arrives). The hidden and removed
// sets, which hooks also write, are read every tick.
var (
	stored     map[string]bool
	storedTick int
)

// rescanEvery is how many ticks use the kept trust set before reading it
// again.
const rescanEvery = 10

// syncKeys makes the keys under prefix exactly want (member → one-byte value).
func syncKeys(prefix string, want map[string]byte) (int, error) {
	var have map[string]bool
	if prefix == keyTrusted && stored != nil && storedTick%rescanEvery != 0 {
		have = stored
	} else {
		have = map[string]bool{}
		if err := db.ScanKeys(prefix, func(k string) bool { have[k[len(prefix):]] = true; return true }); err != nil {
			return 0, errors.New("read " + prefix + " keys: " + err.Error())
		}
	}
	if prefix == keyTrusted {
		stored, storedTick = nil, storedTick+1 // kept again only if every write below succeeds
		defer func() {
			if have != nil {
				stored = have
			}
		}()
	}
	changes := 0
	for k, v := range want {
		if have[k] {
			continue
		}
		if err := db.Put(prefix+k, []byte{v}); err != nil {
			have = nil
			return changes, errors.New("store " + prefix + " keys: " + err.Error())
		}
		have[k] = true
		changes++
	}
	for k := range have {
		if _, ok := want[k]; ok {
			continue
		}
		if _, err := db.Delete(prefix + k); err != nil {
			have = nil
			return changes, errors.New("delete " + prefix + " keys: " + err.Error())
		}
		delete(have, k)
		changes++
	}
	return changes, nil
}
