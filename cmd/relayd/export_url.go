package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"time"

	"github.com/nbd-wtf/go-nostr"
)

// exportURL pages through a running relay with REQs, newest first: each
// page asks for the events at or before the oldest created_at of the page
// before (until), and the events of that boundary second already written
// are skipped, so nothing is written twice and nothing is lost between
// pages. A second holding more events than one page can return is left
// with a warning after its first page (NIP-01 gives no cursor within a
// second).
func exportURL(ctx context.Context, url string, f nostr.Filter, page int, w *bufio.Writer, prog *progress, stderr io.Writer) error {
	if ml := relayMaxLimit(ctx, url); ml > 0 && ml < page {
		page = ml
	}
	page = max(page, 1)
	c, err := dialRelay(ctx, url)
	if err != nil {
		return err
	}
	defer c.close()
	go func() {
		<-ctx.Done()
		c.nc.SetReadDeadline(time.Now()) // unblock a read on SIGINT
	}()
	left := -1
	if f.Limit > 0 {
		left = f.Limit
	}
	pg := pager{c: c, f: f, until: f.Until, seen: map[string]struct{}{}}
	for n := 0; left != 0; n++ {
		evs, err := pg.fetch(ctx, "export-"+strconv.Itoa(n), page, stderr)
		if err != nil {
			return err
		}
		if len(evs) == 0 {
			return nil
		}
		fresh := pg.advance(evs, page, stderr)
		for _, e := range fresh {
			if left == 0 {
				break
			}
			w.Write(e.raw)
			if err := w.WriteByte('\n'); err != nil {
				return err
			}
			prog.add(1, int64(len(e.raw))+1)
			left--
		}
	}
	return nil
}

// pagedEvent is one event of a page, its JSON as the relay sent it.
type pagedEvent struct {
	raw       []byte
	id        string
	createdAt nostr.Timestamp
}

// pager is the paging state of exportURL.
type pager struct {
	c     *relayConn
	f     nostr.Filter
	until *nostr.Timestamp    // nil: no bound yet
	seen  map[string]struct{} // ids written with created_at == *until
}

// fetch runs one REQ for up to limit events at or before until and
// returns them in the relay's order.
func (pg *pager) fetch(ctx context.Context, subID string, limit int, stderr io.Writer) ([]pagedEvent, error) {
	f := pg.f
	f.Limit, f.LimitZero, f.Until = limit, false, pg.until
	fj, err := f.MarshalJSON()
	if err != nil {
		return nil, err
	}
	if err := pg.c.send([]byte(`["REQ",` + strconv.Quote(subID) + `,` + string(fj) + `]`)); err != nil {
		return nil, err
	}
	var evs []pagedEvent
	for {
		msg, err := pg.c.read(2 * time.Minute)
		if err != nil {
			if ctx.Err() != nil {
				return nil, ctx.Err()
			}
			return nil, err
		}
		label, parts, err := relayMessage(msg)
		if err != nil {
			return nil, err
		}
		switch {
		case label == "EVENT" && len(parts) == 3 && str(parts, 1) == subID:
			var ev nostr.Event
			if err := ev.UnmarshalJSON(parts[2]); err != nil {
				return nil, fmt.Errorf("relay sent a bad event: %w", err)
			}
			evs = append(evs, pagedEvent{raw: parts[2], id: ev.ID, createdAt: ev.CreatedAt})
		case label == "EOSE" && str(parts, 1) == subID:
			pg.c.send([]byte(`["CLOSE",` + strconv.Quote(subID) + `]`))
			return evs, nil
		case label == "CLOSED" && str(parts, 1) == subID:
			return nil, errors.New("relay refused the REQ: " + str(parts, 2))
		case label == "NOTICE":
			fmt.Fprintf(stderr, "relayd export: relay notice: %s\n", str(parts, 1))
		}
	}
}

// advance returns the events of a page not written yet and moves until
// to the page's oldest second.
func (pg *pager) advance(evs []pagedEvent, limit int, stderr io.Writer) []pagedEvent {
	fresh := evs[:0:0]
	for _, e := range evs {
		if _, dup := pg.seen[e.id]; !dup {
			fresh = append(fresh, e)
		}
	}
	oldest := evs[len(evs)-1].createdAt
	for _, e := range evs {
		oldest = min(oldest, e.createdAt)
	}
	if len(fresh) == 0 {
		// Only the boundary second came back: it is done, or holds more
		// events than a page.
		if len(evs) >= limit {
			fmt.Fprintf(stderr, "relayd export: a whole page of %d events at created_at %d; NIP-01 cannot page within one second, so any more at that second are missing\n", limit, oldest)
		}
		next := oldest - 1
		pg.until, pg.seen = &next, map[string]struct{}{}
		return nil
	}
	if pg.until == nil || oldest != *pg.until {
		pg.seen = map[string]struct{}{}
	}
	for _, e := range evs {
		if e.createdAt == oldest {
			pg.seen[e.id] = struct{}{}
		}
	}
	pg.until = &oldest
	return fresh
}
