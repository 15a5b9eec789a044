package peer

import (
	"context"
	"errors"
	"fmt"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/reconcile"
	"github.com/relayd/relayd/host/relay"
	"github.com/relayd/relayd/host/store"
)

// ErrTooManyEvents is wrapped when more than Limits.MaxEvents events
// match a sync's filter on one side.
var ErrTooManyEvents = errors.New("peer: too many events; narrow the filter (since, until, kinds, authors)")

// localSet reads the (created_at, id) pairs of the stored events matching
// f into a sealed set, at most maxEvents (f's own limit keeps the newest
// events, as in a REQ).
func localSet(ctx context.Context, st store.Store, f nostr.Filter, maxEvents int) (*reconcile.Set, error) {
	set := reconcile.NewSet(0)
	if f.LimitZero {
		set.Seal()
		return set, nil
	}
	limit := maxEvents + 1
	if f.Limit > 0 && f.Limit < limit {
		limit = f.Limit
	}
	var bad int
	err := st.Query(ctx, f, limit, func(raw []byte) bool {
		ts, id, ok := relay.EventKey(raw)
		if !ok {
			bad++
			return true
		}
		set.AddBytes(ts, id)
		return set.Len() <= maxEvents
	})
	if err != nil {
		return nil, fmt.Errorf("peer: reading the local events: %w", err)
	}
	if set.Len() > maxEvents {
		return nil, fmt.Errorf("%w: more than %d here", ErrTooManyEvents, maxEvents)
	}
	if bad > 0 {
		return nil, fmt.Errorf("peer: %d stored events without a readable id or created_at; run relayd fsck", bad)
	}
	set.Seal()
	return set, nil
}
