package relay

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/envelope"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/store"
)

// onEvent handles an EVENT: limits, the pre-signature policies, id and
// signature, NIP-40/42/70 rules, the post-signature policies, then the
// store (or, for ephemeral kinds, straight to subscribers). The OK is sent
// only after the store's commit, in message order.
func (s *session) onEvent(m envelope.Message) {
	ev, raw := m.Event, m.Raw
	now := time.Now().Unix()
	if reason := s.r.checkEventLimits(ev, now); reason != "" {
		s.ok(ev.ID, false, reason)
		return
	}
	ch := s.r.chain.Load()
	var in *policy.EventInput // built only when a policy will read it
	if ch.Has(policy.HookEventPre) || ch.Has(policy.HookEvent) {
		in = &policy.EventInput{Session: s.ps, Event: ev, Raw: raw, ReceivedAt: now, Source: s.ps.Source()}
	}
	if ch.Has(policy.HookEventPre) {
		if v := ch.EventPre(context.Background(), in); v.Final() {
			s.verdict(ev.ID, v)
			return
		}
	}
	if !ev.CheckID() {
		s.ok(ev.ID, false, "invalid: event id does not match its content")
		return
	}
	if okSig, err := ev.CheckSignature(); !okSig || err != nil {
		s.ok(ev.ID, false, "invalid: bad signature")
		return
	}
	if reason := s.checkEventRules(ev, now); reason != "" {
		s.ok(ev.ID, false, reason)
		return
	}
	if ch.Has(policy.HookEvent) {
		if v := ch.Event(context.Background(), in); v.Final() {
			s.verdict(ev.ID, v)
			return
		}
	}
	if nostr.IsEphemeralKind(ev.Kind) {
		// Not stored: broadcast in publish order, then acknowledge.
		s.then(func() {
			s.r.broadcast(ev, raw)
			s.conn.Send(envelope.AppendOK(nil, ev.ID, true, ""))
		})
		return
	}
	sl := s.reserve()
	s.r.store.Submit(ev, raw, func(err error) {
		frame, stored := s.r.saveResult(ev.ID, err)
		var after func()
		if stored {
			after = func() { s.r.broadcast(ev, raw) }
		}
		s.complete(sl, after, frame)
	})
}

// verdict answers an EVENT a policy refused.
func (s *session) verdict(id string, v policy.Verdict) {
	if v.Action == policy.ShadowReject {
		s.ok(id, true, "")
		return
	}
	s.ok(id, false, v.Reason())
}

// saveResult turns the store's answer into the OK frame.
func (r *Relay) saveResult(id string, err error) (frame []byte, stored bool) {
	switch {
	case err == nil:
		r.stats.EventsStored.Add(1)
		return envelope.AppendOK(nil, id, true, ""), true
	case errors.Is(err, store.ErrDuplicate):
		return envelope.AppendOK(nil, id, true, "duplicate: already have this event"), false
	case errors.Is(err, store.ErrReplaced):
		return envelope.AppendOK(nil, id, false, "duplicate: a newer version of this event is stored"), false
	case errors.Is(err, store.ErrDeleted):
		return envelope.AppendOK(nil, id, false, "blocked: this event was deleted by its author"), false
	case errors.Is(err, store.ErrExpired):
		return envelope.AppendOK(nil, id, false, "invalid: event is expired"), false
	case errors.Is(err, store.ErrTooLarge):
		return envelope.AppendOK(nil, id, false, "invalid: event is too large"), false
	case errors.Is(err, store.ErrDiskFull):
		// The store logs the change of state once; not one line per event.
		return envelope.AppendOK(nil, id, false, "error: disk full"), false
	}
	r.stats.EventsFailed.Add(1)
	r.log.Error("storing event failed", "id", id, "err", err)
	return envelope.AppendOK(nil, id, false, "error: could not store the event"), false
}

// checkEventLimits applies the configured size and time limits, which need
// neither the signature nor the session.
func (r *Relay) checkEventLimits(ev *nostr.Event, now int64) string {
	o := &r.opts
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

// checkEventRules applies the NIP rules that need a verified event and the
// session: AUTH events do not travel as EVENT (NIP-42), expiration
// (NIP-40), relay-wide auth, protected events (NIP-70).
func (s *session) checkEventRules(ev *nostr.Event, now int64) string {
	if ev.Kind == nostr.KindClientAuthentication {
		return "invalid: AUTH events are sent with AUTH, not EVENT"
	}
	if store.Expired(store.Expiration(ev), now) {
		return "invalid: event is expired"
	}
	authed := s.ps.Authed()
	if s.r.opts.AuthRequired && authed == "" {
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
