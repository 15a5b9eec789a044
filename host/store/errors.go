package store

import "errors"

// Sentinel errors returned by Store implementations. Callers branch with
// errors.Is; the relay maps each to a NIP-01 OK prefix.
var (
	// ErrDuplicate: the event is already stored ("duplicate:").
	ErrDuplicate = errors.New("store: duplicate event")
	// ErrDeleted: the event was deleted by its author ("blocked:").
	ErrDeleted = errors.New("store: event was deleted")
	// ErrReplaced: a newer version of the replaceable or addressable event
	// is stored ("duplicate:").
	ErrReplaced = errors.New("store: a newer version is stored")
	// ErrExpired: the event's NIP-40 expiration has passed ("invalid:").
	ErrExpired = errors.New("store: event is expired")
	// ErrEphemeral: ephemeral kinds are never stored.
	ErrEphemeral = errors.New("store: ephemeral events are not stored")
	// ErrTooLarge: the event is larger than the store accepts ("invalid:").
	ErrTooLarge = errors.New("store: event too large")
	// ErrClosed: the store was closed ("error:").
	ErrClosed = errors.New("store: closed")
	// ErrDiskFull: the free space on the store's disk is below its reserve,
	// so the store takes no writes until space returns; the event was not
	// stored ("error: disk full").
	ErrDiskFull = errors.New("store: disk full")
	// ErrCorrupt: stored data could not be read back intact (a checksum
	// failed, a value does not decode, an index entry points at nothing).
	// A query that meets it fails rather than answer with a partial or
	// altered result ("error:").
	ErrCorrupt = errors.New("store: stored data is damaged")
)

// ErrBanned: the relay's operator banned the event's id (NIP-86
// banevent); it is refused from every source until allowed ("blocked:").
var ErrBanned = errors.New("store: event is banned by the operator")

// ErrUnavailable: the store replicates its writes (a cluster node,
// host/cluster) and the replication did not acknowledge the write in time,
// so the event is not known to be replicated; it may still appear later
// ("error: cluster unavailable").
var ErrUnavailable = errors.New("cluster unavailable")
