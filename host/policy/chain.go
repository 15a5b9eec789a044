package policy

import (
	"context"
	"log/slog"
	"strings"
	"sync/atomic"
	"time"

	"github.com/nbd-wtf/go-nostr"
)

// Mode says whether a policy's verdicts are enforced.
type Mode uint8

// The modes.
const (
	// Enforce applies the policy's verdicts.
	Enforce Mode = 0
	// Shadow runs the policy and logs and counts what it would have refused,
	// but lets everything through.
	Shadow Mode = 1
)

// FailMode says what the chain does when a policy returns an error.
type FailMode uint8

// The fail modes.
const (
	// FailOpen treats a failed call as Accept.
	FailOpen FailMode = 0
	// FailClosed treats a failed call as Reject with "error: policy failed".
	FailClosed FailMode = 1
)

// Entry is one policy in a chain with its host settings.
type Entry struct {
	Policy Policy
	Mode   Mode
	OnErr  FailMode
	// Kinds, if not nil, limits the event hooks (HookEventPre, HookEvent,
	// HookDeliver) to events of these kinds; the chain skips the policy
	// for other kinds without calling it.
	Kinds []int
	// HookKinds, per hook, limits HookEventPre, HookEvent or HookDeliver
	// further to the kinds the policy declared it handles (a plugin's
	// hook_kinds); nil: every kind. A call is made only for a kind in both
	// Kinds and HookKinds[h]. For HookReq and HookCount it names the kinds
	// a filter's kinds list must hold one of for a call; filters without
	// such a list do not call (Kinds does not apply to them).
	HookKinds [maxHook + 1][]int
}

type entry struct {
	Entry
	rec   Recorder              // nil: calls are not measured (observe.go)
	kinds [maxHook + 1]*kindSet // per event or filter hook; nil: every kind
}

// kindHooks are the hooks Kinds and HookKinds apply to.
var kindHooks = [...]Hook{HookEventPre, HookEvent, HookDeliver}

// skips reports whether e is not to be called on hook h for kind.
func (e *entry) skips(h Hook, kind int) bool {
	return e.kinds[h] != nil && !e.kinds[h].has(kind)
}

// skipsFilters reports whether e is not to be called on filter hook h
// (HookReq, HookCount) for fs: it declared kinds for h and no filter's
// kinds list holds one.
func (e *entry) skipsFilters(h Hook, fs nostr.Filters) bool {
	ks := e.kinds[h]
	if ks == nil {
		return false
	}
	for i := range fs {
		for _, k := range fs[i].Kinds {
			if ks.has(k) {
				return false
			}
		}
	}
	return true
}

// skipsEvent is skips for ev's kind; it reads ev only if e has kinds.
func (e *entry) skipsEvent(h Hook, ev *nostr.Event) bool {
	return e.kinds[h] != nil && !e.kinds[h].has(ev.Kind)
}

// newKindSet is the set of kinds in both a and b (nil: every kind), or nil
// if both are nil.
func newKindSet(a, b []int) *kindSet {
	if a == nil && b == nil {
		return nil
	}
	var sa, sb kindSet
	fill := func(s *kindSet, ks []int) {
		if ks == nil {
			for i := range s {
				s[i] = ^uint64(0)
			}
		}
		for _, k := range ks {
			if k >= 0 && k < 65536 {
				s[k>>6] |= 1 << (k & 63)
			}
		}
	}
	fill(&sa, a)
	fill(&sb, b)
	for i := range sa {
		sa[i] &= sb[i]
	}
	return &sa
}

// kindSet is a bitmap of event kinds 0-65535.
type kindSet [65536 / 64]uint64

func (k *kindSet) has(kind int) bool {
	return kind >= 0 && kind < 65536 && k[kind>>6]&(1<<(kind&63)) != 0
}

// Chain is an ordered, immutable list of policies. It is safe for concurrent
// use. To change policies, build a new Chain and swap it in a Holder.
type Chain struct {
	entries  []*entry
	byHook   [maxHook + 1][]*entry
	log      *slog.Logger
	observed bool // the entries' recorders are set (observe.go)
}

