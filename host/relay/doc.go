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
// # Locking
//
// Lock order: the subscription index's lock, then sub.mu, then
// wsconn.Conn's lock. A negentropy session's negSession.mu is never held
// with session.mu. session.mu is never held while calling out (store,
// policies, index, connection). broadcast runs with the index read-locked:
// code reached from it (sub.deliver, the deliver hook, Conn.SendParts)
// never calls back into the index and never blocks.
package relay
