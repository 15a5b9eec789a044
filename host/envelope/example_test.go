package envelope_test

import (
	"errors"
	"fmt"

	"github.com/relayd/relayd/host/envelope"
)

// reply is how a relay answers a message Parse rejected.
func reply(err error) string {
	var e *envelope.Error
	if !errors.As(err, &e) {
		return ""
	}
	switch {
	case (e.Label == envelope.LabelEvent || e.Label == envelope.LabelAuth) && e.EventID != "":
		return string(envelope.AppendOK(nil, e.EventID, false, "invalid: "+e.Reason))
	case (e.Label == envelope.LabelReq || e.Label == envelope.LabelCount) && e.SubID != "":
		return string(envelope.AppendClosed(nil, e.SubID, "invalid: "+e.Reason))
	default:
		return string(envelope.AppendNotice(nil, "invalid: "+e.Reason))
	}
}

func ExampleParse() {
	lim := envelope.Limits{MaxSubIDLength: 64, MaxFilters: 10, MaxFilterValues: 500}
	for _, msg := range []string{
		`["REQ","feed",{"kinds":[1],"limit":20}]`,
		`["REQ","feed",{"kinds":"1"}]`,
		`["EVENT",{"id":"` + hexA + `","kind":-1}]`,
		`["EVENT",{"id":"` + hexA + `",`,
		`["HELLO"]`,
	} {
		m, err := envelope.Parse([]byte(msg), lim)
		if err != nil {
			fmt.Println(reply(err))
			continue
		}
		fmt.Println(m.Label, m.SubID, m.Filters)
	}
	// Output:
	// REQ feed [{"kinds":[1],"limit":20}]
	// ["CLOSED","feed","invalid: kinds must be an array of integers from 0 to 65535"]
	// ["OK","aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",false,"invalid: kind must be an integer from 0 to 65535"]
	// ["OK","aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",false,"invalid: malformed JSON: unexpected end of input at offset 82"]
	// ["NOTICE","invalid: unknown message type \"HELLO\""]
}