// NewChain builds a chain that runs the entries in the order given. log
// receives shadow-mode and failure lines; nil discards them.
func NewChain(log *slog.Logger, entries ...Entry) *Chain {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Chain{log: log}
	for _, e := range entries {
		en := &entry{Entry: e}
		for _, h := range kindHooks {
			en.kinds[h] = newKindSet(e.Kinds, e.HookKinds[h])
		}
		for _, h := range [...]Hook{HookReq, HookCount} {
			en.kinds[h] = newKindSet(nil, e.HookKinds[h])
		}
		c.entries = append(c.entries, en)
		hs := e.Policy.Hooks()
		for h := HookConnect; h <= maxHook; h++ {
			if hs.Has(h) {
				c.byHook[h] = append(c.byHook[h], en)
			}
		}
	}
	return c
}

// Empty reports whether the chain has no policies.
func (c *Chain) Empty() bool { return c == nil || len(c.entries) == 0 }

// Has reports whether any policy in the chain implements h. The relay uses it
// to skip building inputs nobody reads.
func (c *Chain) Has(h Hook) bool { return c != nil && len(c.byHook[h]) > 0 }

// Wants reports whether a call of event hook h (HookEventPre, HookEvent,
// HookDeliver) for an event of this kind reaches any policy, after the
// entries' Kinds and HookKinds. The relay uses it to skip decoding a
// stored event that no deliver hook will see.
func (c *Chain) Wants(h Hook, kind int) bool {
	for _, e := range c.hooked(h) {
		if !e.skips(h, kind) {
			return true
		}
	}
	return false
}

// Entries returns the chain's entries in order.
func (c *Chain) Entries() []Entry {
	out := make([]Entry, len(c.entries))
	for i, e := range c.entries {
		out[i] = e.Entry
	}
	return out
}

// call runs one policy and applies its mode and fail mode. It returns the
// verdict to act on.
func (c *Chain) call(h Hook, e *entry, fn func() (Verdict, error)) Verdict {
	var start time.Time
	if e.rec != nil {
		start = time.Now()
	}
	v, err := fn()
	if e.rec != nil {
		e.rec.Record(h, v.Action, v.Prefix, err, time.Since(start))
	}
	return c.apply(h, e, v, err)
}

// apply applies e's mode and fail mode to a policy's answer.
func (c *Chain) apply(h Hook, e *entry, v Verdict, err error) Verdict {
	if err != nil {
		c.log.Warn("policy failed", "policy", e.Policy.Name(), "hook", h.String(), "err", err)
		return c.failed(e)
	}
	switch {
	case v.Final() && e.Mode == Shadow:
		c.log.Info("shadow policy would refuse", "policy", e.Policy.Name(), "hook", h.String(),
			"action", v.Action.String(), "reason", v.Reason())
		return Verdict{}
	case v.Final():
		v.Policy = e.Policy.Name()
	case v.Action == Rewrite && e.Mode == Shadow:
		return Verdict{}
	}
	return v
}

// failed is the verdict of a failed call of e: its fail mode.
func (c *Chain) failed(e *entry) Verdict {
	if e.OnErr == FailClosed && e.Mode == Enforce {
		return Verdict{Action: Reject, Prefix: PrefixError, Message: "policy " + e.Policy.Name() + " failed", Policy: e.Policy.Name()}
	}
	return Verdict{}
}

// Connect runs HookConnect. It returns the first final verdict, or Accept.
func (c *Chain) Connect(ctx context.Context, in *ConnInput) Verdict {
	for _, e := range c.hooked(HookConnect) {
		if v := c.call(HookConnect, e, func() (Verdict, error) { return e.Policy.Connect(ctx, in) }); v.Final() {
			return v
		}
	}
	return Verdict{}
}

// EventPre runs HookEventPre. It returns the first final verdict, or Accept.
func (c *Chain) EventPre(ctx context.Context, in *EventInput) Verdict {
	for _, e := range c.hooked(HookEventPre) {
		if e.skipsEvent(HookEventPre, in.Event) {
			continue
		}
		if v := c.call(HookEventPre, e, func() (Verdict, error) { return e.Policy.EventPre(ctx, in) }); v.Final() {
			return v
		}
	}
	return Verdict{}
}

// Event runs HookEvent. It returns the first final verdict, or Accept.
func (c *Chain) Event(ctx context.Context, in *EventInput) Verdict {
	for _, e := range c.hooked(HookEvent) {
		if e.skipsEvent(HookEvent, in.Event) {
			continue
		}
		if v := c.call(HookEvent, e, func() (Verdict, error) { return e.Policy.Event(ctx, in) }); v.Final() {
			return v
		}
	}
	return Verdict{}
}

