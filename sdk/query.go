package sdk

import (
	"encoding/binary"

	"github.com/relayd/relayd/sdk/abi"
	"github.com/relayd/relayd/sdk/internal/imports"
)

// QueryResult is what StoreQuery returns.
type QueryResult struct {
	// Events are the matching events' JSON, as stored, newest first
	// (created_at descending, then id ascending). They are the caller's.
	Events [][]byte
	// Truncated is set when the relay's bounds (query_max_events,
	// query_max_bytes in NAME.toml) cut the result: more events match.
	// Page with the filter (until, fewer authors per call).
	Truncated bool
}

// queryBuf is reused by StoreQuery; it grows to the largest result read.
var queryBuf = make([]byte, 64<<10)

// HasQuery reports whether StoreQuery reaches an event store.
func HasQuery() bool { return abi.Feature(imports.Features())&abi.FeatureQuery != 0 }

// StoreQuery reads the stored events matching one NIP-01 filter, given as
// a JSON object, as the relay would answer a REQ. It is bounded by the
// plugin's query_max_events, query_max_bytes and query_timeout_ms
// settings, and in a hook by half the hook's deadline: past the time
// bound it fails with ErrTimeout. It fails with ErrUnavailable when the
// relay has no store (relayd plugin test without fixtures of stored
// events), ErrInvalid for a filter that is not a JSON object.
//
// # Notes
//
//   - Meant for OnTick, whose deadline is seconds, not for every event:
//     a hook has 50 ms, and every query costs the store a read.
//   - Decode the events with encoding/json (about 1 MB of wasm), or scan
//     them for what you need.
func StoreQuery(filterJSON string) (QueryResult, error) {
	f := []byte(filterJSON)
	rc := imports.StoreQuery(f, queryBuf)
	if rc > int32(len(queryBuf)) { // the relay keeps the result: read it again
		queryBuf = make([]byte, rc)
		rc = imports.StoreQuery(f, queryBuf)
	}
	if rc < 0 {
		return QueryResult{}, &Error{Op: "StoreQuery", Code: Errno(rc)}
	}
	return decodeQuery(queryBuf[:rc])
}

// decodeQuery splits a store_query result into its events, copied.
func decodeQuery(b []byte) (QueryResult, error) {
	bad := &Error{Op: "StoreQuery", Code: abi.ErrInternal}
	if len(b) < abi.QueryHeaderLen {
		return QueryResult{}, bad
	}
	n := binary.LittleEndian.Uint32(b)
	r := QueryResult{Truncated: binary.LittleEndian.Uint32(b[4:])&abi.QueryTruncated != 0}
	if n > uint32(len(b)) {
		return QueryResult{}, bad
	}
	r.Events = make([][]byte, 0, n)
	rest := append([]byte(nil), b[abi.QueryHeaderLen:]...)
	for range n {
		if len(rest) < abi.QueryEntryHeaderLen {
			return QueryResult{}, bad
		}
		size := binary.LittleEndian.Uint32(rest)
		rest = rest[abi.QueryEntryHeaderLen:]
		if size > uint32(len(rest)) {
			return QueryResult{}, bad
		}
		r.Events = append(r.Events, rest[:size:size])
		rest = rest[size:]
	}
	return r, nil
}
