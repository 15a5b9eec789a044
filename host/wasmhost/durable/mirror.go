package durable

import "github.com/relayd/relayd/sdk/abi"

// # Cluster mirror
//
// With [cluster] on, a Space is one node's copy of a namespace every node
// shares (package host/cluster/sharedstate). The shared log of the
// namespace's writes is a JetStream key-value bucket; the Space is the
// node's in-memory copy (reads never leave the node) and the store its
// local cache. The rules:
//
//   - A local write is checked and applied here as without a cluster, then
//     handed to the Mirror (Publish, which queues and never blocks) in the
//     order it was made. A Mirror whose queue is full refuses it, and the
//     write fails with ErrUnavailable (nothing applied).
//   - The Mirror publishes them one at a time, in order, and reports each
//     one's place in the log (its revision) once JetStream has it (Acked).
//   - Every entry of the shared log, the node's own included, comes back
//     through Apply, with its revision, in log order (a watcher may skip
//     an entry that a later one of the same key replaced). An entry for a
//     key with an own write not yet acknowledged is held back (the own
//     write may come later in the log); an entry older in the log than the
//     key's last own write is skipped. Once the own write is acknowledged,
//     a held-back entry later in the log than it is applied. Every other
//     entry is applied (and cached in the store like any write). So every
//     node ends with the log's last value of each key: last writer in log
//     order wins.
//   - Bounds (Limits) are checked against the node's view at write time;
//     entries from the log are never refused (refusing one would make the
//     node diverge), so concurrent writes on several nodes can take a
//     namespace past its bounds by what they write within one propagation
//     delay.
//   - Flush waits for the own writes to be acknowledged too: a management
//     method's answer means "in the cluster's log", which every connected
//     node applies within one message delay.

// Mirror carries a Space's writes to the shared log of a cluster.
type Mirror interface {
	// Publish queues own write number seq (1, 2, … in the order they are
	// made) of key: val, or a deletion. It must not block, nor call the
	// Space. It returns false when it cannot take more.
	Publish(seq uint64, key string, val []byte, del bool) bool
}

// SetMirror makes the Space publish its writes to m. Call it once, before
// any write, after Load.
func (s *Space) SetMirror(m Mirror) {
	s.mu.Lock()
	s.mirror = m
	s.keyMirror = map[string]*keyMirror{}
	s.mu.Unlock()
}

// keyMirror is what the mirror knows of one key.
type keyMirror struct {
	lastOwn uint64 // the key's last own write (its number)
	ownRev  uint64 // that write's revision, once acknowledged
	held    *heldEntry
}

// heldEntry is an entry held back while an own write is unacknowledged.
type heldEntry struct {
	rev uint64
	val []byte
	del bool
}

// publish hands the write of o to key to the mirror, if any; mu is held.
// It reports false when the mirror refused it.
func (s *Space) publish(k string, o *op) bool {
	if s.mirror == nil {
		return true
	}
	if !s.mirror.Publish(s.pubSeq+1, k, o.val, o.del) {
		return false
	}
	s.pubSeq++
	km := s.keyMirror[k]
	if km == nil {
		km = &keyMirror{}
		s.keyMirror[k] = km
	}
	km.lastOwn = s.pubSeq
	return true
}

// inFlight reports whether key k has an own write not yet acknowledged;
// mu is held.
func (s *Space) inFlight(k string) bool {
	km := s.keyMirror[k]
	return km != nil && km.lastOwn > s.mirrored
}

// Acked records that own write number seq, of key, is in the shared log at
// revision rev. The Mirror calls it in the order of the writes.
func (s *Space) Acked(seq uint64, key string, rev uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq > s.mirrored {
		s.mirrored = seq
		s.signal()
	}
	km := s.keyMirror[key]
	if km == nil || km.lastOwn != seq {
		return // a later own write of key is still in flight
	}
	km.ownRev = rev
	if h := km.held; h != nil && h.rev > rev {
		km.held = nil
		s.set(key, h.val, h.del)
		delete(s.keyMirror, key)
	}
	km.held = nil
}

// Apply applies the entry of the shared log at revision rev: key set to
// val, or deleted. Entries come in log order. See "Cluster mirror".
func (s *Space) Apply(key string, val []byte, del bool, rev uint64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.loaded || s.closed {
		return
	}
	if km := s.keyMirror[key]; km != nil {
		switch {
		case km.lastOwn > s.mirrored:
			if km.held == nil || rev > km.held.rev {
				km.held = &heldEntry{rev: rev, val: append([]byte{}, val...), del: del}
			}
			return
		case rev < km.ownRev:
			return
		}
		delete(s.keyMirror, key) // the log is past the own write
	}
	s.set(key, val, del)
}

// Reconcile deletes the keys the shared log does not have (present
// reports false for them) and that have no own write in flight: what a
// node cached while the rest of the cluster deleted it.
func (s *Space) Reconcile(present func(key string) bool) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	var gone []string
	for k := range s.vals {
		if !present(k) && !s.inFlight(k) {
			gone = append(gone, k)
		}
	}
	for _, k := range gone {
		s.set(k, nil, true)
	}
	return len(gone)
}

// Seed publishes every key of the namespace as an own write: how a node's
// state reaches a shared log that has none yet (the first node of a new
// cluster, with the state it kept alone). It returns how many it
// published, stopping at the first the mirror refuses.
func (s *Space) Seed() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for k, v := range s.vals {
		if !s.publish(k, &op{val: v}) {
			break
		}
		n++
	}
	return n
}

// set makes key val (or deletes it) in memory and records the write for
// the store; mu is held. No bounds are checked.
func (s *Space) set(k string, val []byte, del bool) {
	cur, found := s.vals[k]
	switch {
	case del && !found:
		return
	case del:
		delete(s.vals, k)
		s.keys.remove(k)
		s.bytes -= int64(len(k) + len(cur))
		s.pending[k] = &op{del: true}
	default:
		if found && string(cur) == string(val) {
			return
		}
		if found {
			s.bytes -= int64(len(k) + len(cur))
		} else {
			s.keys.insert(k)
		}
		v := append([]byte{}, val...)
		s.vals[k] = v
		s.bytes += int64(len(k) + len(v))
		s.pending[k] = &op{val: v}
	}
	s.seq++
	s.kick()
}

// signal wakes the waiters of Flush; mu is held.
func (s *Space) signal() {
	close(s.flushed)
	s.flushed = make(chan struct{})
}

// mirrorErrno is the answer to a write the mirror refused.
const mirrorErrno = abi.ErrUnavailable
