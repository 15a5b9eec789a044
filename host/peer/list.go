package peer

import (
	"context"
	"fmt"
	"slices"
	"strconv"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/envelope"
	"github.com/relayd/relayd/host/reconcile"
)

// list finds the differences with a relay that has no NIP-77: it pages
// through the relay's events matching the filter with REQs, newest first
// (until = the oldest created_at of the page before, the ids of that
// second already seen skipped), keeps their ids (at most MaxEvents), and
// compares them with the local set.
func (s *syncer) list(ctx context.Context, local *reconcile.Set, info relayInfo) (have, need []string, err error) {
	page := 500
	if info.MaxLimit > 0 {
		page = min(page, info.MaxLimit)
	}
	remote := map[string]struct{}{}
	f := s.req.Filter
	left := -1
	if f.Limit > 0 {
		left = f.Limit
	}
	var seen map[string]struct{} // ids of created_at == *f.Until already listed
	stale := 0                   // full pages in a row with nothing new
	for n := 0; left != 0; n++ {
		evs, err := s.page(ctx, "sync-list-"+strconv.Itoa(n), f, page)
		if err != nil {
			return nil, nil, err
		}
		fresh := 0
		for _, e := range evs {
			if _, dup := seen[e.id]; dup {
				continue
			}
			if _, dup := remote[e.id]; !dup && left != 0 {
				if len(remote) == s.req.Limits.MaxEvents {
					return nil, nil, fmt.Errorf("%w: more than %d at %s", ErrTooManyEvents, s.req.Limits.MaxEvents, s.req.URL)
				}
				remote[e.id] = struct{}{}
				left--
				fresh++
			}
		}
		if len(evs) < page {
			break // a short page holds every event left at or before until
		}
		oldest := evs[0].createdAt
		for _, e := range evs {
			oldest = min(oldest, e.createdAt)
		}
		if fresh == 0 {
			// Only the boundary second came back: done with it. Twice in
			// a row, the relay is not honouring until.
			if stale++; stale > 1 {
				return nil, nil, fmt.Errorf("%w: %s sent the same events again for an earlier until", ErrFlood, s.req.URL)
			}
			if len(evs) >= page {
				s.notice(fmt.Sprintf("a whole page of %d events at created_at %d; NIP-01 cannot page within one second, so any more at that second are not compared", page, oldest))
			}
			next := oldest - 1
			f.Until, seen = &next, nil
			continue
		}
		stale = 0
		if f.Until == nil || oldest != *f.Until {
			seen = map[string]struct{}{}
		}
		for _, e := range evs {
			if e.createdAt == oldest {
				seen[e.id] = struct{}{}
			}
		}
		f.Until = &oldest
	}
	for _, it := range local.Range(0, local.Size()) {
		if _, ok := remote[it.ID]; ok {
			delete(remote, it.ID)
		} else {
			have = append(have, it.ID)
		}
	}
	for id := range remote {
		need = append(need, id)
	}
	slices.Sort(have)
	slices.Sort(need)
	return have, need, nil
}

// listed is one event of a listing page.
type listed struct {
	id        string
	createdAt nostr.Timestamp
}

// page runs one REQ for at most limit events of f, until its EOSE.
func (s *syncer) page(ctx context.Context, sub string, f nostr.Filter, limit int) ([]listed, error) {
	f.Limit, f.LimitZero = limit, false
	if err := s.c.send(ctx, []any{"REQ", sub, f}); err != nil {
		return nil, err
	}
	var out []listed
	for n := 0; ; n++ {
		if n == 2*limit+64 {
			return nil, fmt.Errorf("%w: %d messages for a REQ with limit %d, and no EOSE", ErrFlood, n, limit)
		}
		m, err := s.c.receive(ctx)
		if err != nil {
			return nil, err
		}
		switch {
		case m.label == "EVENT" && m.str(1) == sub && len(m.arr) == 3:
			ev, _, err := envelope.ParseEvent(m.arr[2])
			if err != nil {
				return nil, fmt.Errorf("%w: an event from %s: %v", ErrMalformed, s.req.URL, err)
			}
			if f.Matches(ev) && len(out) < limit { // f has the page's until
				out = append(out, listed{id: ev.ID, createdAt: ev.CreatedAt})
			}
		case m.label == "EOSE" && m.str(1) == sub:
			return out, s.c.send(ctx, []any{"CLOSE", sub})
		case m.label == "CLOSED" && m.str(1) == sub:
			return nil, fmt.Errorf("peer: %s refused the REQ listing its events: %s", s.req.URL, m.str(2))
		case m.label == "NOTICE":
			s.notice("relay notice: " + m.str(1))
		}
	}
}
