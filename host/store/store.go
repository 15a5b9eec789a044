// Package store defines the event store the relay core writes to and reads
// from. It holds the interface, the query types and the sentinel errors; the
// implementations live in badgerstore (on disk) and memstore (tests), and
// storetest is the conformance suite both pass.
package store

import (
	"context"

	"github.com/nbd-wtf/go-nostr"
)

// Store is a Nostr event store with NIP-01 replaceable and addressable
// semantics, NIP-09 deletions and NIP-40 expiration. Implementations are safe
// for concurrent use.
//
// Writes are durable when they are acknowledged: Save returns, or Submit
// calls done, only after the event (or the decision to refuse it) is
// committed to stable storage. Implementations batch concurrent writes into
// one commit. Callbacks of Submit run in submission order, one at a time.
type Store interface {
	// Save stores ev and waits until it is durable. raw is ev's JSON as it
	// must be returned by Query, byte for byte. ev must already be verified.
	//
	// Save handles, atomically with the write:
	//   - duplicates: ErrDuplicate;
	//   - ids deleted earlier by their author (NIP-09): ErrDeleted;
	//   - replaceable (0, 3, 10000–19999) and addressable (30000–39999, by
	//     its d tag) events: keeps only the newest, the lower id winning a
	//     created_at tie; an older one gets ErrReplaced;
	//   - kind 5 deletions: removes the author's events named by e tags and,
	//     for a tags, the author's events at that address with created_at up
	//     to the deletion's, and remembers both so they cannot come back;
	//   - expired events (NIP-40): ErrExpired.
	// Ephemeral kinds (20000–29999) must not be passed to Save.
	Save(ctx context.Context, ev *nostr.Event, raw []byte) error

	// Submit is Save without waiting: done is called with Save's result once
	// the write is durable. Calls to done happen in the order of the Submit
	// calls, from one goroutine, and must not block for long. Submit may
	// block while the store's queue is full.
	Submit(ev *nostr.Event, raw []byte, done func(error))

	// Query calls fn with the JSON of each stored event that matches f,
	// newest first (created_at descending, then id ascending), at most limit
	// events (limit <= 0 means none). Expired events are never returned. It
	// stops early when fn returns false. raw belongs to the caller.
	Query(ctx context.Context, f nostr.Filter, limit int, fn func(raw []byte) bool) error

	// Count returns how many stored events match f (NIP-45), ignoring
	// f.Limit.
	Count(ctx context.Context, f nostr.Filter) (int64, error)

	// DeleteExpired removes events whose NIP-40 expiration is at or before
	// now (unix seconds) and returns how many it removed.
	DeleteExpired(ctx context.Context, now int64) (int, error)

	// Close flushes pending writes and releases the store. Later calls fail
	// with ErrClosed.
	Close() error
}

// Health is what a store reports about itself for the relay's metrics.
type Health struct {
	// DiskFull is set while the free space on the store's disk is below
	// its reserve: writes are refused with ErrDiskFull, reads go on.
	DiskFull bool
	// FreeBytes is the free space last measured on the store's disk and
	// ReserveBytes the reserve below which writes stop; both are 0 for a
	// store without a disk.
	FreeBytes, ReserveBytes uint64
	// DiskFullRefusals counts the writes refused with ErrDiskFull.
	DiskFullRefusals uint64
	// ReadErrors counts the reads that failed: damaged data (ErrCorrupt)
	// and I/O errors.
	ReadErrors uint64
}

// HealthReporter is implemented by stores that report their Health.
// Health is safe for concurrent use and cheap: it reads counters.
type HealthReporter interface {
	Health() Health
}
