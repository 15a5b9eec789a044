package relay

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/relayd/relayd/host/envelope"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/store"
	"github.com/relayd/relayd/host/wsconn"
)

// onMessage parses one client message and dispatches it. Bad input gets
// the answer NIP-01 asks for (OK false, CLOSED or NOTICE) and the
// connection stays usable.
func (s *session) onMessage(msg []byte) {
	s.recvAt = time.Now()
	m, err := envelope.Parse(msg, s.r.cur().env)
	if err != nil {
		s.badMessage(err)
		return
	}
	if s.r.starting.Load() {
		s.refuseStarting(m)
		return
	}
	if !s.admitted.Load() && !s.lateConnect() {
		return
	}
	switch m.Label {
	case envelope.LabelEvent:
		s.onEvent(m)
		s.okQueued()
	case envelope.LabelReq:
		s.onReq(m)
	case envelope.LabelCount:
		s.onCount(m)
	case envelope.LabelClose:
		s.onClose(m.SubID)
	case envelope.LabelAuth:
		s.onAuth(m)
	case envelope.LabelNegOpen:
		s.onNegOpen(m)
	case envelope.LabelNegMsg:
		s.onNegMsg(m)
	case envelope.LabelNegClose:
		s.onNegClose(m.SubID)
	}
}

// reasonStarting answers every message while the policies load.
const reasonStarting = "error: starting"

// refuseStarting answers a message that arrived before the policies were
// loaded (Options.Starting).
func (s *session) refuseStarting(m envelope.Message) {
	switch m.Label {
	case envelope.LabelEvent, envelope.LabelAuth:
		s.ok(m.Event.ID, false, reasonStarting)
	case envelope.LabelReq, envelope.LabelCount:
		s.closedReply(m.SubID, reasonStarting)
	}
}

// lateConnect runs the connect hook for a session the relay accepted while
// it was starting, before the session's first message after that. A
// refusal closes the connection with 1008 and the reason, as the upgrade
// would have been refused. It reports whether the session may go on.
func (s *session) lateConnect() bool {
	if s.refused {
		return false
	}
	if ch := s.r.chain.Load(); ch.Has(policy.HookConnect) {
		if v := ch.Connect(context.Background(), &policy.ConnInput{Session: s.ps}); v.Final() {
			s.refused = true
			s.conn.Close(wsconn.ReasonPolicy, v.Reason())
			return false
		}
	}
	s.admitted.Store(true)
	return true
}

// badMessage answers a message Parse refused.
func (s *session) badMessage(err error) {
	var e *envelope.Error
	if !errors.As(err, &e) {
		s.send(envelope.AppendNotice(nil, "error: "+err.Error()))
		return
	}
	prefix := policy.PrefixInvalid
	if errors.Is(err, envelope.ErrLimit) {
		prefix = policy.PrefixBlocked
	}
	reason := prefix.String() + ": " + e.Reason
	switch {
	case (e.Label == envelope.LabelEvent || e.Label == envelope.LabelAuth) && e.EventID != "":
		s.send(envelope.AppendOK(nil, e.EventID, false, reason))
	case (e.Label == envelope.LabelReq || e.Label == envelope.LabelCount) && e.SubID != "":
		s.send(envelope.AppendClosed(nil, e.SubID, reason))
	case (e.Label == envelope.LabelNegOpen || e.Label == envelope.LabelNegMsg) && e.SubID != "":
		s.dropNeg(e.SubID) // NIP-77: a session is closed after NEG-ERR
		s.negErr(e.SubID, reason)
	default:
		s.send(envelope.AppendNotice(nil, reason))
	}
}

// ok queues an OK reply in order.
func (s *session) ok(id string, accepted bool, reason string) {
	s.send(envelope.AppendOK(nil, id, accepted, reason))
}

// closed queues a CLOSED reply in order.
func (s *session) closedReply(subID, reason string) {
	s.send(envelope.AppendClosed(nil, subID, reason))
}

// tooLarge answers a message over max_message_bytes, which wsconn skipped:
// OK false for an EVENT whose id is in its first bytes, CLOSED for a REQ
// or COUNT whose subscription id is, NEG-ERR for a NEG-OPEN or NEG-MSG,
// NOTICE otherwise.
func (s *session) tooLarge(head []byte, size int64) {
	reason := "invalid: message is " + strconv.FormatInt(size, 10) + " bytes, more than the " +
		strconv.Itoa(s.conn.MaxMessageBytes()) + " this relay accepts"
	label, first := envelope.Peek(head)
	switch {
	case label == envelope.LabelEvent && store.IsHex64(first):
		s.send(envelope.AppendOK(nil, first, false, reason))
	case (label == envelope.LabelReq || label == envelope.LabelCount) && first != "":
		s.send(envelope.AppendClosed(nil, first, reason))
	case (label == envelope.LabelNegOpen || label == envelope.LabelNegMsg) && first != "":
		s.dropNeg(first)
		s.negErr(first, reason)
	default:
		s.send(envelope.AppendNotice(nil, reason))
	}
}
