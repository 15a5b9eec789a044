// Package policy is the relay's extension point: an ordered chain of policies
// that the relay core calls in each of its message paths, before anything is
// stored, broadcast or enqueued to a session.
//
// The relay calls the chain on:
//
//   - connection open (HookConnect), before the websocket upgrade;
//   - each incoming EVENT before its signature is checked (HookEventPre), so a
//     cheap IP rate limit can shed load before the ~27 µs verify;
//   - each incoming EVENT after the id and signature check (HookEvent);
//   - each REQ (HookReq) and COUNT (HookCount): reject, or rewrite the filters;
//     the filter of a NIP-77 NEG-OPEN goes through HookReq too;
//   - each AUTH (HookAuth), after the NIP-42 checks passed;
//   - each outgoing delivery of a live event to a session (HookDeliver): drop
//     or rewrite, before the frame is enqueued;
//   - session close (HookClose), for bookkeeping only.
//
// A Policy is written in Go (tests, built-ins) or loaded from WebAssembly by
// host/wasmhost; the chain does not know which. This package imports no
// wazero and no store.
package policy

import (
	"context"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/envelope"
)

// Policy is one link of the chain. Implementations must be safe for
// concurrent use: the relay calls them from many sessions at once.
//
// Hooks reports which hook methods the policy implements; the chain never
// calls a method whose hook is not in the set, so an absent hook costs
// nothing. Embed Base to get accepting defaults for the rest.
//
// A method returns an error when the policy itself failed (a trapped or
// timed-out plugin, for instance). The chain then applies the entry's
// FailMode instead of the verdict.
type Policy interface {
	// Name identifies the policy in logs, metrics and NIP-01 messages.
	Name() string
	// Hooks is the set of hooks this policy implements. It must not change
	// while the policy is in a chain.
	Hooks() HookSet
	// Connect decides on a new connection, before the websocket upgrade.
	Connect(ctx context.Context, in *ConnInput) (Verdict, error)
	// EventPre decides on an incoming EVENT before its signature is checked.
	// in.Event is parsed but not yet verified.
	EventPre(ctx context.Context, in *EventInput) (Verdict, error)
	// Event decides on an incoming EVENT whose id and signature are valid.
	Event(ctx context.Context, in *EventInput) (Verdict, error)
	// Filter decides on a REQ or a COUNT (in.Hook tells which). Rewrite
	// replaces the filters with Verdict.Filters.
	Filter(ctx context.Context, in *FilterInput) (Verdict, error)
	// Auth decides on a NIP-42 AUTH whose event passed the relay's checks.
	Auth(ctx context.Context, in *AuthInput) (Verdict, error)
	// Deliver decides on one live event about to be enqueued to one session.
	// Reject and ShadowReject drop the delivery silently; Rewrite replaces
	// the event JSON with Verdict.Payload.
	Deliver(ctx context.Context, in *DeliverInput) (Verdict, error)
	// Close tells the policy a session ended. It cannot veto anything.
	Close(ctx context.Context, s *Session)
}

// Base implements every hook of Policy by accepting. Embed it in a native
// policy and override the hooks you need; report them in Hooks.
type Base struct{}

// Connect accepts.
func (Base) Connect(context.Context, *ConnInput) (Verdict, error) { return Verdict{}, nil }

// EventPre accepts.
func (Base) EventPre(context.Context, *EventInput) (Verdict, error) { return Verdict{}, nil }

// Event accepts.
func (Base) Event(context.Context, *EventInput) (Verdict, error) { return Verdict{}, nil }

// Filter accepts.
func (Base) Filter(context.Context, *FilterInput) (Verdict, error) { return Verdict{}, nil }

// Auth accepts.
func (Base) Auth(context.Context, *AuthInput) (Verdict, error) { return Verdict{}, nil }

// Deliver accepts.
func (Base) Deliver(context.Context, *DeliverInput) (Verdict, error) { return Verdict{}, nil }

// Close does nothing.
func (Base) Close(context.Context, *Session) {}

// Source says where an event came from, as strfry's plugin input does.
type Source uint8

