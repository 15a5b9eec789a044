package wasmhost

import (
	"bytes"
	"context"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/sdk/abi"
)

// Export kinds that are not hooks, for instance.cur.
const (
	curInit       abi.Hook = 0x100
	curLimitation abi.Hook = 0x101
	curTick       abi.Hook = 0x102
)

// callInput is what the host functions may read during one export call.
// It holds the caller's values by reference; an instance clears it after
// the call.
type callInput struct {
	hook       abi.Hook
	sess       *policy.Session
	ev         *nostr.Event
	raw        []byte
	subID      string
	filters    *policy.FilterInput
	source     policy.Source
	sourceInfo string
	receivedAt int64
	method     string // manage
	params     []byte // manage: a JSON array
	// batch are the receiving sessions of relayd_on_deliver_batch; sess
	// and subID are those of the one select_session chose.
	batch []policy.DeliverTarget
	out   []policy.Verdict // where relayd_on_deliver_batch's verdicts go
}

// field returns input f as a string or as bytes (one of the two), or an
// error code. Derived fields (JSON, text) are built once per call into
// inst.buf.
func (inst *instance) field(f abi.Field) (string, []byte, abi.Errno) {
	in, p := &inst.in, inst.p
	switch f {
	case abi.FieldConfig:
		return "", p.set.config, abi.OK
	case abi.FieldPluginName:
		return p.name, nil, abi.OK
	case abi.FieldRelayVersion:
		return p.env.relayVersion, nil, abi.OK
	case abi.FieldIP, abi.FieldAuthed, abi.FieldConnectedAt:
		return inst.sessionField(f)
	case abi.FieldFilters:
		if in.hook != abi.HookReq && in.hook != abi.HookCount {
			return "", nil, abi.ErrNotFound
		}
		// Built once per REQ for every plugin of the chain.
		return "", in.filters.FiltersJSON(), abi.OK
	case abi.FieldMethod, abi.FieldParams:
		if in.hook != abi.HookManage {
			return "", nil, abi.ErrNotFound
		}
		if f == abi.FieldMethod {
			return in.method, nil, abi.OK
		}
		return "", in.params, abi.OK
	case abi.FieldSubID:
		if in.hook != abi.HookReq && in.hook != abi.HookCount && in.hook != abi.HookDeliver && in.hook != abi.HookDeliverBatch {
			return "", nil, abi.ErrNotFound
		}
		return in.subID, nil, abi.OK
	case abi.FieldSessions:
		if in.hook != abi.HookDeliverBatch {
			return "", nil, abi.ErrNotFound
		}
		return inst.derived(f, inst.appendSessions)
	}
	if f == 0 || f > abi.MaxField {
		return "", nil, abi.ErrInvalid
	}
	return inst.eventField(f)
}

func (inst *instance) sessionField(f abi.Field) (string, []byte, abi.Errno) {
	s := inst.in.sess
	if s == nil {
		return "", nil, abi.ErrNotFound
	}
	switch f {
	case abi.FieldIP:
		if !s.IP.IsValid() {
			return "", nil, abi.ErrNotFound
		}
		return inst.derived(f, func(b []byte) []byte { return s.IP.AppendTo(b) })
	case abi.FieldAuthed:
		if a := s.Authed(); a != "" {
			return a, nil, abi.OK
		}
		return "", nil, abi.ErrNotFound
	}
	return inst.derived(f, func(b []byte) []byte { return strconv.AppendInt(b, s.ConnectedAt, 10) })
}

