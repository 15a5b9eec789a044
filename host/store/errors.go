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
)
