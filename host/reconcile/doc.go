// Package reconcile is relayd's side of NIP-77 negentropy: the compact set
// of (created_at, id) pairs both ends reconcile, a guarded wrapper around
// go-nostr's negentropy engine for the relay (Responder), and a client
// (Conn) that runs a whole reconciliation against a relay and returns the
// ids each side lacks, for `relayd sync` to download (REQ by ids) and
// upload (EVENT).
//
// The engine is github.com/nbd-wtf/go-nostr/nip77/negentropy (protocol
// version 1, 0x61). This package supplies its Storage (Set) and works
// around three of its hazards:
//
//   - It decodes a message without bounds: a negative or huge varint
//     panics (slice bounds, map size). Check validates a message's
//     structure before the engine sees it, and Responder and Conn recover
//     from a panic anyway.
//   - As a client it reports differences on two channels of 64 that it
//     fills while it decodes, so a caller that reads one channel only, or
//     reads after Reconcile returns, deadlocks past 64 differences (this
//     is why go-nostr's NegentropySync hangs). Conn drains both channels
//     while the engine runs.
//   - Its vector storage holds each id as a 64-byte hex string (about 100
//     bytes an item with headers); Set holds 40 bytes an item.
//
// # Memory
//
// A Set of n items holds 40·n bytes (Bytes reports it). A Responder adds
// a few KiB. A Conn holds the caller's Set, its differences (at most
// Options.MaxDiff per direction) and one relay message (at most
// Options.MaxMessageBytes).
package reconcile
