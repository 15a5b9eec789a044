package policy

import "github.com/nbd-wtf/go-nostr"

// Hook names one point in the relay's message paths.
type Hook uint8

// The hooks. The numbers match sdk/abi and never change.
const (
	HookConnect  Hook = 1
	HookEventPre Hook = 2
	HookEvent    Hook = 3
	HookReq      Hook = 4
	HookCount    Hook = 5
	HookAuth     Hook = 6
	HookDeliver  Hook = 7
	HookClose    Hook = 8
	// HookManage is a NIP-86 management method routed to a plugin
	// (host/wasmhost Manager.Manage). The chain never runs it; it is a
	// hook so that the operator's hooks setting, the plugin's hook list
	// and its metrics cover it like the others.
	HookManage Hook = 9
)

// maxHook is the highest Hook number.
const maxHook = HookManage

// String returns the hook's name as used in config files and logs.
func (h Hook) String() string {
	switch h {
	case HookConnect:
		return "connect"
	case HookEventPre:
		return "event_pre"
	case HookEvent:
		return "event"
	case HookReq:
		return "req"
	case HookCount:
		return "count"
	case HookAuth:
		return "auth"
	case HookDeliver:
		return "deliver"
	case HookClose:
		return "close"
	case HookManage:
		return "manage"
	}
	return "unknown"
}

// ParseHook is the inverse of Hook.String.
func ParseHook(name string) (Hook, bool) {
	for h := HookConnect; h <= maxHook; h++ {
		if h.String() == name {
			return h, true
		}
	}
	return 0, false
}

// HookSet is a set of hooks, one bit per Hook number.
type HookSet uint32

// Hooks builds a HookSet.
func Hooks(hs ...Hook) HookSet {
	var s HookSet
	for _, h := range hs {
		s |= 1 << h
	}
	return s
}

// Has reports whether h is in the set.
func (s HookSet) Has(h Hook) bool { return s&(1<<h) != 0 }

// List returns the hooks in the set in number order.
func (s HookSet) List() []Hook {
	var out []Hook
	for h := HookConnect; h <= maxHook; h++ {
		if s.Has(h) {
			out = append(out, h)
		}
	}
	return out
}

// Action is what a verdict tells the relay to do.
type Action uint8

// The actions. The numbers match sdk/abi and never change. The zero value
// accepts.
const (
	// Accept lets the message through to the next policy.
	Accept Action = 0
	// Reject refuses the message: OK false for an EVENT, CLOSED for a REQ or
	// COUNT, a refused upgrade for a connection, a dropped delivery.
	Reject Action = 1
	// ShadowReject answers OK true but neither stores nor broadcasts the
	// event. On other hooks it behaves as Reject, without a message.
	ShadowReject Action = 2
	// Rewrite replaces the message: new filters for REQ and COUNT, a new
	// event JSON for a delivery. On other hooks it is treated as Accept.
	Rewrite Action = 3
	// RateLimited refuses with the "rate-limited:" prefix.
	RateLimited Action = 4
)

// String returns the action's name.
func (a Action) String() string {
	switch a {
	case Accept:
		return "accept"
	case Reject:
		return "reject"
	case ShadowReject:
		return "shadowReject"
	case Rewrite:
		return "rewrite"
	case RateLimited:
		return "rateLimited"
	}
	return "unknown"
}

// Prefix is a NIP-01 machine-readable prefix for OK and CLOSED messages.
type Prefix uint8

// The prefixes. The numbers match sdk/abi and never change. The zero value
// means "the default for the action": blocked for Reject, rate-limited for
// RateLimited.
const (
	PrefixDefault      Prefix = 0
	PrefixBlocked      Prefix = 1
	PrefixRateLimited  Prefix = 2
	PrefixInvalid      Prefix = 3
	PrefixRestricted   Prefix = 4
	PrefixAuthRequired Prefix = 5
	PrefixPow          Prefix = 6
	PrefixDuplicate    Prefix = 7
	PrefixError        Prefix = 8
	PrefixMute         Prefix = 9
)

// String returns the prefix as it appears on the wire, without the colon.
func (p Prefix) String() string {
	switch p {
	case PrefixBlocked, PrefixDefault:
		return "blocked"
	case PrefixRateLimited:
		return "rate-limited"
	case PrefixInvalid:
		return "invalid"
	case PrefixRestricted:
		return "restricted"
	case PrefixAuthRequired:
		return "auth-required"
	case PrefixPow:
		return "pow"
	case PrefixDuplicate:
		return "duplicate"
	case PrefixError:
		return "error"
	case PrefixMute:
		return "mute"
	}
	return "blocked"
}

// Verdict is a policy's answer. The zero Verdict accepts.
type Verdict struct {
	Action Action
	// Prefix and Message form the reason sent to the client for Reject and
	// RateLimited ("blocked: no spam here").
	Prefix  Prefix
	Message string
	// Filters replace the REQ or COUNT filters when Action is Rewrite.
	Filters nostr.Filters
	// Payload replaces the delivered event JSON when Action is Rewrite on
	// HookDeliver.
	Payload []byte
	// Policy is the name of the policy that gave a final verdict. The chain
	// fills it in.
	Policy string
}

// Final reports whether the verdict ends the walk along the chain.
func (v Verdict) Final() bool {
	return v.Action == Reject || v.Action == ShadowReject || v.Action == RateLimited
}

// Reason returns the NIP-01 reason string, "prefix: message".
func (v Verdict) Reason() string {
	p := v.Prefix
	if p == PrefixDefault && v.Action == RateLimited {
		p = PrefixRateLimited
	}
	if v.Message == "" {
		return p.String() + ":"
	}
	return p.String() + ": " + v.Message
}

// RejectWith is a shorthand for a Reject verdict.
func RejectWith(p Prefix, msg string) Verdict {
	return Verdict{Action: Reject, Prefix: p, Message: msg}
}
