package tck

import (
	"context"
	"encoding/json"
	"fmt"
	"net/netip"
	"strings"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
)

// hooks are the hook names of the cases.
var hooks = map[string]policy.Hook{
	"connect": policy.HookConnect, "event_pre": policy.HookEventPre, "event": policy.HookEvent,
	"req": policy.HookReq, "count": policy.HookCount, "auth": policy.HookAuth,
	"deliver": policy.HookDeliver, "close": policy.HookClose, "manage": policy.HookManage,
}

// ManageMethod is the management method every TCK plugin serves; a manage
// case calls it with its command as the only param.
const ManageMethod = "tck"

// TickHook is the hook name of a tick case: it waits for the plugin's
// first tick (a load with [config] tick = true), which adds 1 to the
// shared counter TickCounter, and answers accept.
const TickHook = "tick"

// TickCounter is the shared counter a TCK plugin's tick adds 1 to.
const TickCounter = "tck-ticks"

// The defaults of a case's input (sdk/tck/README.md).
const (
	defaultSessionID   = 7
	defaultIP          = "203.0.113.7"
	defaultCreatedAt   = 1700000000
	defaultReceivedAt  = 1700000001
	defaultConnectedAt = 1700000002
	// CommandHeader is the request header that carries the command of a
	// connect or close call.
	CommandHeader = "x-tck"
)

// input is a case's call, built.
type input struct {
	hook    policy.Hook
	cmd     string // a manage case's command
	sess    *policy.Session
	event   *nostr.Event
	raw     []byte
	filters nostr.Filters
	sub     string
	source  policy.Source
	recv    int64
}

func buildInput(c *Case) (*input, error) {
	in := &input{hook: hooks[c.Hook], recv: defaultReceivedAt, sub: c.Sub, cmd: c.Cmd}
	if c.ReceivedAt != 0 {
		in.recv = c.ReceivedAt
	}
	s, err := buildSession(c)
	if err != nil {
		return nil, err
	}
	in.sess = s
	in.source = s.Source()
	if c.Source != "" {
		src, ok := parseSource(c.Source)
		if !ok {
			return nil, fmt.Errorf("source %q", c.Source)
		}
		in.source = src
		if src > policy.SourceIP6 {
			in.sess = nil // not from a client
		}
	}
	switch in.hook {
	case policy.HookEventPre, policy.HookEvent, policy.HookAuth, policy.HookDeliver:
		if in.event, in.raw, err = buildEvent(c); err != nil {
			return nil, err
		}
	case policy.HookReq, policy.HookCount:
		in.sub = c.Cmd
		f := c.Filters
		if len(f) == 0 {
			f = json.RawMessage(`[{"kinds":[1]}]`)
		}
		if err := json.Unmarshal(f, &in.filters); err != nil {
			return nil, fmt.Errorf("filters: %w", err)
		}
	}
	if in.hook == policy.HookDeliver && in.sub == "" {
		in.sub = "sub"
	}
	return in, nil
}

func buildSession(c *Case) (*policy.Session, error) {
	spec := SessionSpec{}
	if c.Session != nil {
		spec = *c.Session
	}
	s := &policy.Session{ID: defaultSessionID, IP: netip.MustParseAddr(defaultIP), ConnectedAt: defaultConnectedAt, Headers: map[string]string{}}
	if spec.ID != 0 {
		s.ID = spec.ID
	}
	if spec.IP != "" {
		ip, err := netip.ParseAddr(spec.IP)
		if err != nil {
			return nil, fmt.Errorf("session ip: %w", err)
		}
		s.IP = ip
	}
	for k, v := range spec.Headers {
		s.Headers[strings.ToLower(k)] = v
	}
	if c.Hook == "connect" || c.Hook == "close" {
		s.Headers[CommandHeader] = c.Cmd
	}
	if spec.Authed != "" {
		s.SetAuthed(spec.Authed)
	}
	return s, nil
}

func buildEvent(c *Case) (*nostr.Event, []byte, error) {
	m := map[string]any{
		"id": strings.Repeat("e", 64), "pubkey": strings.Repeat("a", 64), "created_at": defaultCreatedAt,
		"kind": 1, "tags": []any{}, "sig": strings.Repeat("f", 128),
	}
	for k, v := range c.Event {
		m[k] = v
	}
	m["content"] = c.Cmd
	b, err := json.Marshal(m)
	if err != nil {
		return nil, nil, fmt.Errorf("event: %w", err)
	}
	ev := &nostr.Event{}
	if err := ev.UnmarshalJSON(b); err != nil {
		return nil, nil, fmt.Errorf("event: %w", err)
	}
	raw, err := ev.MarshalJSON()
	if err != nil {
		return nil, nil, fmt.Errorf("event: %w", err)
	}
	return ev, raw, nil
}

func parseSource(name string) (policy.Source, bool) {
	for s := policy.SourceIP4; s <= policy.SourceStored; s++ {
		if s.String() == name {
			return s, true
		}
	}
	return 0, false
}

// call makes the hook call.
func (in *input) call(ctx context.Context, p policy.Policy) (policy.Verdict, error) {
	switch in.hook {
	case policy.HookConnect:
		return p.Connect(ctx, &policy.ConnInput{Session: in.sess})
	case policy.HookEventPre, policy.HookEvent:
		ei := &policy.EventInput{Session: in.sess, Event: in.event, Raw: in.raw, ReceivedAt: in.recv, Source: in.source}
		if in.hook == policy.HookEventPre {
			return p.EventPre(ctx, ei)
		}
		return p.Event(ctx, ei)
	case policy.HookReq, policy.HookCount:
		return p.Filter(ctx, &policy.FilterInput{Session: in.sess, Hook: in.hook, SubID: in.sub, Filters: in.filters})
	case policy.HookAuth:
		return p.Auth(ctx, &policy.AuthInput{Session: in.sess, Event: in.event})
	case policy.HookDeliver:
		return p.Deliver(ctx, &policy.DeliverInput{Session: in.sess, SubID: in.sub, Event: in.event, Raw: in.raw})
	}
	p.Close(ctx, in.sess)
	return policy.Verdict{}, nil
}
