package wasmhost

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"github.com/relayd/relayd/sdk/abi"
)

// Log rate cap per plugin: logBurst lines at once, logRate per second.
const (
	logRate  = 20
	logBurst = 100
)

// logLimiter is a token bucket for a plugin's log lines; it counts what it
// drops and reports the count with the next line that gets through.
type logLimiter struct {
	mu      sync.Mutex
	tokens  float64
	last    time.Time
	dropped int
}

func (l *logLimiter) init() { l.tokens, l.last = logBurst, time.Now() }

func (l *logLimiter) allow() (ok bool, dropped int) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := time.Now()
	l.tokens = min(logBurst, l.tokens+now.Sub(l.last).Seconds()*logRate)
	l.last = now
	if l.tokens < 1 {
		l.dropped++
		return false, 0
	}
	l.tokens--
	d := l.dropped
	l.dropped = 0
	return true, d
}

// logLine writes one guest log line, rate-capped.
func (p *Plugin) logLine(lvl slog.Level, msg string) {
	if !p.log.Enabled(context.Background(), lvl) {
		return
	}
	ok, dropped := p.logs.allow()
	if !ok {
		return
	}
	if dropped > 0 {
		p.log.Log(context.Background(), lvl, msg, "source", "guest", "dropped_before", dropped)
		return
	}
	p.log.Log(context.Background(), lvl, msg, "source", "guest")
}

func slogLevel(l abi.LogLevel) (slog.Level, bool) {
	switch l {
	case abi.LogDebug:
		return slog.LevelDebug, true
	case abi.LogInfo:
		return slog.LevelInfo, true
	case abi.LogWarn:
		return slog.LevelWarn, true
	case abi.LogError:
		return slog.LevelError, true
	}
	return 0, false
}
