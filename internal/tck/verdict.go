package tck

import (
	"context"
	"encoding/json"
	"fmt"
	"log/slog"
	"reflect"
	"strings"
	"sync"

	"github.com/relayd/relayd/host/policy"
)

// actionNames are the case names of the actions.
var actionNames = map[policy.Action]string{
	policy.Accept: "accept", policy.Reject: "reject", policy.ShadowReject: "shadow",
	policy.Rewrite: "rewrite", policy.RateLimited: "ratelimit",
}

// prefixNames are the case names of the prefixes, by number (Prefix's
// String folds default into blocked; the kit tells them apart).
var prefixNames = []string{"default", "blocked", "rate-limited", "invalid", "restricted", "auth-required", "pow", "duplicate", "error", "mute"}

func prefixName(p policy.Prefix) string {
	if int(p) < len(prefixNames) {
		return prefixNames[p]
	}
	return fmt.Sprintf("prefix(%d)", p)
}

func checkVerdict(w *Want, h policy.Hook, v policy.Verdict, err error) []string {
	if w.Action == "error" {
		if err == nil {
			return []string{fmt.Sprintf("got %s, want a plugin error", actionNames[v.Action])}
		}
		return nil
	}
	if err != nil {
		return []string{"plugin error: " + err.Error()}
	}
	var probs []string
	if got := actionNames[v.Action]; got != w.Action {
		probs = append(probs, fmt.Sprintf("action %s, want %s", got, w.Action))
	}
	if w.Prefix != nil && prefixName(v.Prefix) != *w.Prefix {
		probs = append(probs, fmt.Sprintf("prefix %s, want %s", prefixName(v.Prefix), *w.Prefix))
	}
	if w.Message != nil && v.Message != *w.Message {
		probs = append(probs, fmt.Sprintf("message %q, want %q", v.Message, *w.Message))
	}
	if len(w.Output) > 0 {
		var got any = v.Filters
		if h == policy.HookDeliver || h == policy.HookManage {
			got = json.RawMessage(v.Payload)
		}
		if d := jsonDiff(w.Output, got); d != "" {
			probs = append(probs, "output: "+d)
		}
	}
	return probs
}

// jsonDiff compares want (JSON) with got (marshalled to JSON) as values,
// and says how they differ, or "".
func jsonDiff(want json.RawMessage, got any) string {
	gb, err := json.Marshal(got)
	if err != nil {
		return err.Error()
	}
	var w, g any
	if err := json.Unmarshal(want, &w); err != nil {
		return "bad want: " + err.Error()
	}
	if err := json.Unmarshal(gb, &g); err != nil {
		return fmt.Sprintf("got %s, not JSON", gb)
	}
	if !reflect.DeepEqual(w, g) {
		return fmt.Sprintf("got %s, want %s", gb, want)
	}
	return ""
}

// logSink is a slog.Handler that keeps the plugin's own log lines (source
// guest) as "level message".
type logSink struct {
	mu    sync.Mutex
	guest []string
}

// Enabled implements slog.Handler: every level, so log_enabled is true.
func (l *logSink) Enabled(context.Context, slog.Level) bool { return true }

// Handle implements slog.Handler.
func (l *logSink) Handle(_ context.Context, r slog.Record) error {
	guest := false
	r.Attrs(func(a slog.Attr) bool {
		if a.Key == "source" && a.Value.String() == "guest" {
			guest = true
		}
		return true
	})
	if guest {
		l.mu.Lock()
		l.guest = append(l.guest, strings.ToLower(r.Level.String())+" "+r.Message)
		l.mu.Unlock()
	}
	return nil
}

// WithAttrs implements slog.Handler.
func (l *logSink) WithAttrs([]slog.Attr) slog.Handler { return l }

// WithGroup implements slog.Handler.
func (l *logSink) WithGroup(string) slog.Handler { return l }

func (l *logSink) reset() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.guest = nil
}

func (l *logSink) lines() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return append([]string{}, l.guest...)
}
