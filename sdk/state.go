package sdk

import (
	"time"

	"github.com/relayd/relayd/sdk/abi"
	"github.com/relayd/relayd/sdk/internal/imports"
)

// Errno is an error code from the host (see sdk/abi).
type Errno = abi.Errno

// Error is a failed host call.
type Error struct {
	// Op is the SDK function that failed.
	Op string
	// Code is the host's error code.
	Code Errno
}

// Error implements error.
func (e *Error) Error() string { return "sdk: " + e.Op + ": " + errnoText(e.Code) }

// Is makes errors.Is(err, ErrNotFound) and the like work.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Op == "" && t.Code == e.Code
}

// Errors to compare with errors.Is.
var (
	ErrNotFound    = &Error{Code: abi.ErrNotFound}
	ErrTooLarge    = &Error{Code: abi.ErrTooLarge}
	ErrInvalid     = &Error{Code: abi.ErrInvalid}
	ErrUnavailable = &Error{Code: abi.ErrUnavailable}
	ErrTimeout     = &Error{Code: abi.ErrTimeout}
	ErrMismatch    = &Error{Code: abi.ErrMismatch}
	// ErrFull: the plugin's durable state is at its db_max_keys or
	// db_max_bytes (see package sdk/db).
	ErrFull = &Error{Code: abi.ErrFull}
	// ErrReadOnly: the relay's store takes no writes now (its disk is below
	// the reserve, or it is damaged or closing); reads go on.
	ErrReadOnly = &Error{Code: abi.ErrReadOnly}
)

func errnoText(c Errno) string {
	switch c {
	case abi.ErrNotFound:
		return "not found"
	case abi.ErrMemory:
		return "bad memory access"
	case abi.ErrTooLarge:
		return "too large"
	case abi.ErrInvalid:
		return "invalid argument"
	case abi.ErrUnavailable:
		return "unavailable"
	case abi.ErrTimeout:
		return "timeout"
	case abi.ErrMismatch:
		return "value mismatch"
	case abi.ErrFull:
		return "durable state full"
	case abi.ErrReadOnly:
		return "store read-only"
	}
	return "host error"
}

func check(op string, rc int32) error {
	if rc >= 0 {
		return nil
	}
	return &Error{Op: op, Code: Errno(rc)}
}

// result receives i64 results of host calls; one per instance is enough.
var result int64

// CounterAdd adds delta to the shared counter key and returns its new value.
// A counter created by this call expires after ttl (0: never). Counters are
// shared by every instance of the plugin and survive reloads.
func CounterAdd(key string, delta int64, ttl time.Duration) (int64, error) {
	rc := imports.CounterAdd(key, delta, ttl.Milliseconds(), &result)
	return result, check("CounterAdd", rc)
}

// CounterGet returns the shared counter key (0 if absent).
func CounterGet(key string) (int64, error) {
	rc := imports.CounterGet(key, &result)
	return result, check("CounterGet", rc)
}

// Take takes cost tokens from the shared token bucket key, which refills at
// rate tokens per second up to burst and starts full. It reports whether
// the tokens were taken and, if not, how long until they will be there.
// All instances of the plugin share the bucket, so the budget is exact.
func Take(key string, cost int64, rate float64, burst int64) (ok bool, retryAfter time.Duration, err error) {
	r := imports.BucketTake(key, cost, rate, burst)
	switch {
	case r == 0:
		return true, 0, nil
	case r > 0:
		return false, time.Duration(r) * time.Millisecond, nil
	}
	return false, 0, &Error{Op: "Take", Code: Errno(r)}
}

// KVGet returns a copy of the shared value under key; ok is false if there
// is none (or it expired).
func KVGet(key string) (val []byte, ok bool, err error) {
	b, errno := fetch(func(buf []byte) int32 { return imports.KVGet(key, buf) })
	switch errno {
	case abi.OK:
		return append([]byte{}, b...), true, nil
	case abi.ErrNotFound:
		return nil, false, nil
	}
	return nil, false, &Error{Op: "KVGet", Code: errno}
}

// KVSet stores a copy of val under key; it expires after ttl (0: never,
// though the host may evict least-recently-used keys when full).
func KVSet(key string, val []byte, ttl time.Duration) error {
	return check("KVSet", imports.KVSet(key, val, ttl.Milliseconds()))
}

// KVCAS stores val under key only if the current value equals old (old ==
// nil: only if there is none). It reports whether it stored.
func KVCAS(key string, old, val []byte, ttl time.Duration) (bool, error) {
	rc := imports.KVCAS(key, old, old == nil, val, ttl.Milliseconds())
	if rc == int32(abi.ErrMismatch) {
		return false, nil
	}
	return rc == 0, check("KVCAS", rc)
}

// KVDelete deletes key; it reports whether there was one.
func KVDelete(key string) (bool, error) {
	rc := imports.KVDelete(key)
	if rc == int32(abi.ErrNotFound) {
		return false, nil
	}
	return rc == 0, check("KVDelete", rc)
}

// StoreCount counts the stored events matching one NIP-01 filter, given as
// a JSON object. It is bounded by a short host deadline (ErrTimeout) and
// fails with ErrUnavailable when the relay has no store.
func StoreCount(filterJSON string) (int64, error) {
	rc := imports.StoreCount([]byte(filterJSON), &result)
	if rc < 0 {
		return 0, &Error{Op: "StoreCount", Code: Errno(rc)}
	}
	return result, nil
}
