package relay

import (
	"errors"

	"github.com/relayd/relayd/host/envelope"
	"github.com/relayd/relayd/host/policy"
)

// onMessage parses one client message and dispatches it. Bad input gets
// the answer NIP-01 asks for (OK false, CLOSED or NOTICE) and the
// connection stays usable.
func (s *session) onMessage(msg []byte) {
	m, err := envelope.Parse(msg, s.r.limits)
	if err != nil {
		s.badMessage(err)
		return
	}
	switch m.Label {
	case envelope.LabelEvent:
		s.onEvent(m)
	case envelope.LabelReq:
		s.onReq(m)
	case envelope.LabelCount:
		s.onCount(m)
	case envelope.LabelClose:
		s.onClose(m.SubID)
	case envelope.LabelAuth:
		s.onAuth(m)
	}
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
