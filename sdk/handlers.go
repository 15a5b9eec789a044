package sdk

import (
	"runtime"

	"github.com/relayd/relayd/sdk/abi"
	"github.com/relayd/relayd/sdk/internal/imports"
)

// The registered handlers. A wasm instance is single-threaded and handlers
// are registered in init, before the host calls anything.
var (
	onConnect    func(Session) Verdict
	onEventPre   func(Event) Verdict
	onEvent      func(Event) Verdict
	onReq        func(Req) Verdict
	onCount      func(Req) Verdict
	onAuth       func(Event) Verdict
	onDeliver    func(Event) Verdict
	onClose      func(Session)
	onInit       func() error
	onLimitation func() map[string]any
	onTick       func() error
	hooks        abi.HookMask
	calls        uint32
)

// yieldEvery is how many hook calls pass between two runtime.Gosched calls.
// Without a yield, Go's background GC work never runs in a reactor and the
// heap outgrows the live set (see RATIONALE.md, "WASM host").
const yieldEvery = 16

func register(h abi.Hook, set bool) {
	if set {
		hooks = hooks.With(h)
	} else {
		hooks &^= 1 << h
	}
}

// OnConnect handles new connections, before the websocket upgrade.
func OnConnect(fn func(Session) Verdict) { onConnect = fn; register(abi.HookConnect, fn != nil) }

// OnEventPre handles incoming events before their signature is checked:
// the place for cheap checks that shed load (rate limits by IP).
func OnEventPre(fn func(Event) Verdict) { onEventPre = fn; register(abi.HookEventPre, fn != nil) }

// OnEvent handles incoming events whose id and signature are valid.
func OnEvent(fn func(Event) Verdict) { onEvent = fn; register(abi.HookEvent, fn != nil) }

// OnReq handles REQs: accept, reject, or RewriteFilters. The filter of a
// NIP-77 NEG-OPEN (negentropy sync) comes here too, as a one-filter REQ.
func OnReq(fn func(Req) Verdict) { onReq = fn; register(abi.HookReq, fn != nil) }

// OnCount handles COUNTs (NIP-45): accept, reject, or RewriteFilters.
func OnCount(fn func(Req) Verdict) { onCount = fn; register(abi.HookCount, fn != nil) }

// OnAuth handles NIP-42 AUTH events that passed the relay's checks; the
// event's Pubkey is the key the session authenticates as.
func OnAuth(fn func(Event) Verdict) { onAuth = fn; register(abi.HookAuth, fn != nil) }

// OnDeliver handles each live event about to be sent to one session:
// Reject drops it, RewriteEvent replaces its JSON.
//
// A relay with abi.FeatureDeliverBatch calls it for a live event's
// receiving sessions in one batch call (one guest entry per event instead
// of one per session, which is most of a Go deliver hook's cost); the
// handler is written the same way and sees one session at a time. A
// RewriteEvent in a batch is answered in a second call for that session
// alone, so such a handler runs twice for it.
func OnDeliver(fn func(Event) Verdict) {
	onDeliver = fn
	register(abi.HookDeliver, fn != nil)
	register(abi.HookDeliverBatch, fn != nil)
}

// OnClose is told when a session ends.
func OnClose(fn func(Session)) { onClose = fn; register(abi.HookClose, fn != nil) }

// OnInit runs once per instance when the relay loads the plugin, after
// init; read and check the config here. An error refuses the load (the
// previous version of the plugin keeps running).
func OnInit(fn func() error) { onInit = fn }

// OnTick registers fn as the plugin's periodic work: the relay calls it
// right after it loads the plugin, then tick_ms (NAME.toml, default one
// minute) after each call ended, on an instance of its own with a deadline
// of its own (tick_timeout_ms, default 30 s), never two at once. The place
// to recompute from the store (StoreQuery) what the hooks read. An error
// is logged by the relay; the hooks go on. Globals set in fn are the tick
// instance's own: hand results to the hooks through durable state (sdk/db)
// or shared state (KVSet).
func OnTick(fn func() error) { onTick = fn; register(abi.HookTick, fn != nil) }

// OnLimitation reports keys the relay merges into the NIP-11 "limitation"
// object, e.g. {"min_pow_difficulty": 20}. Values may be bool, int, int64,
// float64 or string. It is called once per load.
func OnLimitation(fn func() map[string]any) { onLimitation = fn }

func initGuest() int32 {
	if onInit != nil {
		if err := onInit(); err != nil {
			msg := err.Error()
			if len(msg) > abi.MaxMessageLen {
				msg = msg[:abi.MaxMessageLen]
			}
			imports.SetOutput(uint32(abi.OutputMessage), []byte(msg))
			return -1
		}
	}
	manageMethods()
	return int32(hooks)
}

