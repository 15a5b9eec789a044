package wasmhost

import (
	"context"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/sdk/abi"
)

// flags builds a hook's flags parameter.
func flags(s *policy.Session, src policy.Source) uint64 {
	f := uint32(src) & abi.FlagSourceMask
	if s != nil {
		f |= abi.FlagSession
		if s.Authed() != "" {
			f |= abi.FlagAuthed
		}
	}
	return uint64(f)
}

func sessionID(s *policy.Session) uint64 {
	if s == nil {
		return 0
	}
	return s.ID
}

func sourceOf(s *policy.Session) policy.Source {
	if s == nil {
		return policy.SourceImport
	}
	return s.Source()
}

// setEvent fills the hook parameters for an event: session, kind,
// created_at, received_at, content bytes, tag count, flags.
func (inst *instance) setEvent(s *policy.Session, ev *nostr.Event, recv int64, src policy.Source) {
	st := inst.stack
	st[0] = sessionID(s)
	st[1] = uint64(uint32(ev.Kind))
	st[2] = uint64(ev.CreatedAt)
	st[3] = uint64(recv)
	st[4] = uint64(uint32(len(ev.Content)))
	st[5] = uint64(uint32(len(ev.Tags)))
	st[6] = flags(s, src)
}

// Connect runs relayd_on_connect.
func (p *Plugin) Connect(_ context.Context, in *policy.ConnInput) (policy.Verdict, error) {
	inst, err := p.acquire()
	if err != nil {
		return policy.Verdict{}, err
	}
	s := in.Session
	inst.in = callInput{hook: abi.HookConnect, sess: s}
	st := inst.stack
	st[0], st[1], st[2], st[3], st[4], st[5], st[6] = sessionID(s), 0, uint64(connectedAt(s)), 0, 0, 0, flags(s, sourceOf(s))
	return p.run(inst, abi.HookConnect)
}

func connectedAt(s *policy.Session) int64 {
	if s == nil {
		return 0
	}
	return s.ConnectedAt
}

// EventPre runs relayd_on_event_pre.
func (p *Plugin) EventPre(_ context.Context, in *policy.EventInput) (policy.Verdict, error) {
	return p.event(abi.HookEventPre, in)
}

// Event runs relayd_on_event.
func (p *Plugin) Event(_ context.Context, in *policy.EventInput) (policy.Verdict, error) {
	return p.event(abi.HookEvent, in)
}

func (p *Plugin) event(h abi.Hook, in *policy.EventInput) (policy.Verdict, error) {
	inst, err := p.acquire()
	if err != nil {
		return policy.Verdict{}, err
	}
	inst.in = callInput{hook: h, sess: in.Session, ev: in.Event, raw: in.Raw, source: in.Source, sourceInfo: in.SourceInfo, receivedAt: in.ReceivedAt}
	inst.setEvent(in.Session, in.Event, in.ReceivedAt, in.Source)
	return p.run(inst, h)
}

// Filter runs relayd_on_req or relayd_on_count (in.Hook).
func (p *Plugin) Filter(_ context.Context, in *policy.FilterInput) (policy.Verdict, error) {
	h := abi.Hook(in.Hook)
	if h != abi.HookReq && h != abi.HookCount {
		return policy.Verdict{}, nil
	}
	inst, err := p.acquire()
	if err != nil {
		return policy.Verdict{}, err
	}
	s := in.Session
	inst.in = callInput{hook: h, sess: s, subID: in.SubID, filters: in}
	st := inst.stack
	st[0], st[1], st[2], st[3], st[4], st[5], st[6] = sessionID(s), 0, 0, 0, 0, uint64(uint32(len(in.Filters))), flags(s, sourceOf(s))
	return p.run(inst, h)
}

// Auth runs relayd_on_auth.
func (p *Plugin) Auth(_ context.Context, in *policy.AuthInput) (policy.Verdict, error) {
	inst, err := p.acquire()
	if err != nil {
		return policy.Verdict{}, err
	}
	inst.in = callInput{hook: abi.HookAuth, sess: in.Session, ev: in.Event}
	inst.setEvent(in.Session, in.Event, 0, sourceOf(in.Session))
	return p.run(inst, abi.HookAuth)
}

// Deliver runs relayd_on_deliver.
func (p *Plugin) Deliver(_ context.Context, in *policy.DeliverInput) (policy.Verdict, error) {
	inst, err := p.acquire()
	if err != nil {
		return policy.Verdict{}, err
	}
	inst.in = callInput{hook: abi.HookDeliver, sess: in.Session, ev: in.Event, raw: in.Raw, subID: in.SubID}
	inst.setEvent(in.Session, in.Event, 0, sourceOf(in.Session))
	return p.run(inst, abi.HookDeliver)
}

// Close runs relayd_on_close. Errors are counted but not returned: a close
// cannot be refused.
func (p *Plugin) Close(_ context.Context, s *policy.Session) {
	inst, err := p.acquire()
	if err != nil {
		return
	}
	inst.in = callInput{hook: abi.HookClose, sess: s}
	st := inst.stack
	st[0], st[1], st[2], st[3], st[4], st[5], st[6] = sessionID(s), 0, 0, 0, 0, 0, flags(s, sourceOf(s))
	_, _ = p.run(inst, abi.HookClose)
}
