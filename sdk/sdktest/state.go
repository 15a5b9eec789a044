//go:build !wasip1

package sdktest

import (
	"bytes"
	"math"
	"sync"
	"time"
)

// state is an in-memory shared state with the relay's semantics, without
// its size bounds.
type state struct {
	mu       sync.Mutex
	counters map[string]*counter
	buckets  map[string]*bucket
	kv       map[string]*kvEntry
}

type counter struct {
	n       int64
	expires time.Time
}

type bucket struct {
	tokens float64
	last   time.Time
}

type kvEntry struct {
	val     []byte
	expires time.Time
}

func newState() *state {
	return &state{counters: map[string]*counter{}, buckets: map[string]*bucket{}, kv: map[string]*kvEntry{}}
}

func expiry(now time.Time, ttlMs int64) time.Time {
	if ttlMs <= 0 {
		return time.Time{}
	}
	return now.Add(time.Duration(ttlMs) * time.Millisecond)
}

func expired(exp, now time.Time) bool { return !exp.IsZero() && !now.Before(exp) }

func (s *state) counterAdd(key string, delta, ttlMs int64, now time.Time) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	c := s.counters[key]
	if c == nil || expired(c.expires, now) {
		c = &counter{expires: expiry(now, ttlMs)}
		s.counters[key] = c
	}
	c.n += delta
	return c.n
}

func (s *state) counterGet(key string, now time.Time) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	if c := s.counters[key]; c != nil && !expired(c.expires, now) {
		return c.n
	}
	return 0
}

func (s *state) take(key string, cost int64, rate float64, burst int64, now time.Time) int64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	b := s.buckets[key]
	if b == nil {
		b = &bucket{tokens: float64(burst), last: now}
		s.buckets[key] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(float64(burst), b.tokens+el*rate)
		b.last = now
	}
	if b.tokens >= float64(cost) {
		b.tokens -= float64(cost)
		return 0
	}
	ms := int64(math.Ceil((float64(cost) - b.tokens) / rate * 1000))
	return max(ms, 1)
}

func (s *state) kvGet(key string, now time.Time) ([]byte, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.kv[key]
	if e == nil || expired(e.expires, now) {
		return nil, false
	}
	return e.val, true
}

func (s *state) kvSet(key string, val []byte, ttlMs int64, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.kv[key] = &kvEntry{val: bytes.Clone(val), expires: expiry(now, ttlMs)}
}

func (s *state) kvCAS(key string, old []byte, absent bool, val []byte, ttlMs int64, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.kv[key]
	live := e != nil && !expired(e.expires, now)
	if absent && live || !absent && (!live || !bytes.Equal(e.val, old)) {
		return false
	}
	s.kv[key] = &kvEntry{val: bytes.Clone(val), expires: expiry(now, ttlMs)}
	return true
}

func (s *state) kvDelete(key string, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	e := s.kv[key]
	delete(s.kv, key)
	return e != nil && !expired(e.expires, now)
}
