package envelope

import "github.com/nbd-wtf/go-nostr"

// reasonNegMessage is the reason for a negentropy message that is not hex.
const reasonNegMessage = "negentropy message must be a non-empty string of lowercase hex of even length"

// negOpenMessage parses the rest of a NIP-77 NEG-OPEN: a subscription id,
// one filter and the initial negentropy message.
func (p *parser) negOpenMessage(m *Message) bool {
	if !p.subscription() {
		return false
	}
	if !p.more() {
		return p.arity("must contain a filter")
	}
	f := &p.filterBuf[0]
	*f = nostr.Filter{}
	if !p.filter(f) {
		return false
	}
	if !p.more() {
		return p.arity("must contain a negentropy message")
	}
	msg, ok := p.negMessage()
	if !ok {
		return false
	}
	if p.more() {
		return p.arity("must contain only a subscription id, a filter and a message")
	}
	if !p.end() {
		return false
	}
	m.SubID, m.NegMessage = p.subID, msg
	m.Filters = nostr.Filters{*f}
	return true
}

// negMsgMessage parses the rest of a NIP-77 NEG-MSG: a subscription id and
// a negentropy message.
func (p *parser) negMsgMessage(m *Message) bool {
	if !p.subscription() {
		return false
	}
	if !p.more() {
		return p.arity("must contain a negentropy message")
	}
	msg, ok := p.negMessage()
	if !ok {
		return false
	}
	if p.more() {
		return p.arity("must contain only a subscription id and a message")
	}
	if !p.end() {
		return false
	}
	m.SubID, m.NegMessage = p.subID, msg
	return true
}

// negMessage reads a negentropy message: a string of lowercase hex of even
// length, at least one byte. What the bytes mean is the engine's business.
func (p *parser) negMessage() (string, bool) {
	s := &p.s
	start := s.pos
	v, ok := s.str()
	switch {
	case !ok && s.failed:
		return "", false
	case !ok:
		return "", s.typeErr(start, 1, ErrNegMessage, reasonNegMessage)
	case len(v) == 0 || len(v)%2 != 0 || !isHex(v, len(v)):
		return "", s.fail(ErrNegMessage, reasonNegMessage)
	}
	return v, true
}

// AppendNegMsg appends the NIP-77 message ["NEG-MSG",subID,msg]; msg is
// hex and needs no escaping.
func AppendNegMsg(dst []byte, subID, msg string) []byte {
	dst = append(dst, `["NEG-MSG",`...)
	dst = appendString(dst, subID)
	dst = append(dst, ',', '"')
	dst = append(dst, msg...)
	return append(dst, '"', ']')
}

// AppendNegErr appends the NIP-77 error ["NEG-ERR",subID,reason]. (NIP-77
// names it NEG-ERR; go-nostr v0.52.3's ErrorEnvelope writes NEG-ERROR,
// which clients following the NIP do not read.)
func AppendNegErr(dst []byte, subID, reason string) []byte {
	dst = append(dst, `["NEG-ERR",`...)
	dst = appendString(dst, subID)
	dst = append(dst, ',')
	dst = appendString(dst, reason)
	return append(dst, ']')
}

// AppendNegOpen appends the NIP-77 client message
// ["NEG-OPEN",subID,filter,msg]; filter is the filter's JSON object, msg
// is hex.
func AppendNegOpen(dst []byte, subID string, filter []byte, msg string) []byte {
	dst = append(dst, `["NEG-OPEN",`...)
	dst = appendString(dst, subID)
	dst = append(dst, ',')
	dst = append(dst, filter...)
	dst = append(dst, ',', '"')
	dst = append(dst, msg...)
	return append(dst, '"', ']')
}

// AppendNegClose appends the NIP-77 client message ["NEG-CLOSE",subID].
func AppendNegClose(dst []byte, subID string) []byte {
	dst = append(dst, `["NEG-CLOSE",`...)
	dst = appendString(dst, subID)
	return append(dst, ']')
}
