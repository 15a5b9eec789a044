package envelope

import (
	"strconv"
	"unicode/utf8"

	"github.com/nbd-wtf/go-nostr"
)

// Limits bounds what Parse accepts from a client. A zero field means no
// limit.
type Limits struct {
	// MaxSubIDLength is the longest subscription id, in characters (Unicode
	// code points, as NIP-01 counts its 64).
	MaxSubIDLength int
	// MaxFilters is the most filters one REQ or COUNT may carry.
	MaxFilters int
	// MaxFilterValues is the most values one list of a filter (ids,
	// authors, kinds, or one #<letter> tag) may hold.
	MaxFilterValues int
}

// Message is one parsed client message. Which fields are set depends on
// Label.
type Message struct {
	// Label is the kind of message; never LabelUnknown.
	Label Label
	// SubID is the subscription id of a REQ, COUNT or CLOSE, or the
	// negentropy session id of a NEG-OPEN, NEG-MSG or NEG-CLOSE.
	SubID string
	// Event is the event of an EVENT or AUTH. Its fields are well-formed
	// (see Parse) but its id and signature are not verified.
	Event *nostr.Event
	// Raw is Event as canonical compact JSON, byte for byte what
	// go-nostr's easyjson marshaler writes for it (NoEscapeHTML), which is
	// what the relay stores and sends to subscribers.
	Raw []byte
	// Filters are the filters of a REQ or COUNT, at least one, or the one
	// filter of a NEG-OPEN.
	Filters nostr.Filters
	// NegMessage is the negentropy message of a NEG-OPEN or NEG-MSG:
	// lowercase hex of even length, at least one byte. Its content is not
	// checked here.
	NegMessage string
}

// Parse parses one client message (NIP-01 EVENT, REQ, CLOSE; NIP-42 AUTH;
// NIP-45 COUNT; NIP-77 NEG-OPEN, NEG-MSG, NEG-CLOSE). On failure it returns a *Error wrapping one of the
// sentinel errors; it never panics. Parse does not keep msg.
//
// Parse is strict where the message's meaning would otherwise be unclear
// and lenient where relays usually are:
//
//   - The message must be valid UTF-8 JSON (RFC 8259) with no trailing
//     data, nested at most 64 levels deep.
//   - EVENT and AUTH carry exactly one event object. Its id, pubkey and sig
//     must be 64, 64 and 128 lowercase hex characters, kind an integer from
//     0 to 65535, created_at a non-negative integer, tags an array of
//     arrays of strings (an empty tag is allowed), content a string. All
//     seven fields are required, none may be null or appear twice; other
//     fields are ignored and dropped from Raw.
//   - REQ and COUNT carry a non-empty subscription id and at least one
//     filter; CLOSE carries only the subscription id.
//   - A filter is an object. ids and authors hold 64-character lowercase
//     hex strings (NIP-01 requires exact values); kinds integers from 0 to
//     65535; "#" plus one letter (a-z, A-Z) a list of strings kept exactly
//     as given; since and until integers; limit a non-negative integer
//     ("limit":0 sets LimitZero); search a string. Any other "#..." key is
//     rejected: NIP-01 tag filters are single letters, and ignoring one
//     would widen the filter. Other keys are ignored, as relays usually do.
//     A null value counts as absent, as in go-nostr. No key may appear
//     twice. An empty list is kept (non-nil) and matches nothing.
//   - NEG-OPEN carries exactly a subscription id, one filter and a
//     negentropy message; NEG-MSG a subscription id and a message;
//     NEG-CLOSE only the subscription id (NIP-77). A negentropy message is
//     a string of lowercase hex of even length, at least 2 characters.
//
// # Notes
//
//   - The strings of the result (ids, tag values, content, subscription
//     id) are substrings of one copy of msg where they had no escapes, so
//     keeping any of them keeps that copy alive. Raw is separate.
//   - Parse checks the event's form, not its id or signature: the relay
//     calls Event.CheckID and Event.CheckSignature.
func Parse(msg []byte, lim Limits) (Message, error) {
	p := parser{s: scanner{src: string(msg)}, lim: lim}
	if m, ok := p.message(); ok {
		return m, nil
	}
	return Message{}, p.error()
}

// parser holds the state of one Parse call, including scratch space that
// keeps the common case from allocating.
type parser struct {
	s   scanner
	lim Limits

	label   Label
	subID   string
	eventID string
	evStart int // offset of the event value, 0 if not reached

	strBuf    [64]string
	countBuf  [16]int
	kindBuf   [16]int
	filterBuf [4]nostr.Filter
}

// message parses the whole message.
func (p *parser) message() (Message, bool) {
	s := &p.s
	if s.peek() != '[' {
		return Message{}, s.typeErr(s.pos, 0, ErrNotArray, "message must be a JSON array")
	}
	s.pos++
	if s.peek() == ']' {
		return Message{}, p.end() && s.fail(ErrEmpty, "message is empty")
	}
	start := s.pos
	label, ok := s.str()
	if !ok {
		if s.failed {
			return Message{}, false
		}
		return Message{}, s.typeErr(start, 1, ErrLabel, "label must be a string")
	}
	p.label = labelOf(label)
	m := Message{Label: p.label}
	switch p.label {
	case LabelEvent, LabelAuth:
		ok = p.eventMessage(&m)
	case LabelReq, LabelCount:
		ok = p.reqMessage(&m)
	case LabelClose, LabelNegClose:
		ok = p.closeMessage(&m)
	case LabelNegOpen:
		ok = p.negOpenMessage(&m)
	case LabelNegMsg:
		ok = p.negMsgMessage(&m)
	default:
		return Message{}, s.fail(ErrUnknownLabel, "unknown message type "+quote(label))
	}
	return m, ok
}