// tick runs the OnTick handler: 0, or -1 with the error as the message.
func tick() int32 {
	if onTick == nil {
		return 0
	}
	err := onTick()
	callGen++ // the views made during the tick expire with it
	if err == nil {
		return 0
	}
	msg := err.Error()
	if len(msg) > abi.MaxMessageLen {
		msg = msg[:abi.MaxMessageLen]
	}
	imports.SetOutput(uint32(abi.OutputMessage), []byte(msg))
	return -1
}

func limitation() int32 {
	if onLimitation == nil {
		return 0
	}
	b, err := encodeLimits(onLimitation())
	if err != nil {
		return int32(abi.ErrInvalid)
	}
	return imports.SetOutput(uint32(abi.OutputLimitation), b)
}

// dispatch runs the handler for hook h and returns the packed verdict.
func dispatch(h abi.Hook, session uint64, kind uint32, createdAt, receivedAt int64, size, count, flags uint32) uint32 {
	s := Session{id: session, flags: flags, gen: callGen}
	ev := Event{session: s, kind: kind, createdAt: createdAt, receivedAt: receivedAt, contentLen: size, tagCount: count}
	var v Verdict
	switch h {
	case abi.HookConnect:
		v = call(onConnect, s)
	case abi.HookEventPre:
		v = call(onEventPre, ev)
	case abi.HookEvent:
		v = call(onEvent, ev)
	case abi.HookReq:
		v = call(onReq, Req{session: s, size: size, count: count})
	case abi.HookCount:
		v = call(onCount, Req{session: s, size: size, count: count})
	case abi.HookAuth:
		v = call(onAuth, ev)
	case abi.HookDeliver:
		v = call(onDeliver, ev)
	case abi.HookClose:
		if onClose != nil {
			onClose(s)
		}
	case abi.HookManage:
		v = manage()
	}
	callGen++ // the views of this call expire as it returns
	if calls++; calls%yieldEvery == 0 {
		runtime.Gosched()
	}
	return emit(h, v)
}

func call[T any](fn func(T) Verdict, arg T) Verdict {
	if fn == nil {
		return Verdict{}
	}
	return fn(arg)
}

// emit hands the verdict's message and output to the host and packs it.
func emit(h abi.Hook, v Verdict) uint32 {
	if v.message != "" {
		msg := v.message
		if len(msg) > abi.MaxMessageLen {
			msg = msg[:abi.MaxMessageLen]
		}
		imports.SetOutput(uint32(abi.OutputMessage), []byte(msg))
	}
	if v.action == abi.ActionRewrite {
		kind := abi.OutputFilters
		if h == abi.HookDeliver {
			kind = abi.OutputPayload
		}
		imports.SetOutput(uint32(kind), v.output)
	}
	return abi.PackVerdict(v.action, v.prefix)
}

// DeliverKinds tells the relay that the OnDeliver handler acts only on
// events of these kinds (0-65535): the relay then skips the call, and the
// decoding of a stored event for it, for every other kind, as if the
// handler had accepted. Call it in the OnInit handler; an empty list or a
// call elsewhere is an error. A relay without the feature
// (abi.FeatureHookKinds) calls the handler for every kind, so the handler
// must still accept the kinds it does not handle.
func DeliverKinds(kinds ...int) error {
	return hookKinds("DeliverKinds", abi.FeatureHookKinds, kinds, abi.HookDeliver)
}

// FilterKinds tells the relay that the OnReq and OnCount handlers act only
// on filters whose kinds list names one of these kinds (0-65535): the relay
// then skips the call for a REQ or COUNT none of whose filters has such a
// list (a filter without a kinds list included), as if the handler had
// accepted. Call it in the OnInit handler; an empty list or a call
// elsewhere is an error. A relay without the feature
// (abi.FeatureFilterKinds) calls the handlers for every REQ and COUNT, so
// they must still accept the filters they do not act on.
func FilterKinds(kinds ...int) error {
	return hookKinds("FilterKinds", abi.FeatureFilterKinds, kinds, abi.HookReq, abi.HookCount)
}

// hookKinds checks kinds and, when the host has feature f, declares them
// for each of hooks with the hook_kinds host function; op names the
// caller in an error.
func hookKinds(op string, f abi.Feature, kinds []int, hooks ...abi.Hook) error {
	if len(kinds) == 0 {
		return &Error{Op: op, Code: abi.ErrInvalid}
	}
	ks := make([]uint32, len(kinds))
	for i, k := range kinds {
		if k < 0 || k > 65535 {
			return &Error{Op: op, Code: abi.ErrInvalid}
		}
		ks[i] = uint32(k)
	}
	if imports.Features()&uint64(f) == 0 {
		return nil
	}
	for _, h := range hooks {
		if err := check(op, imports.HookKinds(uint32(h), ks)); err != nil {
			return err
		}
	}
	return nil
}
