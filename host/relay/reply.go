package relay

import "time"

// replyChain keeps a session's replies in the order of the messages that
// caused them, although some complete later than others: an EVENT's OK
// waits for the store's group commit, while an invalid EVENT or a CLOSE
// right after it could be answered at once. Each message that will reply
// later takes a slot; replies behind an unfinished slot wait in their own
// slots. When the head slot completes, every finished slot from the head
// is sent in order, and its after action runs (broadcasting the event,
// switching a subscription to live).
//
// The chain is empty almost always (no commit in flight), and then a reply
// is sent straight to the connection.
type replyChain struct {
	head, tail *slot
	flushing   bool
}

// slot is one ordered reply.
type slot struct {
	done   bool
	frames [][]byte
	after  func()
	next   *slot
	okFrom time.Time // an EVENT's OK: when the EVENT was read (metrics.go)
}

// send queues frames after every earlier reply. It is called only by the
// session's reader.
func (s *session) send(frames ...[]byte) {
	s.mu.Lock()
	if s.chain.head == nil && !s.chain.flushing {
		s.mu.Unlock()
		for _, f := range frames {
			s.conn.Send(f)
		}
		return
	}
	s.chain.push(&slot{done: true, frames: frames})
	s.mu.Unlock()
}

// then runs fn after every earlier reply was sent (at once if none is
// pending). It is called only by the session's reader.
func (s *session) then(fn func()) {
	s.mu.Lock()
	if s.chain.head == nil && !s.chain.flushing {
		s.mu.Unlock()
		fn()
		return
	}
	s.chain.push(&slot{done: true, after: fn})
	s.mu.Unlock()
}

// idle reports whether no reply is pending, so the reader may write
// straight to the connection.
func (s *session) idle() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.chain.head == nil && !s.chain.flushing
}

// reserve takes a slot for the OK of the EVENT being handled, which
// completes later. It is called only by the session's reader.
func (s *session) reserve() *slot {
	sl := &slot{okFrom: s.recvAt}
	s.okLater = true
	s.mu.Lock()
	s.chain.push(sl)
	s.mu.Unlock()
	return sl
}

// complete fills a reserved slot and sends every finished reply from the
// head of the chain. It may be called from any goroutine.
func (s *session) complete(sl *slot, after func(), frames ...[]byte) {
	if !sl.okFrom.IsZero() {
		s.r.m.okLatency.Observe(time.Since(sl.okFrom).Seconds())
	}
	s.mu.Lock()
	sl.done, sl.frames, sl.after = true, frames, after
	if s.chain.flushing {
		s.mu.Unlock()
		return // the active flusher will reach this slot
	}
	s.chain.flushing = true
	for {
		var ready []*slot
		for s.chain.head != nil && s.chain.head.done {
			ready = append(ready, s.chain.head)
			s.chain.head = s.chain.head.next
		}
		if s.chain.head == nil {
			s.chain.tail = nil
		}
		if len(ready) == 0 {
			s.chain.flushing = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		for _, r := range ready {
			for _, f := range r.frames {
				s.conn.Send(f)
			}
			if r.after != nil {
				r.after()
			}
		}
		s.mu.Lock()
	}
}

func (c *replyChain) push(sl *slot) {
	if c.tail == nil {
		c.head, c.tail = sl, sl
		return
	}
	c.tail.next = sl
	c.tail = sl
}
