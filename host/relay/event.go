package relay

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/envelope"
	"github.com/relayd/relayd/host/eventsig"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/store"
)

// onEvent handles an EVENT: the checks every incoming event gets (admit),
// with this session's NIP-42/70 rules, then the store (or, for ephemeral
// kinds, straight to subscribers). The OK is sent only after the store's
// commit, in message order.
func (s *session) onEvent(m envelope.Message) {
	ev, raw := m.Event, m.Raw
	now := time.Now().Unix()
	in := incoming{sess: s.ps, ev: ev, raw: raw, receivedAt: now, source: s.ps.Source(), verify: true}
	if ref := s.r.admit(&in, now, s.checkSessionRules); ref != nil {
		if ref.verdict.Action == policy.ShadowReject {
			s.ok(ev.ID, true, "")
		} else {
			s.ok(ev.ID, false, ref.reason)
		}
		return
	}
	if nostr.IsEphemeralKind(ev.Kind) {
		// Not stored: broadcast in publish order, then acknowledge.
		s.then(func() {
			s.r.broadcastEphemeral(ev, raw)
			s.conn.Send(envelope.AppendOK(nil, ev.ID, true, ""))
		})
		return
	}
	sl := s.reserve()
	s.r.store.Submit(ev, raw, func(err error) {
		frame, stored := s.r.saveResult(ev.ID, err)
		var after func()
		if stored && !s.r.opts.Replicated {
			after = func() { s.r.broadcast(ev, raw) }
		}
		// The OK and the broadcast's frames go out in one write pass.
		s.r.ws.Batch(func() { s.complete(sl, after, frame) })
	})
}

// incoming is an event on its way in, from a session or an Ingester.
type incoming struct {
	sess       *policy.Session // nil outside a client session
	ev         *nostr.Event
	raw        []byte
	receivedAt int64
	source     policy.Source
	sourceInfo string
	verify     bool // check the id and signature
}

// refusal says why admit refused an event.
type refusal struct {
	outcome Outcome        // OutcomeInvalid, OutcomeExpired or OutcomeRefused
	reason  string         // NIP-01 "prefix: message"
	verdict policy.Verdict // the policy's final verdict, for OutcomeRefused
}

// admit runs the checks every incoming event gets, wherever it came from,
// in this order: limits, the event_pre policies, id and signature (unless
// in.verify is off), the relay's NIP rules, the path's own rules (nil for
// none), the event policies. It returns nil when the event may be stored.
func (r *Relay) admit(in *incoming, now int64, rules func(*nostr.Event) string) *refusal {
	ev := in.ev
	if reason := r.checkEventLimits(ev, now); reason != "" {
		return &refusal{outcome: OutcomeInvalid, reason: reason}
	}
	ch := r.chain.Load()
	var pin *policy.EventInput // built only when a policy will read it
	if ch.Has(policy.HookEventPre) || ch.Has(policy.HookEvent) {
		pin = &policy.EventInput{Session: in.sess, Event: ev, Raw: in.raw, ReceivedAt: in.receivedAt,
			Source: in.source, SourceInfo: in.sourceInfo}
	}
	if ch.Has(policy.HookEventPre) {
		if v := ch.EventPre(context.Background(), pin); v.Final() {
			return &refusal{outcome: OutcomeRefused, reason: v.Reason(), verdict: v}
		}
	}
	if in.verify {
		switch err := r.sig.Check(ev); {
		case errors.Is(err, eventsig.ErrID):
			return &refusal{outcome: OutcomeInvalid, reason: "invalid: event id does not match its content"}
		case err != nil:
			return &refusal{outcome: OutcomeInvalid, reason: "invalid: bad signature"}
		}
	}
	if ref := checkEventRules(ev, now); ref != nil {
		return ref
	}
	if rules != nil {
		if reason := rules(ev); reason != "" {
			return &refusal{outcome: OutcomeInvalid, reason: reason}
		}
	}
	if ch.Has(policy.HookEvent) {
		if v := ch.Event(context.Background(), pin); v.Final() {
			return &refusal{outcome: OutcomeRefused, reason: v.Reason(), verdict: v}
		}
	}
	return nil
}

