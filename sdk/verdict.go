package sdk

import "github.com/relayd/relayd/sdk/abi"

// Prefix is the NIP-01 machine-readable prefix of a refusal ("blocked:").
type Prefix = abi.Prefix

// The prefixes.
const (
	Default      Prefix = abi.PrefixDefault // blocked, or rate-limited for RateLimited
	Blocked      Prefix = abi.PrefixBlocked
	RateLimit    Prefix = abi.PrefixRateLimited
	Invalid      Prefix = abi.PrefixInvalid
	Restricted   Prefix = abi.PrefixRestricted
	AuthRequired Prefix = abi.PrefixAuthRequired
	PoW          Prefix = abi.PrefixPow
	Duplicate    Prefix = abi.PrefixDuplicate
	ErrorPrefix  Prefix = abi.PrefixError
	Mute         Prefix = abi.PrefixMute
)

// Action is what a verdict tells the relay to do.
type Action = abi.Action

// Verdict is a handler's answer. The zero Verdict accepts.
type Verdict struct {
	action  Action
	prefix  Prefix
	message string
	output  []byte
}

// Accept lets the message through to the next policy.
func Accept() Verdict { return Verdict{} }

// Reject refuses the message with a NIP-01 prefix and a human-readable
// message ("blocked: no DMs"). On deliver it drops the delivery.
func Reject(p Prefix, msg string) Verdict {
	return Verdict{action: abi.ActionReject, prefix: p, message: msg}
}

// ShadowReject answers an EVENT with OK true but neither stores nor
// broadcasts it. On other hooks it refuses without a message.
func ShadowReject() Verdict { return Verdict{action: abi.ActionShadowReject} }

// RateLimited refuses with the "rate-limited:" prefix.
func RateLimited(msg string) Verdict {
	return Verdict{action: abi.ActionRateLimited, prefix: abi.PrefixRateLimited, message: msg}
}

// RewriteFilters replaces the filters of a REQ or COUNT with filtersJSON, a
// JSON array of filter objects.
func RewriteFilters(filtersJSON []byte) Verdict {
	return Verdict{action: abi.ActionRewrite, output: filtersJSON}
}

// RewriteEvent replaces the event JSON sent in a delivery.
func RewriteEvent(eventJSON []byte) Verdict {
	return Verdict{action: abi.ActionRewrite, output: eventJSON}
}

// Action returns the verdict's action.
func (v Verdict) Action() Action { return v.action }

// Prefix returns the verdict's prefix.
func (v Verdict) Prefix() Prefix { return v.prefix }

// Message returns the verdict's message.
func (v Verdict) Message() string { return v.message }

// Output returns the rewritten filters or event JSON of a Rewrite verdict.
func (v Verdict) Output() []byte { return v.output }
