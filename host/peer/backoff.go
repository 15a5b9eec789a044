package peer

import (
	"context"
	"math/rand/v2"
	"sync"
	"time"
)

// backoff returns the wait before retry number attempt (from 0): min·2^n
// capped at max, of which a random half is jitter, so that peers that
// failed together do not retry together.
func backoff(attempt int, lo, hi time.Duration) time.Duration {
	d := hi
	if attempt < 32 && lo<<attempt > 0 && lo<<attempt < hi {
		d = lo << attempt
	}
	return d/2 + rand.N(d/2+1)
}

// sleep waits d, or until ctx ends (false).
func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-ctx.Done():
		return false
	}
}

// pacer is a token bucket: at most rate messages a second, in bursts of
// at most rate. Safe for concurrent use.
type pacer struct {
	mu     sync.Mutex
	rate   float64
	tokens float64
	last   time.Time
}

func newPacer(rate int) *pacer {
	return &pacer{rate: float64(rate), tokens: float64(rate), last: time.Now()}
}

// wait takes one token, waiting for it if the bucket is empty.
func (p *pacer) wait(ctx context.Context) error {
	p.mu.Lock()
	now := time.Now()
	p.tokens = min(p.rate, p.tokens+now.Sub(p.last).Seconds()*p.rate)
	p.last = now
	p.tokens--
	short := -p.tokens
	p.mu.Unlock()
	if short <= 0 {
		return nil
	}
	if !sleep(ctx, time.Duration(short/p.rate*float64(time.Second))) {
		return ctx.Err()
	}
	return nil
}

// logLimiter lets one line through per interval and counts the others.
type logLimiter struct {
	mu      sync.Mutex
	every   time.Duration
	last    time.Time
	dropped int
}

// allow reports whether a line may be logged now, and how many were left
// out since the last one.
func (l *logLimiter) allow() (bool, int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	if !l.last.IsZero() && now.Sub(l.last) < l.every {
		l.dropped++
		return false, 0
	}
	d := l.dropped
	l.last, l.dropped = now, 0
	return true, d
}