// The sources. The numbers match sdk/abi and never change.
const (
	SourceIP4    Source = 0
	SourceIP6    Source = 1
	SourceImport Source = 2
	SourceStream Source = 3
	SourceSync   Source = 4
	SourceStored Source = 5
)

// String returns strfry's name for the source ("IP4", "IP6", ...).
func (s Source) String() string {
	switch s {
	case SourceIP4:
		return "IP4"
	case SourceIP6:
		return "IP6"
	case SourceImport:
		return "Import"
	case SourceStream:
		return "Stream"
	case SourceSync:
		return "Sync"
	case SourceStored:
		return "Stored"
	}
	return "Unknown"
}

// ConnInput is what a policy sees of a new connection.
type ConnInput struct {
	Session *Session
}

// EventInput is what a policy sees of an incoming EVENT.
type EventInput struct {
	Session *Session
	// Event is the parsed event. Policies must not modify it.
	Event *nostr.Event
	// Raw is the event object's JSON as the relay will store it. Read only.
	Raw []byte
	// ReceivedAt is when the relay read the message, in unix seconds.
	ReceivedAt int64
	// Source is where the event came from.
	Source Source
	// SourceInfo says more about a source that is not a client session:
	// the peer's URL for SourceSync, the file for SourceImport (strfry's
	// sourceInfo). Empty for client sessions, whose IP is in Session.
	SourceInfo string
}

// FilterInput is what a policy sees of a REQ or COUNT.
type FilterInput struct {
	Session *Session
	// Hook is HookReq or HookCount.
	Hook Hook
	// SubID is the client's subscription id.
	SubID string
	// Filters are the filters as the client sent them, or as an earlier
	// policy in the chain rewrote them. Policies must not modify them;
	// return Rewrite with new filters instead.
	Filters nostr.Filters

	// filtersJSON caches FiltersJSON; the chain clears it on a rewrite.
	filtersJSON []byte
}

// FiltersJSON returns Filters as a JSON array, built once for all the
// policies of a chain that read it and again after a rewrite. The result is
// shared: do not modify it.
func (in *FilterInput) FiltersJSON() []byte {
	if in.filtersJSON == nil {
		in.filtersJSON = envelope.AppendFilters(make([]byte, 0, 512), in.Filters)
	}
	return in.filtersJSON
}

// AuthInput is what a policy sees of a NIP-42 AUTH.
type AuthInput struct {
	Session *Session
	// Event is the kind 22242 event; the relay has checked it.
	Event *nostr.Event
}

// DeliverInput is what a policy sees of one live delivery.
type DeliverInput struct {
	Session *Session
	// SubID is the subscription the event matched.
	SubID string
	// Event is the parsed event. Policies must not modify it.
	Event *nostr.Event
	// Raw is the event's JSON as it would be sent. Read only.
	Raw []byte
}

// DeliverTarget is one receiving session of a batched delivery.
type DeliverTarget struct {
	Session *Session
	// SubID is the subscription the event matched.
	SubID string
}

// DeliverBatchInput is one live event on its way to several sessions.
type DeliverBatchInput struct {
	// Event is the parsed event. Policies must not modify it.
	Event *nostr.Event
	// Raw is the event's JSON as it would be sent. Read only.
	Raw []byte
	// Targets are the receiving sessions, one per matched subscription.
	Targets []DeliverTarget
}

// BatchDeliverer is implemented by a policy that can decide one live event
// for many sessions in one call (a Go plugin's per-call entry costs more
// than its decision). The chain uses it only when every deliver policy of
// the chain batches (Chain.Batches); it must give the same verdicts as
// Deliver, except that it may leave a session undecided.
type BatchDeliverer interface {
	// BatchesDeliver reports whether DeliverBatch is to be used. It must
	// not change while the policy is in a chain.
	BatchesDeliver() bool
	// DeliverBatch decides in.Event for every target: out[i] (len(out) ==
	// len(in.Targets)) is Deliver's verdict for target i, without a
	// Payload: Rewrite with a nil Payload means "undecided here", and the
	// relay then runs Deliver for that session alone. An error fails the
	// whole batch, as it would fail each call.
	DeliverBatch(ctx context.Context, in *DeliverBatchInput, out []Verdict) error
}
