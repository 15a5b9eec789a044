package peer

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/relay"
)

// upload sends the stored events of ids to the relay, at most
// Limits.Window awaiting their OK, reading them from the store one batch
// of BatchIDs at a time, and counts the OKs by answer.
func (s *syncer) upload(ctx context.Context, ids []string) error {
	u := &uploader{s: s, pending: map[string]int{}}
	defer func() {
		s.rep.mu.Lock()
		s.rep.Unanswered += int64(len(u.pending))
		s.rep.mu.Unlock()
	}()
	for i := 0; i < len(ids); i += s.req.Limits.BatchIDs {
		batch := ids[i:min(i+s.req.Limits.BatchIDs, len(ids))]
		var raws [][]byte
		err := s.st.Query(ctx, nostr.Filter{IDs: batch}, len(batch), func(raw []byte) bool {
			raws = append(raws, raw)
			return true
		})
		if err != nil {
			return fmt.Errorf("peer: reading the events to upload: %w", err)
		}
		for _, raw := range raws {
			if err := u.send(ctx, raw); err != nil {
				return err
			}
		}
	}
	for len(u.pending) > 0 {
		if err := u.answer(ctx); err != nil {
			return err
		}
	}
	return nil
}

// uploader is the state of one upload: the EVENTs awaiting their OK, by
// id, with their size.
type uploader struct {
	s       *syncer
	pending map[string]int
	sent    int
	read    int
}

// send sends one event once the window has room.
func (u *uploader) send(ctx context.Context, raw []byte) error {
	_, key, ok := relay.EventKey(raw)
	if !ok {
		return nil // the store's own problem; fsck reports it
	}
	id := hex.EncodeToString(key[:])
	for len(u.pending) >= u.s.req.Limits.Window {
		if err := u.answer(ctx); err != nil {
			return err
		}
	}
	msg := make([]byte, 0, len(raw)+12)
	msg = append(append(append(msg, `["EVENT",`...), raw...), ']')
	if err := u.s.c.c.Send(ctx, msg); err != nil {
		return err
	}
	u.pending[id] = len(raw)
	u.sent++
	u.s.rep.mu.Lock()
	u.s.rep.Sent++
	u.s.rep.mu.Unlock()
	return nil
}

// answer reads one message and counts it if it is the OK of a pending
// EVENT. Past twice the EVENTs sent and 64 more messages, the upload fails
// with ErrFlood.
func (u *uploader) answer(ctx context.Context) error {
	u.read++
	if u.read > 2*u.sent+64 {
		return fmt.Errorf("%w: %d messages for %d EVENTs", ErrFlood, u.read, u.sent)
	}
	m, err := u.s.c.receive(ctx)
	if err != nil {
		return err
	}
	switch m.label {
	case "OK":
		id := m.str(1)
		size, ok := u.pending[id]
		if !ok || len(m.arr) < 3 {
			return nil
		}
		delete(u.pending, id)
		accepted := string(m.arr[2]) == "true"
		reason := m.str(3)
		res := UploadAccepted
		switch {
		case accepted && strings.HasPrefix(reason, "duplicate:"):
			res = UploadDuplicate
		case !accepted:
			res = UploadRefused
		}
		u.s.rep.mu.Lock()
		u.s.rep.Uploaded[res]++
		if res == UploadRefused {
			u.s.rep.UpReasons[reason]++
		}
		u.s.rep.mu.Unlock()
		if u.s.req.Uploaded != nil {
			u.s.req.Uploaded(res, reason, size)
		}
	case "NOTICE":
		u.s.notice("relay notice: " + m.str(1))
	}
	return nil
}