// eventMessage parses the rest of an EVENT or AUTH message.
func (p *parser) eventMessage(m *Message) bool {
	if !p.more() {
		return p.arity("must contain an event")
	}
	p.s.ws()
	p.evStart = p.s.pos
	ev := new(nostr.Event)
	if !p.event(ev) {
		return false
	}
	if p.more() {
		return p.arity("must contain only one event")
	}
	if !p.end() {
		return false
	}
	m.Event = ev
	m.Raw = appendEvent(make([]byte, 0, p.s.pos-p.evStart+64), ev)
	return true
}

// reqMessage parses the rest of a REQ or COUNT message.
func (p *parser) reqMessage(m *Message) bool {
	if !p.subscription() {
		return false
	}
	filters := p.filterBuf[:0]
	for p.more() {
		if p.lim.MaxFilters > 0 && len(filters) == p.lim.MaxFilters {
			return p.s.fail(ErrLimit, "more than "+strconv.Itoa(p.lim.MaxFilters)+" filters")
		}
		filters = append(filters, nostr.Filter{})
		if !p.filter(&filters[len(filters)-1]) {
			return false
		}
	}
	if p.s.failed {
		return false
	}
	if len(filters) == 0 {
		return p.arity("must contain at least one filter")
	}
	if !p.end() {
		return false
	}
	m.SubID = p.subID
	m.Filters = append(make(nostr.Filters, 0, len(filters)), filters...)
	return true
}

// closeMessage parses the rest of a CLOSE message.
func (p *parser) closeMessage(m *Message) bool {
	if !p.subscription() {
		return false
	}
	if p.more() {
		return p.arity("must contain only a subscription id")
	}
	if !p.end() {
		return false
	}
	m.SubID = p.subID
	return true
}

// subscription reads the subscription id element.
func (p *parser) subscription() bool {
	s := &p.s
	if !p.more() {
		return p.arity("must contain a subscription id")
	}
	start := s.pos
	id, ok := s.str()
	switch {
	case !ok && s.failed:
		return false
	case !ok:
		return s.typeErr(start, 1, ErrSubID, "subscription id must be a string")
	case id == "":
		return s.fail(ErrSubID, "subscription id must not be empty")
	case p.lim.MaxSubIDLength > 0 && len(id) > p.lim.MaxSubIDLength &&
		utf8.RuneCountInString(id) > p.lim.MaxSubIDLength:
		return s.fail(ErrLimit, "subscription id longer than "+strconv.Itoa(p.lim.MaxSubIDLength)+" characters")
	}
	p.subID = id
	return true
}

// more reads the separator before another element of the message: true
// after a comma, false before the closing bracket (not consumed) or on a
// syntax error.
func (p *parser) more() bool {
	switch p.s.peek() {
	case ',':
		p.s.pos++
		return true
	case ']':
		return false
	default:
		return p.s.syntax("expected ',' or ']'")
	}
}

// arity records a wrong number of elements, unless a syntax error came first.
func (p *parser) arity(what string) bool {
	if p.s.failed {
		return false
	}
	return p.s.fail(ErrArity, p.label.String()+" "+what)
}

// end reads the closing bracket of the message and checks nothing follows.
func (p *parser) end() bool {
	s := &p.s
	if !s.expect(']') {
		return false
	}
	s.ws()
	if s.pos != len(s.src) {
		return s.syntax("data after the message")
	}
	return true
}

// error builds the *Error for a failed parse. A message that is not valid
// JSON is always ErrSyntax, even if a rule was broken earlier in it.
func (p *parser) error() *Error {
	s := &p.s
	if s.failErr != ErrSyntax {
		v := scanner{src: s.src}
		if v.value(0) {
			v.ws()
			if v.pos != len(v.src) {
				v.syntax("data after the message")
			}
		}
		if v.failed {
			s.failErr, s.failMsg, s.failPos = v.failErr, v.failMsg, v.failPos
		}
	}
	e := &Error{Label: p.label, Err: s.failErr, Reason: s.failMsg}
	if s.failErr == ErrSyntax {
		e.Reason = "malformed JSON: " + s.failMsg + " at offset " + strconv.Itoa(s.failPos)
	}
	switch p.label {
	case LabelReq, LabelCount, LabelClose, LabelNegOpen, LabelNegMsg, LabelNegClose:
		e.SubID = p.subID
	case LabelEvent, LabelAuth:
		e.EventID = p.eventID
		if e.EventID == "" && p.evStart > 0 {
			e.EventID = salvageID(s.src, p.evStart)
		}
	}
	return e
}

// quote quotes s for an error reason, shortened to a sane length.
func quote(s string) string {
	const maxLen = 32
	if len(s) > maxLen {
		i := maxLen
		for i > 0 && !utf8.RuneStart(s[i]) {
			i--
		}
		s = s[:i] + "..."
	}
	return strconv.Quote(s)
}
