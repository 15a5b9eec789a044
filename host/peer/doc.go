// Package peer syncs the relay with other relays. Sync is one sync:
// negentropy (NIP-77, host/reconcile) finds the ids each side lacks, then
// the missing events are downloaded by REQs of ids and/or the other
// relay's missing ones uploaded by EVENTs, on one connection; `relayd
// sync` runs it on the data dir. A Group is the running relay's [[sync]]
// peers: each syncs at start and every interval, and with live follows
// the peer's new events.
//
// Every event that comes from a peer goes through relay.Ingester with
// source Sync and the peer's URL as source info (strfry's sourceType and
// sourceInfo): the relay's own checks and the policy chain, exactly as a
// client's EVENT, and it is broadcast to subscribers once stored.
//
// # Bounds
//
// A peer may be down, slow or hostile (garbage, huge or endless answers,
// floods, invalid events, silence). None of it may reach clients, so each
// peer of a Group has:
//
//   - its own goroutines: one for the syncs, one for the live
//     subscription, and its Ingester's workers (Options.Workers, default
//     1: a peer's signature checks use one core at most);
//   - bounded memory: the local set (40 bytes an event, at most
//     Limits.MaxEvents), the differences (at most MaxEvents ids each way),
//     one message at a time (at most Conn.MaxMessageBytes, refused from
//     the frame header before it is read), one REQ of Limits.BatchIDs ids
//     in flight, Limits.Window EVENTs awaiting OKs, IngestWindow events in
//     its Ingester;
//   - bounded time: every read has a timeout (Conn.ReadTimeout; LiveIdle
//     for the live subscription), a whole sync SyncTimeout, and the
//     messages read from a peer are paced to Rate a second, so a flood
//     meets backpressure instead of taking the CPU;
//   - bounded answers: a REQ gets at most twice as many messages as it
//     asked for events (plus 64) before its EOSE, an upload twice as many
//     as it sent EVENTs; events not asked for, or outside the filter, are
//     dropped and counted (Stats.Dropped);
//   - retries after a backoff that doubles from BackoffMin to BackoffMax
//     with jitter, and error lines at most once per LogEvery.
//
// Close stops every peer promptly: reads are interrupted by the context,
// and the Ingesters answer what they hold before Close returns.
package peer
