// Package subindex finds the live subscriptions whose filters match a new
// event, without scanning all of them.
//
// Each filter is indexed under its most selective dimension: its ids, else
// its authors, else one of its single-letter tags (the one with the fewest
// values), else its kinds, else a wildcard list. Matching an event looks up
// the event's id, pubkey, each (tag letter, first value) pair and kind,
// plus the wildcard list, and confirms each candidate against the whole
// filter. So the cost of Match grows with the number of candidates, not
// with the number of subscriptions.
//
// # Locking
//
// An Index is safe for concurrent use. It has one sync.RWMutex: Add, Remove
// and RemoveSession take it for writing, Match and Len for reading. Match
// calls fn with the read lock held, so fn must be quick and must not call
// any method of the same Index (a write would deadlock, and so can a
// nested Match once a writer is waiting).
package subindex