// Filter runs HookReq or HookCount (in.Hook). A Rewrite replaces in.Filters
// for the policies after it. It returns the first final verdict, or a
// verdict whose Filters are the filters to use (Action Rewrite if any
// policy rewrote them).
func (c *Chain) Filter(ctx context.Context, in *FilterInput) Verdict {
	out := Verdict{Filters: in.Filters}
	for _, e := range c.hooked(in.Hook) {
		if e.skipsFilters(in.Hook, in.Filters) {
			continue
		}
		v := c.call(in.Hook, e, func() (Verdict, error) { return e.Policy.Filter(ctx, in) })
		if v.Final() {
			return v
		}
		if v.Action == Rewrite {
			in.Filters, in.filtersJSON = v.Filters, nil
			out = Verdict{Action: Rewrite, Filters: v.Filters}
		}
	}
	return out
}

// Auth runs HookAuth. It returns the first final verdict, or Accept.
func (c *Chain) Auth(ctx context.Context, in *AuthInput) Verdict {
	for _, e := range c.hooked(HookAuth) {
		if v := c.call(HookAuth, e, func() (Verdict, error) { return e.Policy.Auth(ctx, in) }); v.Final() {
			return v
		}
	}
	return Verdict{}
}

// Deliver runs HookDeliver. A Rewrite replaces in.Raw for the policies after
// it. It returns the first final verdict (drop the delivery), or a verdict
// whose Payload is the event JSON to send (Action Rewrite if any policy
// rewrote it).
func (c *Chain) Deliver(ctx context.Context, in *DeliverInput) Verdict {
	out := Verdict{Payload: in.Raw}
	for _, e := range c.hooked(HookDeliver) {
		if e.skipsEvent(HookDeliver, in.Event) {
			continue
		}
		v := c.call(HookDeliver, e, func() (Verdict, error) { return e.Policy.Deliver(ctx, in) })
		if v.Final() {
			return v
		}
		if v.Action == Rewrite {
			in.Raw = v.Payload
			out = Verdict{Action: Rewrite, Payload: v.Payload}
		}
	}
	return out
}

// Batches reports whether every policy of the chain with a deliver hook
// can decide a live event for many sessions at once (BatchDeliverer), so
// that the relay may use DeliverBatch. A chain with none is false.
func (c *Chain) Batches() bool {
	if !c.Has(HookDeliver) {
		return false
	}
	for _, e := range c.byHook[HookDeliver] {
		if bd, ok := e.Policy.(BatchDeliverer); !ok || !bd.BatchesDeliver() {
			return false
		}
	}
	return true
}

// DeliverBatch runs HookDeliver for one live event and many sessions, one
// call per policy, on a chain that Batches. out (len(out) ==
// len(in.Targets)) receives, per target, a final verdict (drop the
// delivery), Accept (send in.Raw), or Rewrite with a nil Payload: the
// session is undecided and the caller runs Deliver for it alone (a policy
// rewrote it, could not decide it in a batch, or the batch call failed).
// A policy sees only the targets still accepted by the policies before it.
func (c *Chain) DeliverBatch(ctx context.Context, in *DeliverBatchInput, out []Verdict) {
	clear(out)
	targets := in.Targets
	var idx []int // positions in out of the targets of the current call
	for _, e := range c.hooked(HookDeliver) {
		if e.skipsEvent(HookDeliver, in.Event) {
			continue
		}
		bd, ok := e.Policy.(BatchDeliverer)
		if !ok {
			for i := range out { // not a chain that Batches: undecided
				if out[i].Action == Accept {
					out[i] = Verdict{Action: Rewrite}
				}
			}
			return
		}
		// The targets every policy so far accepted; all of them (the
		// first policy, usually the only one) are decided in place.
		sub, vs := targets, out
		if n := countAccepted(out); n == 0 {
			return
		} else if n < len(out) {
			idx, sub, vs = idx[:0], make([]DeliverTarget, 0, n), make([]Verdict, n)
			for i, t := range targets {
				if out[i].Action == Accept {
					idx = append(idx, i)
					sub = append(sub, t)
				}
			}
		} else {
			idx = nil
		}
		var start time.Time
		if e.rec != nil {
			start = time.Now()
		}
		err := bd.DeliverBatch(ctx, &DeliverBatchInput{Event: in.Event, Raw: in.Raw, Targets: sub}, vs)
		if e.rec != nil {
			per := time.Since(start) / time.Duration(len(sub))
			for _, v := range vs {
				e.rec.Record(HookDeliver, v.Action, v.Prefix, err, per)
			}
		}
		if err != nil {
			// One line for the batch, not one per session. Each session
			// is then decided alone, so that a call that failed for one
			// (its deadline, say) fails only that one's delivery.
			c.log.Warn("policy failed", "policy", e.Policy.Name(), "hook", HookDeliver.String()+" (batch)",
				"err", err, "sessions", len(sub))
		}
		for j, v := range vs {
			i := j
			if idx != nil {
				i = idx[j]
			}
			if err != nil {
				out[i] = Verdict{Action: Rewrite}
				continue
			}
			if v.Action == Rewrite {
				v.Payload = nil
				if e.Mode == Shadow { // a shadow policy's rewrite is ignored
					out[i] = Verdict{}
					continue
				}
				out[i] = Verdict{Action: Rewrite}
				continue
			}
			out[i] = c.apply(HookDeliver, e, v, nil)
		}
	}
}

