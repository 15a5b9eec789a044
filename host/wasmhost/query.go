package wasmhost

import (
	"bytes"
	"context"
	"encoding/binary"
	"sync/atomic"
	"time"

	"github.com/nbd-wtf/go-nostr"
	"github.com/tetratelabs/wazero/api"

	"github.com/relayd/relayd/sdk/abi"
)

// store_query (ABI.md, "Store query"): one NIP-01 filter in, the matching
// events out as a header and length-prefixed JSON entries, bounded in
// events, bytes (query_max_events, query_max_bytes) and time
// (query_timeout_ms, and the call's own deadline through the instance's
// context, which the watchdog cancels). The encoded result is kept by the
// instance until the end of the export call, so the guest's retry with a
// buffer of the length it was told reads it without a second query (a
// failed query's error is kept the same way: a retry fails at once).

// queryCache is an instance's last store_query result in the current
// export call.
type queryCache struct {
	valid  bool
	filter []byte
	out    []byte
	errno  abi.Errno // the result's error, if it failed
}

// maxKeptQuery is the capacity of a result buffer an instance keeps
// between calls; larger ones are dropped at the end of the call.
const maxKeptQuery = 1 << 20

// QueryStats counts one plugin's store_query calls and ticks, across its
// versions (reloads keep them). Its fields are read with Snapshot, for the
// metrics.
type QueryStats struct {
	queries, events, bytes, truncated, timeouts, errors atomic.Int64
	ticks, tickFailures, tickNanos                      atomic.Int64
}

// QueryStatsSnapshot is a copy of a plugin's QueryStats.
type QueryStatsSnapshot struct {
	// Queries counts store_query calls that reached the store; Events and
	// Bytes what they returned; Truncated those a host bound cut short;
	// Timeouts those past their time bound; Errors those that failed
	// otherwise (bad filter, store error).
	Queries, Events, Bytes, Truncated, Timeouts, Errors int64
	// Ticks counts relayd_on_tick calls, TickFailures the failed ones,
	// and TickSeconds their total time.
	Ticks, TickFailures int64
	TickSeconds         float64
}

// Snapshot returns the counts so far.
func (q *QueryStats) Snapshot() QueryStatsSnapshot {
	return QueryStatsSnapshot{
		Queries: q.queries.Load(), Events: q.events.Load(), Bytes: q.bytes.Load(), Truncated: q.truncated.Load(),
		Timeouts: q.timeouts.Load(), Errors: q.errors.Load(),
		Ticks: q.ticks.Load(), TickFailures: q.tickFailures.Load(), TickSeconds: float64(q.tickNanos.Load()) / 1e9,
	}
}

func hostStoreQuery(ctx context.Context, mod api.Module, s []uint64) {
	inst, mem := instOf(ctx), mod.Memory()
	n := api.DecodeU32(s[1])
	if n > abi.MaxFiltersLen {
		s[0] = errno(abi.ErrTooLarge)
		return
	}
	f, ok := read(mem, api.DecodeU32(s[0]), n)
	if !ok {
		s[0] = errno(abi.ErrMemory)
		return
	}
	out, e := inst.storeQuery(f)
	if e != abi.OK {
		s[0] = errno(e)
		return
	}
	s[0] = put(mem, api.DecodeU32(s[2]), api.DecodeU32(s[3]), out)
}

// storeQuery returns the encoded result of filter: the one kept from an
// earlier call with the same filter in this export call, or a new query.
func (inst *instance) storeQuery(filter []byte) ([]byte, abi.Errno) {
	q := &inst.query
	if q.valid && bytes.Equal(q.filter, filter) {
		if q.errno != abi.OK {
			return nil, q.errno
		}
		return q.out, abi.OK
	}
	q.valid = false
	st := inst.p.env.store
	if st == nil {
		return nil, abi.ErrUnavailable
	}
	stats := inst.p.stats
	var f nostr.Filter
	if err := f.UnmarshalJSON(bytes.Clone(filter)); err != nil {
		stats.errors.Add(1)
		return nil, abi.ErrInvalid
	}
	out, e := inst.runQuery(f)
	q.valid, q.filter, q.errno = true, append(q.filter[:0], filter...), e
	switch e {
	case abi.OK:
	case abi.ErrTimeout:
		stats.timeouts.Add(1)
		return nil, e
	default:
		stats.errors.Add(1)
		return nil, e
	}
	q.out = out
	stats.queries.Add(1)
	stats.events.Add(int64(binary.LittleEndian.Uint32(out)))
	stats.bytes.Add(int64(len(out)))
	if binary.LittleEndian.Uint32(out[4:])&abi.QueryTruncated != 0 {
		stats.truncated.Add(1)
	}
	return out, abi.OK
}

// runQuery queries the store for f within the plugin's bounds and encodes
// the result into the instance's query buffer.
func (inst *instance) runQuery(f nostr.Filter) ([]byte, abi.Errno) {
	lim := inst.p.set.query
	timeout := lim.timeout
	if inst.cur != curTick {
		// Half the hook's deadline at most, so that the guest has the
		// other half to answer after a timeout.
		timeout = min(timeout, inst.p.set.timeout/2)
	}
	// The instance's context is cancelled when the call's deadline stops
	// it (the watchdog, or the tick's timer).
	ctx, cancel := context.WithTimeout(inst.ctx, timeout)
	defer cancel()
	out := append(inst.query.out[:0], make([]byte, abi.QueryHeaderLen)...)
	var count, flags uint32
	if f.LimitZero {
		return out, abi.OK
	}
	// Past the host's own bound, one more event is asked for, to tell a
	// cut from an exact fit.
	limit := lim.maxEvents + 1
	if f.Limit > 0 && f.Limit <= lim.maxEvents {
		limit = f.Limit
	}
	timedOut := false
	err := inst.p.env.store.Query(ctx, f, limit, func(raw []byte) bool {
		switch {
		case ctx.Err() != nil:
			timedOut = true
			return false
		case int(count) == lim.maxEvents, len(out)+abi.QueryEntryHeaderLen+len(raw) > lim.maxBytes:
			flags |= abi.QueryTruncated
			return false
		}
		out = binary.LittleEndian.AppendUint32(out, uint32(len(raw)))
		out = append(out, raw...)
		count++
		return true
	})
	inst.query.out = out
	switch {
	case timedOut || ctx.Err() != nil:
		return nil, abi.ErrTimeout
	case err != nil:
		return nil, abi.ErrInternal
	}
	binary.LittleEndian.PutUint32(out, count)
	binary.LittleEndian.PutUint32(out[4:], flags)
	return out, abi.OK
}

// resetQuery forgets the call's query result, keeping a small buffer.
func (q *queryCache) reset() {
	q.valid = false
	if cap(q.out) > maxKeptQuery {
		q.out = nil
	}
}

// observeTick counts one tick that took d.
func (q *QueryStats) observeTick(d time.Duration, failed bool) {
	q.ticks.Add(1)
	q.tickNanos.Add(int64(d))
	if failed {
		q.tickFailures.Add(1)
	}
}
