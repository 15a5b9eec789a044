package wasmhost_test

import (
	"context"
	"encoding/binary"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/store"
	"github.com/relayd/relayd/host/store/badgerstore"
	"github.com/relayd/relayd/host/wasmhost"
	"github.com/relayd/relayd/sdk/abi"
)

// store_query through the real host: testdata/wat/query.wat (the filter is
// its [config] table) on a real Manager and a real badger store.

// queryStore is a badger store that counts its Query calls and, with
// block set, blocks each Query until its context ends: the store that is
// too slow for the query's time bound, without a clock in the test.
type queryStore struct {
	*badgerstore.Store
	queries atomic.Int64
	block   bool
}

func (s *queryStore) Query(ctx context.Context, f nostr.Filter, limit int, fn func([]byte) bool) error {
	s.queries.Add(1)
	if s.block {
		<-ctx.Done()
		return fmt.Errorf("blocked query: %w", ctx.Err())
	}
	return s.Store.Query(ctx, f, limit, fn)
}

var _ store.Store = (*queryStore)(nil)

// queryEvents stores n kind-1 events of the same JSON length, newest
// first by created_at, and returns their ids and that length.
func queryEvents(t *testing.T, st store.Store, n int) ([]string, int) {
	t.Helper()
	var ids []string
	size := 0
	for i := range n {
		ev := &nostr.Event{PubKey: strings.Repeat("a", 64), CreatedAt: nostr.Timestamp(1700000000 - i), Kind: 1,
			Tags: nostr.Tags{}, Content: fmt.Sprintf("note %d", i), Sig: strings.Repeat("f", 128)}
		ev.ID = ev.GetID()
		raw, _ := ev.MarshalJSON()
		if err := st.Save(context.Background(), ev, raw); err != nil {
			t.Fatal(err)
		}
		ids, size = append(ids, ev.ID), len(raw)
	}
	return ids, size
}

// queryResult is what query.wat reports: the probe's and the read's
// results, and the start of the result.
type queryResult struct {
	probe, rc    int32
	count, flags uint32
	first        string // the first event's JSON, if it fit in the message
}

func runQuery(t *testing.T, p policy.Policy) queryResult {
	t.Helper()
	v, err := p.Event(ctx, event(1))
	if err != nil {
		t.Fatal(err)
	}
	m := []byte(v.Message)
	if len(m) < 8 {
		t.Fatalf("message %q: want at least 8 bytes", m)
	}
	r := queryResult{probe: int32(binary.LittleEndian.Uint32(m)), rc: int32(binary.LittleEndian.Uint32(m[4:]))}
	if m = m[8:]; len(m) >= abi.QueryHeaderLen {
		r.count, r.flags = binary.LittleEndian.Uint32(m), binary.LittleEndian.Uint32(m[4:])
		if m = m[abi.QueryHeaderLen:]; len(m) >= abi.QueryEntryHeaderLen {
			n := int(binary.LittleEndian.Uint32(m))
			if m = m[abi.QueryEntryHeaderLen:]; n <= len(m) {
				r.first = string(m[:n])
			}
		}
	}
	return r
}

