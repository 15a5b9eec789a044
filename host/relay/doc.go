// Package relay is relayd's Nostr core: connection lifecycle, EVENT, REQ,
// CLOSE, COUNT, AUTH and NEG-* dispatch (NIP-01, 09, 11, 40, 42, 45, 70,
// 77),
// subscriptions and live broadcast, and the OK/CLOSED/NOTICE answers. It
// calls the policy chain (host/policy) in every message path and stores
// through host/store; it never imports wazero or badger.
//
// # Ordering
//
// wsconn hands one connection's messages to the relay one at a time, in
// order. EVENTs are submitted to the store without waiting for the commit;
// their OKs, and every reply queued after them, keep message order through
// the session's reply chain (reply.go). The store calls back in commit
// order from one goroutine, which also broadcasts, so live deliveries keep
// publish order.
//
// # Delivery
//
// broadcast runs on whichever goroutine completes the publisher's reply
// (usually the store's commit notifier), with the subscription index
// read-locked. It only matches and hands off, and never blocks or runs a
// policy: a subscription before EOSE buffers the event (sub.deliver);
// after EOSE, with no deliver hook in the chain and nothing queued for the
// session, the frame goes straight to the connection's queue (the fast
// path, which never waits either: wsconn cuts a slow reader instead).
// Otherwise the event goes to the session's delivery queue (deliver.go),
// drained by one goroutine per session that exists only while the queue
// is not empty; it runs the deliver hook and enqueues the frames. So a slow
// hook only slows the sessions it is slow for, and:
//
//   - per session, live events leave in broadcast order (one queue, one
//     deliverer; the fast path is taken only while the queue is idle);
//   - per subscription, stored events, then EOSE, then live events:
//     goLive runs after EOSE is queued and passes the buffered events on
//     while holding sub.mu, so a later broadcast queues behind them;
//   - no frame of a subscription follows its kill (frames are enqueued
//     with sub.mu held and kill takes it), so none follows CLOSED or a
//     replacing REQ's EOSE;
//   - the queue is bounded by the connection's queue_bytes of frames;
//     a subscription whose event does not fit gets, after the events
//     queued before it, CLOSED "error: ..." and nothing more.
//
// broadcast runs inside wsconn's Server.Batch, and so does the reply
// chain's completion of an EVENT (its OK, then its broadcast): the
// connections it readies are written in one pass when it ends, by the
// broadcasting goroutine itself when the relay was quiet (no goroutine or
// thread wake-up per delivery), else by wsconn's flusher.
//
// When every deliver policy of the chain batches (policy.Chain.Batches; a
// Go plugin does), broadcast also groups an event's deliveries in batches
// of up to 64 subscriptions (deliverBatch): one policy call decides them
// all, made by whoever reaches the batch first, and a session that had
// nothing queued is served by the batch's runner goroutine instead of a
// deliverer of its own. A session waits for the others of its batch for
// at most one call per policy (bounded by the plugin's deadline; a failed
// batch leaves each session to decide alone). The queue order is kept:
// the batch entry sits in each member's queue like any other.
//
// Stored events go through the deliver hook on the session's own reader
// (sendStored), which is the session's own time.
//
// # Live settings
//
// Reconfigure swaps the settings a config reload may change (NIP-11
// fields, limits, negentropy, relay_url, trusted_proxies) as one immutable
// snapshot behind an atomic pointer; code reads it once per message,
// connection or request (Relay.cur) and never locks for it. A connection's
// queue_bytes, write_timeout, ping and idle timeouts and max_message_bytes
// are its Conn's, fixed when it was served (live.go).
//
// # Locking
//
// Lock order: session.mu, then the subscription index's lock, then sub.mu,
// then session.dq.mu (the delivery queue), then wsconn.Conn's lock.
// A negentropy session's negSession.mu is never held with session.mu.
// session.mu is held while calling out only by closeSub, around its index
// Remove; otherwise it is never held while calling the store, policies,
// the index or the connection. Code reached from broadcast (sub.deliver,
// pushLocked, Conn.SendParts) never calls back into the index, never takes
// session.mu and never blocks. Policies run with no relay lock held.
package relay
