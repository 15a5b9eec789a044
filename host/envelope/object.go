package envelope

import "github.com/nbd-wtf/go-nostr"

// ParseEvent parses one event object standing alone, as a line of a JSONL
// dump carries it (`strfry export`, `nak`, `relayd export`), with exactly the
// rules Parse applies to the event of an EVENT message. It returns the event
// and its canonical JSON (what Message.Raw would be). Whitespace around the
// object is allowed; anything else after it is not.
//
// On failure it returns a *Error with Label LabelEvent (and EventID when a
// well-formed id could be read).
func ParseEvent(obj []byte) (*nostr.Event, []byte, error) {
	p := parser{s: scanner{src: string(obj)}, label: LabelEvent}
	p.s.ws()
	start := p.s.pos
	ev := new(nostr.Event)
	if p.event(ev) {
		p.s.ws()
		if p.s.pos == len(p.s.src) {
			return ev, appendEvent(make([]byte, 0, len(obj)+64), ev), nil
		}
		p.s.syntax("data after the event")
	}
	e := p.error()
	if e.EventID == "" {
		e.EventID = salvageID(p.s.src, start)
	}
	return nil, nil, e
}
