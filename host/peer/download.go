package peer

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/relayd/relayd/host/envelope"
	"github.com/relayd/relayd/host/relay"
)

// download asks the relay for ids, one batch at a time, and gives each
// event it sends to the Ingester.
func (s *syncer) download(ctx context.Context, ids []string) error {
	for i, n := 0, 0; i < len(ids); i, n = i+s.req.Limits.BatchIDs, n+1 {
		batch := ids[i:min(i+s.req.Limits.BatchIDs, len(ids))]
		if err := s.fetch(ctx, "sync-dl-"+strconv.Itoa(n), batch); err != nil {
			return err
		}
	}
	return nil
}

// fetch runs one REQ for ids until its EOSE. The relay may send each id's
// event once, and some other messages; past twice the batch and 64 more,
// the batch fails with ErrFlood.
func (s *syncer) fetch(ctx context.Context, sub string, ids []string) error {
	want := make(map[string]struct{}, len(ids))
	for _, id := range ids {
		want[id] = struct{}{}
	}
	if err := s.c.send(ctx, []any{"REQ", sub, map[string]any{"ids": ids, "limit": len(ids)}}); err != nil {
		return err
	}
	budget := 2*len(ids) + 64
	for n := 0; ; n++ {
		if n == budget {
			return fmt.Errorf("%w: %d messages for a REQ of %d ids, and no EOSE", ErrFlood, n, len(ids))
		}
		m, err := s.c.receive(ctx)
		if err != nil {
			return err
		}
		switch {
		case m.label == "EVENT" && m.str(1) == sub && len(m.arr) == 3:
			if err := s.downloaded(m, want); err != nil {
				return err
			}
		case m.label == "EOSE" && m.str(1) == sub:
			s.rep.mu.Lock()
			s.rep.Missing += int64(len(want))
			s.rep.mu.Unlock()
			return s.c.send(ctx, []any{"CLOSE", sub})
		case m.label == "CLOSED" && m.str(1) == sub:
			return fmt.Errorf("peer: %s refused the REQ for %d ids: %s", s.req.URL, len(ids), m.str(2))
		case m.label == "NOTICE":
			s.notice("relay notice: " + m.str(1))
		}
	}
}

// downloaded gives one event of a REQ by ids to the Ingester if it was
// asked for and matches the filter; an event that does not parse is the
// relay's fault and ends the sync.
func (s *syncer) downloaded(m message, want map[string]struct{}) error {
	ev, raw, err := envelope.ParseEvent(m.arr[2])
	if err != nil {
		return fmt.Errorf("%w: an event from %s: %v", ErrMalformed, s.req.URL, err)
	}
	if _, ok := want[ev.ID]; !ok || !s.req.Filter.Matches(ev) {
		s.rep.mu.Lock()
		s.rep.Unrequested++
		s.rep.mu.Unlock()
		return nil
	}
	delete(want, ev.ID)
	s.rep.submissions.Add(1)
	s.g.Submit(ev, raw, time.Now().Unix(), func(res relay.IngestResult) {
		s.rep.countDown(res)
		if s.req.Downloaded != nil {
			s.req.Downloaded(res, len(raw))
		}
		s.rep.submissions.Done()
	})
	return nil
}

// countDown counts a downloaded event's outcome and its reason.
func (r *Report) countDown(res relay.IngestResult) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.Downloaded[res.Outcome]++
	switch res.Outcome {
	case relay.OutcomeInvalid:
		r.DownReasons[res.Reason]++
	case relay.OutcomeRefused:
		r.DownReasons[res.Policy+": "+res.Reason]++
	case relay.OutcomeFailed:
		if res.Err != nil {
			r.DownReasons[res.Err.Error()]++
		}
	}
}
