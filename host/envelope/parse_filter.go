package envelope

import "github.com/nbd-wtf/go-nostr"

// ParseFilter parses one NIP-01 filter object standing alone (a -filter
// flag, a [[sync]] peer's filter in the config) with exactly the rules
// Parse applies to the filter of a REQ, so that it means what it would
// mean in a REQ. lim bounds it as a REQ's; the zero Limits bound nothing.
//
// On failure it returns a *Error whose Reason says what is wrong.
func ParseFilter(obj []byte, lim Limits) (nostr.Filter, error) {
	msg := make([]byte, 0, len(obj)+16)
	msg = append(append(append(msg, `["REQ","f",`...), obj...), ']')
	m, err := Parse(msg, lim)
	if err != nil {
		return nostr.Filter{}, err
	}
	if len(m.Filters) != 1 {
		// A comma in obj made it several filters.
		return nostr.Filter{}, &Error{Label: LabelReq, Reason: "want one filter object", Err: ErrFilter}
	}
	return m.Filters[0], nil
}
