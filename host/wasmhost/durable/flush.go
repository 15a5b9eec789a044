package durable

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/relayd/relayd/host/store"
)

// The flusher: it commits a Space's pending writes through the store's
// writer, and Flush and Close wait for it (see "Durability" in the package
// doc).

// Flush waits until every write accepted before the call is committed, or
// ctx ends; with a cluster mirror, also until the own writes are back from
// the shared log.
func (s *Space) Flush(ctx context.Context) error {
	s.mu.Lock()
	target, pubTarget := s.seq, s.pubSeq
	for s.durable < target || s.mirrored < pubTarget {
		if errors.Is(s.lastErr, store.ErrClosed) {
			err := fmt.Errorf("durable: plugin %s: %d writes not committed: %w", s.ns, len(s.pending), s.lastErr)
			s.mu.Unlock()
			return err
		}
		ch := s.flushed
		s.kick()
		s.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			s.mu.RLock()
			n, m := len(s.pending), s.pubSeq-s.mirrored
			s.mu.RUnlock()
			return fmt.Errorf("durable: plugin %s: %d writes not committed, %d not acknowledged by the cluster: %w", s.ns, n, m, ctx.Err())
		}
		s.mu.Lock()
	}
	s.mu.Unlock()
	return nil
}

// Close flushes, waiting at most until ctx ends, and stops the flusher.
// Later writes fail with ErrReadOnly. Writes it could not commit are lost;
// the error says how many.
func (s *Space) Close(ctx context.Context) error {
	err := s.Flush(ctx)
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	close(s.stop)
	select {
	case <-s.done:
	case <-ctx.Done(): // a flush in flight ends when the store answers it
	}
	if err != nil {
		s.log.Error("plugin state: writes lost at close", "err", err)
	}
	return err
}

// retry bounds for a failed flush.
const (
	minRetry = 100 * time.Millisecond
	maxRetry = 5 * time.Second
)

// run is the flusher: it commits the pending writes when woken, and
// retries a failed flush with a backoff.
func (s *Space) run() {
	defer close(s.done)
	var retry <-chan time.Time
	backoff := minRetry
	for {
		retry = nil
		if err := s.Load(); err != nil {
			s.loadFailed(err, backoff)
			retry = time.After(backoff)
			backoff = min(2*backoff, maxRetry)
		} else if err := s.flush(); err != nil {
			s.flushFailed(err, backoff)
			retry = time.After(backoff)
			backoff = min(2*backoff, maxRetry)
		} else {
			backoff = minRetry
		}
		select {
		case <-s.stop:
			return
		case <-s.wake:
		case <-retry:
		}
	}
}

func (s *Space) loadFailed(err error, backoff time.Duration) {
	s.mu.Lock()
	first := !s.failing
	s.failing = true
	s.mu.Unlock()
	if first {
		s.log.Error("plugin state: cannot read it from the store; its calls report ErrUnavailable until it can",
			"plugin", s.ns, "retry", backoff, "err", err)
	}
}

func (s *Space) flushFailed(err error, backoff time.Duration) {
	s.mu.Lock()
	first := !s.failing
	s.failing, s.lastErr = true, err
	n := len(s.pending)
	// Wake Flush: it gives up on a closed store.
	close(s.flushed)
	s.flushed = make(chan struct{})
	s.mu.Unlock()
	if first {
		s.log.Error("plugin state: writes not committed yet; retrying, and they stay visible meanwhile",
			"plugin", s.ns, "pending", n, "retry", backoff, "err", err)
	}
}

// flush commits the pending writes, in requests of at most
// store.MaxStateWriteBytes, and drops from the overlay those that were not
// written again meanwhile.
func (s *Space) flush() error {
	s.mu.Lock()
	if len(s.pending) == 0 {
		s.mu.Unlock()
		return nil
	}
	upto := s.seq
	keys := make([]string, 0, len(s.pending))
	ops := make([]*op, 0, len(s.pending))
	for k, o := range s.pending {
		keys = append(keys, k)
		ops = append(ops, o)
	}
	s.mu.Unlock()

	var reqs []request
	start, size := 0, 0
	for i, k := range keys {
		n := len(k) + len(ops[i].val)
		if size+n > store.MaxStateWriteBytes && i > start {
			reqs = append(reqs, s.submit(keys[start:i], ops[start:i]))
			start, size = i, 0
		}
		size += n
	}
	reqs = append(reqs, s.submit(keys[start:], ops[start:]))

	errs := make([]error, len(reqs))
	for i, r := range reqs {
		errs[i] = <-r.res
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for j, r := range reqs {
		if errs[j] != nil {
			continue
		}
		for i, k := range r.keys {
			if s.pending[k] == r.ops[i] {
				delete(s.pending, k)
			}
		}
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("durable: plugin %s: %w", s.ns, err)
	}
	if s.failing {
		s.failing, s.lastErr = false, nil
		s.log.Info("plugin state: pending writes committed", "plugin", s.ns)
	}
	s.durable = upto
	if len(s.pending) == 0 {
		s.durable = s.seq
	}
	close(s.flushed)
	s.flushed = make(chan struct{})
	return nil
}

// request is one StateWrite in flight.
type request struct {
	keys []string
	ops  []*op
	res  chan error
}

func (s *Space) submit(keys []string, ops []*op) request {
	r := request{keys: keys, ops: ops, res: make(chan error, 1)}
	w := make([]store.StateOp, len(keys))
	for i, k := range keys {
		w[i] = store.StateOp{Key: []byte(k), Value: ops[i].val, Delete: ops[i].del}
	}
	s.be.StateWrite(s.ns, w, func(err error) { r.res <- err })
	return r
}