// countAccepted counts the verdicts that are Accept.
func countAccepted(vs []Verdict) int {
	n := 0
	for i := range vs {
		if vs[i].Action == Accept {
			n++
		}
	}
	return n
}

// Close runs HookClose on every policy that implements it.
func (c *Chain) Close(ctx context.Context, s *Session) {
	for _, e := range c.hooked(HookClose) {
		c.call(HookClose, e, func() (Verdict, error) { e.Policy.Close(ctx, s); return Verdict{}, nil })
	}
}

func (c *Chain) hooked(h Hook) []*entry {
	if c == nil {
		return nil
	}
	return c.byHook[h]
}

// Informer is implemented by policies that add to the relay's NIP-11
// document, e.g. {"min_pow_difficulty": 20} or {"auth_required": true}.
type Informer interface {
	// Limitation returns keys to merge into NIP-11 "limitation".
	Limitation() map[string]any
}

// Limitation merges the NIP-11 limitation keys of every enforcing policy
// that implements Informer, with MergeLimit.
func (c *Chain) Limitation() map[string]any {
	out := map[string]any{}
	if c == nil {
		return out
	}
	for _, e := range c.entries {
		inf, ok := e.Policy.(Informer)
		if !ok || e.Mode == Shadow {
			continue
		}
		for k, v := range inf.Limitation() {
			if old, seen := out[k]; seen {
				v = MergeLimit(k, old, v)
			}
			out[k] = v
		}
	}
	return out
}

// MergeLimit combines two values of one NIP-11 limitation key so that the
// result is the rule actually in force when both apply: for max_*,
// default_limit and created_at_* the smaller positive number; for min_*
// the larger; for booleans (auth_required, restricted_writes, ...) true
// wins. Anything else takes b.
func MergeLimit(key string, a, b any) any {
	if ab, ok := a.(bool); ok {
		if bb, ok := b.(bool); ok {
			return ab || bb
		}
		return b
	}
	an, aok := toFloat(a)
	bn, bok := toFloat(b)
	if !aok || !bok {
		return b
	}
	switch {
	case strings.HasPrefix(key, "min_"):
		if an > bn {
			return a
		}
		return b
	case strings.HasPrefix(key, "max_"), strings.HasPrefix(key, "created_at_"), key == "default_limit":
		switch {
		case an <= 0:
			return b
		case bn <= 0:
			return a
		case an < bn:
			return a
		}
		return b
	}
	return b
}

func toFloat(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// Holder holds the current chain and lets a reloader swap it atomically.
// Calls in flight keep the chain they loaded. The zero Holder holds no
// chain, which accepts everything.
type Holder struct {
	p   atomic.Pointer[Chain]
	obs Observer // set by Observe before the first Store
}

// Load returns the current chain (possibly nil, which accepts everything).
func (h *Holder) Load() *Chain { return h.p.Load() }

// Store swaps in c and returns the previous chain. With an Observer (see
// Observe), c's entries get their recorders first; c must then be a chain
// no caller uses yet.
func (h *Holder) Store(c *Chain) *Chain {
	if h.obs != nil {
		c.observe(h.obs)
	}
	return h.p.Swap(c)
}