// saveResult turns the store's answer into the OK frame.
func (r *Relay) saveResult(id string, err error) (frame []byte, stored bool) {
	o, reason := r.storeOutcome(id, err)
	return envelope.AppendOK(nil, id, o == OutcomeStored || o == OutcomeDuplicate, reason), o == OutcomeStored
}

// storeOutcome maps the store's answer to an outcome and its NIP-01 reason
// (the one table from store errors to prefixes), and counts it.
func (r *Relay) storeOutcome(id string, err error) (Outcome, string) {
	switch {
	case err == nil:
		r.stats.EventsStored.Add(1)
		return OutcomeStored, ""
	case errors.Is(err, store.ErrDuplicate):
		return OutcomeDuplicate, "duplicate: already have this event"
	case errors.Is(err, store.ErrReplaced):
		return OutcomeReplaced, "duplicate: a newer version of this event is stored"
	case errors.Is(err, store.ErrBanned):
		return OutcomeRefused, "blocked: this event is banned by the relay operator"
	case errors.Is(err, store.ErrDeleted):
		return OutcomeDeleted, "blocked: this event was deleted by its author"
	case errors.Is(err, store.ErrExpired):
		return OutcomeExpired, "invalid: event is expired"
	case errors.Is(err, store.ErrTooLarge):
		return OutcomeInvalid, "invalid: event is too large"
	case errors.Is(err, store.ErrUnavailable):
		// Counted by the cluster's metrics; not one log line per event.
		return OutcomeFailed, "error: cluster unavailable"
	case errors.Is(err, store.ErrDiskFull):
		// The store logs the change of state once; not one line per event.
		return OutcomeFailed, "error: disk full"
	}
	r.stats.EventsFailed.Add(1)
	r.log.Error("storing event failed", "id", id, "err", err)
	return OutcomeFailed, "error: could not store the event"
}

// checkEventLimits applies the configured size and time limits, which need
// neither the signature nor the session.
func (r *Relay) checkEventLimits(ev *nostr.Event, now int64) string {
	o := &r.cur().lim
	switch {
	case len(ev.Content) > o.MaxContentBytes:
		return "invalid: content is longer than " + strconv.Itoa(o.MaxContentBytes) + " bytes"
	case len(ev.Tags) > o.MaxEventTags:
		return "invalid: more than " + strconv.Itoa(o.MaxEventTags) + " tags"
	case o.CreatedAtLowerLimit > 0 && int64(ev.CreatedAt) < now-o.CreatedAtLowerLimit:
		return "invalid: created_at is too far in the past"
	case o.CreatedAtUpperLimit > 0 && int64(ev.CreatedAt) > now+o.CreatedAtUpperLimit:
		return "invalid: created_at is too far in the future"
	}
	return ""
}

// checkEventRules applies the NIP rules every verified event gets: AUTH
// events do not travel as EVENT (NIP-42), expiration (NIP-40).
func checkEventRules(ev *nostr.Event, now int64) *refusal {
	if ev.Kind == nostr.KindClientAuthentication {
		return &refusal{outcome: OutcomeInvalid, reason: "invalid: AUTH events are sent with AUTH, not EVENT"}
	}
	if store.Expired(store.Expiration(ev), now) {
		return &refusal{outcome: OutcomeExpired, reason: "invalid: event is expired"}
	}
	return nil
}

// checkSessionRules applies the rules that need a client session:
// relay-wide auth, protected events (NIP-70).
func (s *session) checkSessionRules(ev *nostr.Event) string {
	authed := s.ps.Authed()
	if s.r.cur().lim.AuthRequired && authed == "" {
		return "auth-required: this relay requires NIP-42 authentication"
	}
	if isProtected(ev) {
		switch {
		case authed == "":
			return "auth-required: this event may only be published by its author"
		case authed != ev.PubKey:
			return "restricted: this event may only be published by its author"
		}
	}
	return ""
}

// isProtected reports a NIP-70 ["-"] tag.
func isProtected(ev *nostr.Event) bool {
	for _, t := range ev.Tags {
		if len(t) >= 1 && t[0] == "-" {
			return true
		}
	}
	return false
}