// TestWasmStoreQueryBounds checks store_query's result and its bounds in
// events and bytes: the probe tells the length and the read returns the
// same result; the filter's own limit is not a cut, a host bound is.
func TestWasmStoreQueryBounds(t *testing.T) {
	st := &queryStore{Store: dbStore(t, t.TempDir(), newDisk())}
	ids, size := queryEvents(t, st, 5)
	entry := abi.QueryEntryHeaderLen + size
	tests := []struct {
		name, toml   string
		count, flags uint32
	}{
		{"all", "[config]\nkinds = [1]\n", 5, 0},
		{"none match", "[config]\nkinds = [7]\n", 0, 0},
		{"own limit", "[config]\nkinds = [1]\nlimit = 2\n", 2, 0},
		{"exact fit", "query_max_events = 5\n[config]\nkinds = [1]\n", 5, 0},
		{"max events", "query_max_events = 3\n[config]\nkinds = [1]\n", 3, abi.QueryTruncated},
		{"own limit over max events", "query_max_events = 3\n[config]\nkinds = [1]\nlimit = 4\n", 3, abi.QueryTruncated},
		{"max bytes", fmt.Sprintf("query_max_bytes = %d\n[config]\nkinds = [1]\n", abi.QueryHeaderLen+2*entry+entry-1), 2, abi.QueryTruncated},
		{"max bytes exact", fmt.Sprintf("query_max_bytes = %d\n[config]\nkinds = [1]\n", abi.QueryHeaderLen+5*entry), 5, 0},
		{"max bytes under one event", fmt.Sprintf("query_max_bytes = %d\n[config]\nkinds = [1]\n", abi.QueryHeaderLen+entry-1), 0, abi.QueryTruncated},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := newManager(t, wasmhost.Options{Store: st}, guest{name: "query", wasm: "query", toml: tc.toml})
			if err != nil {
				t.Fatal(err)
			}
			before := st.queries.Load()
			got := runQuery(t, plugin(t, m, "query"))
			want := int32(abi.QueryHeaderLen + int(tc.count)*entry)
			if got.probe != want || got.rc != want || got.count != tc.count || got.flags != tc.flags {
				t.Errorf("got probe %d, read %d, count %d, flags %d; want %d, %d, %d, %d",
					got.probe, got.rc, got.count, got.flags, want, want, tc.count, tc.flags)
			}
			if tc.count > 0 && !strings.Contains(got.first, `"id":"`+ids[0]+`"`) {
				t.Errorf("first event %s: want the newest, %s", got.first, ids[0])
			}
			// The probe and the read are one store query.
			if n := st.queries.Load() - before; n != 1 {
				t.Errorf("store queried %d times, want 1", n)
			}
			s := m.QueryStats()["query"]
			wantTrunc := int64(0)
			if tc.flags != 0 {
				wantTrunc = 1
			}
			if s.Queries != 1 || s.Events != int64(tc.count) || s.Bytes != int64(want) || s.Truncated != wantTrunc {
				t.Errorf("stats %+v: want 1 query, %d events, %d bytes, %d truncated", s, tc.count, want, wantTrunc)
			}
		})
	}
}

// TestWasmStoreQueryTime checks store_query's time bound: a store slower
// than query_timeout_ms (here, one that never answers) makes it return
// ErrTimeout, within the hook's own deadline, and the hook goes on.
func TestWasmStoreQueryTime(t *testing.T) {
	st := &queryStore{Store: dbStore(t, t.TempDir(), newDisk()), block: true}
	tests := []struct{ name, toml string }{
		{"query timeout", "timeout_ms = 5000\nquery_timeout_ms = 20\n[config]\nkinds = [1]\n"},
		{"hook deadline", "timeout_ms = 50\nquery_timeout_ms = 60000\n[config]\nkinds = [1]\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := newManager(t, wasmhost.Options{Store: st}, guest{name: "query", wasm: "query", toml: tc.toml})
			if err != nil {
				t.Fatal(err)
			}
			got := runQuery(t, plugin(t, m, "query"))
			if got.probe != int32(abi.ErrTimeout) || got.rc != int32(abi.ErrTimeout) {
				t.Errorf("got probe %d, read %d; want ErrTimeout (%d) twice", got.probe, got.rc, abi.ErrTimeout)
			}
			// The read repeats the probe's filter: it gets the kept error.
			if s := m.QueryStats()["query"]; s.Timeouts != 1 || s.Queries != 0 {
				t.Errorf("stats %+v: want 1 timeout, no query", s)
			}
		})
	}
}

// TestWasmStoreQueryErrors checks store_query without a store and with a
// filter that is not one.
func TestWasmStoreQueryErrors(t *testing.T) {
	st := &queryStore{Store: dbStore(t, t.TempDir(), newDisk())}
	tests := []struct {
		name string
		st   store.Store
		toml string
		want abi.Errno
	}{
		{"no store", nil, "[config]\nkinds = [1]\n", abi.ErrUnavailable},
		{"bad filter", st, "[config]\nkinds = \"one\"\n", abi.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, _, err := newManager(t, wasmhost.Options{Store: tc.st}, guest{name: "query", wasm: "query", toml: tc.toml})
			if err != nil {
				t.Fatal(err)
			}
			if got := runQuery(t, plugin(t, m, "query")); got.probe != int32(tc.want) || got.rc != int32(tc.want) {
				t.Errorf("got probe %d, read %d; want %d twice", got.probe, got.rc, tc.want)
			}
		})
	}
}
