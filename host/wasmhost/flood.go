package wasmhost

import (
	"context"
	"errors"
	"log/slog"
	"maps"
	"slices"
	"sync"
	"time"
)

// Messages whose lines floodHandler caps: lines that can come once per
// call or per restart. msgCallFailed is host/policy.Chain's.
const (
	msgCallFailed = "policy failed"
	msgRecycled   = "plugin instance recycled"
	msgSummary    = "plugin log lines suppressed"
)

// floodHandler caps the host's lines about each plugin, so that a broken
// plugin called 4,000 times a second cannot flood the log: within a
// window (Options.LogSummaryEvery, default one minute, from the first such
// line), the first line of each kind about a plugin is written and the
// others are counted; at the end of the window one summary line per
// plugin gives the counts by kind and the last error. Kinds are the
// failure of a call by its error (timeout, stack_limit, trap,
// bad_verdict, tripped, busy, start, closed, other), a failed restart
// (start_failed), a recycled instance (recycle) and a failed tick
// (tick_failed when relayd_on_tick returned an error, else tick_ and the
// kind of its failure: tick_timeout, tick_trap...). Every other line
// passes. The guest's own lines have their own cap (logLimiter).
type floodHandler struct {
	next   slog.Handler
	plugin string // from WithAttrs("plugin", …)
	st     *floodState
}

// floodState is shared by a floodHandler and its WithAttrs children.
type floodState struct {
	every time.Duration
	out   slog.Handler // the unwrapped handler, for summaries
	mu    sync.Mutex
	win   map[string]*floodWindow // by plugin name
	done  bool
}

// floodWindow is one plugin's current window.
type floodWindow struct {
	seen    map[string]bool
	counts  map[string]int
	lastErr string
	timer   *time.Timer
}

func newFloodHandler(next slog.Handler, every time.Duration) *floodHandler {
	return &floodHandler{next: next, st: &floodState{every: every, out: next, win: map[string]*floodWindow{}}}
}

// Enabled implements slog.Handler.
func (h *floodHandler) Enabled(ctx context.Context, l slog.Level) bool { return h.next.Enabled(ctx, l) }

// WithAttrs implements slog.Handler; it remembers a "plugin" attribute.
func (h *floodHandler) WithAttrs(as []slog.Attr) slog.Handler {
	c := *h
	c.next = h.next.WithAttrs(as)
	for _, a := range as {
		if a.Key == "plugin" {
			c.plugin = a.Value.String()
		}
	}
	return &c
}

// WithGroup implements slog.Handler.
func (h *floodHandler) WithGroup(name string) slog.Handler {
	c := *h
	c.next = h.next.WithGroup(name)
	return &c
}

// Handle implements slog.Handler.
func (h *floodHandler) Handle(ctx context.Context, r slog.Record) error {
	if plugin, kind, errText := h.classify(r); kind != "" && !h.st.admit(plugin, kind, errText) {
		return nil
	}
	return h.next.Handle(ctx, r)
}

// classify returns the plugin and kind of a capped line; kind "" means
// the line is not capped.
func (h *floodHandler) classify(r slog.Record) (plugin, kind, errText string) {
	switch r.Message {
	case msgCallFailed, msgStartFailed, msgRecycled, msgTickFailed:
	default:
		return "", "", ""
	}
	plugin = h.plugin
	var err error
	r.Attrs(func(a slog.Attr) bool {
		switch a.Key {
		case "policy", "plugin":
			plugin = a.Value.String()
		case "err":
			errText = a.Value.String()
			err, _ = a.Value.Any().(error)
		}
		return true
	})
	switch r.Message {
	case msgStartFailed:
		return plugin, "start_failed", errText
	case msgRecycled:
		return plugin, "recycle", ""
	case msgTickFailed:
		if errors.Is(err, errTickFailed) {
			return plugin, "tick_failed", errText
		}
		return plugin, "tick_" + failureKind(err), errText
	}
	return plugin, failureKind(err), errText
}

// failureKind names the kind of a failed call.
func failureKind(err error) string {
	for _, k := range []struct {
		err  error
		name string
	}{
		{ErrTimeout, "timeout"}, {ErrStackLimit, "stack_limit"}, {ErrTrap, "trap"}, {ErrBadVerdict, "bad_verdict"},
		{ErrTripped, "tripped"}, {ErrBusy, "busy"}, {ErrStart, "start"}, {ErrClosed, "closed"},
	} {
		if errors.Is(err, k.err) {
			return k.name
		}
	}
	return "other"
}

// admit reports whether a line of kind about plugin is written, and
// counts it if not.
func (s *floodState) admit(plugin, kind, errText string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.done {
		return true
	}
	w := s.win[plugin]
	if w == nil {
		w = &floodWindow{seen: map[string]bool{}, counts: map[string]int{}}
		s.win[plugin] = w
		w.timer = time.AfterFunc(s.every, func() { s.flush(plugin) })
	}
	if !w.seen[kind] {
		w.seen[kind] = true
		return true
	}
	w.counts[kind]++
	if errText != "" {
		w.lastErr = errText
	}
	return false
}

// flush ends plugin's window, writing its summary if it suppressed
// anything.
func (s *floodState) flush(plugin string) {
	s.mu.Lock()
	w := s.win[plugin]
	delete(s.win, plugin)
	s.mu.Unlock()
	if w != nil {
		s.summary(plugin, w)
	}
}

func (s *floodState) summary(plugin string, w *floodWindow) {
	if len(w.counts) == 0 {
		return
	}
	total := 0
	var counts []any
	for _, k := range slices.Sorted(maps.Keys(w.counts)) {
		total += w.counts[k]
		counts = append(counts, slog.Int(k, w.counts[k]))
	}
	r := slog.NewRecord(time.Now(), slog.LevelWarn, msgSummary, 0)
	r.AddAttrs(slog.String("plugin", plugin), slog.Duration("window", s.every), slog.Int("suppressed", total),
		slog.Group("counts", counts...))
	if w.lastErr != "" {
		r.AddAttrs(slog.String("last_err", w.lastErr))
	}
	_ = s.out.Handle(context.Background(), r)
}

// close writes every pending summary; later lines all pass.
func (s *floodState) close() {
	s.mu.Lock()
	wins := s.win
	s.win, s.done = nil, true
	s.mu.Unlock()
	for _, plugin := range slices.Sorted(maps.Keys(wins)) {
		wins[plugin].timer.Stop()
		s.summary(plugin, wins[plugin])
	}
}