func (inst *instance) eventField(f abi.Field) (string, []byte, abi.Errno) {
	in := &inst.in
	ev := in.ev
	if ev == nil {
		return "", nil, abi.ErrNotFound
	}
	switch f {
	case abi.FieldEventID:
		return ev.ID, nil, abi.OK
	case abi.FieldPubkey:
		return ev.PubKey, nil, abi.OK
	case abi.FieldContent:
		return ev.Content, nil, abi.OK
	case abi.FieldSig:
		return ev.Sig, nil, abi.OK
	case abi.FieldTags:
		return inst.derived(f, func(b []byte) []byte { return appendTags(b, ev.Tags) })
	case abi.FieldRaw:
		if in.raw != nil {
			return "", in.raw, abi.OK
		}
		return inst.derived(f, func(b []byte) []byte {
			out, _ := ev.MarshalJSON()
			return append(b, out...)
		})
	case abi.FieldStrfryInput:
		if in.hook != abi.HookEventPre && in.hook != abi.HookEvent {
			return "", nil, abi.ErrNotFound
		}
		return inst.derived(f, inst.appendStrfryInput)
	}
	return "", nil, abi.ErrNotFound
}

// derived returns field f built by build into inst.buf, building it only on
// the first read of f in this call. Only one derived field is cached at a
// time; reading another rebuilds.
func (inst *instance) derived(f abi.Field, build func([]byte) []byte) (string, []byte, abi.Errno) {
	if inst.bufField != f {
		inst.buf = build(inst.buf[:0])
		inst.bufField = f
	}
	if inst.buf == nil {
		inst.buf = []byte{}
	}
	return "", inst.buf, abi.OK
}

// appendStrfryInput writes strfry's plugin input line:
// {"type":"new","event":{...},"receivedAt":N,"sourceType":"IP4",
// "sourceInfo":"1.2.3.4","authed":"<hex>"}.
func (inst *instance) appendStrfryInput(b []byte) []byte {
	in := &inst.in
	b = append(b, `{"type":"new","event":`...)
	if in.raw != nil {
		b = append(b, in.raw...)
	} else {
		out, _ := in.ev.MarshalJSON()
		b = append(b, out...)
	}
	b = append(b, `,"receivedAt":`...)
	b = strconv.AppendInt(b, in.receivedAt, 10)
	b = append(b, `,"sourceType":"`...)
	b = append(b, in.source.String()...)
	b = append(b, `","sourceInfo":`...)
	switch {
	case in.sourceInfo != "":
		b = appendJSONString(b, in.sourceInfo)
	case in.sess != nil && in.sess.IP.IsValid():
		b = append(b, '"')
		b = in.sess.IP.AppendTo(b)
		b = append(b, '"')
	default:
		b = append(b, `""`...)
	}
	if in.sess != nil {
		if a := in.sess.Authed(); a != "" {
			b = append(b, `,"authed":`...)
			b = appendJSONString(b, a)
		}
	}
	return append(b, '}')
}

func appendTags(b []byte, tags nostr.Tags) []byte {
	b = append(b, '[')
	for i, t := range tags {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, '[')
		for j, el := range t {
			if j > 0 {
				b = append(b, ',')
			}
			b = appendJSONString(b, el)
		}
		b = append(b, ']')
	}
	return append(b, ']')
}

func appendJSONString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
		case c < utf8.RuneSelf:
			b = append(b, c)
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
			continue
		}
		i++
	}
	return append(b, '"')
}

// storeCountTimeout bounds one store_count call.
const storeCountTimeout = 100 * time.Millisecond

// storeCount runs store_count: one filter, bounded by the smaller of the
// plugin's call deadline and storeCountTimeout. ctx is the instance's
// context, so a watchdog cancel also ends the count.
func (inst *instance) storeCount(ctx context.Context, filter []byte) (int64, abi.Errno) {
	st := inst.p.env.store
	if st == nil {
		return 0, abi.ErrUnavailable
	}
	var f nostr.Filter
	if err := f.UnmarshalJSON(bytes.Clone(filter)); err != nil {
		return 0, abi.ErrInvalid
	}
	ctx, cancel := context.WithTimeout(ctx, min(storeCountTimeout, inst.p.set.timeout))
	defer cancel()
	n, err := st.Count(ctx, f)
	switch {
	case err == nil:
		return n, abi.OK
	case ctx.Err() != nil:
		return 0, abi.ErrTimeout
	}
	return 0, abi.ErrInternal
}
