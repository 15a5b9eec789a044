package envelope_test

import (
	"encoding/json"
	"errors"
	"reflect"
	"testing"

	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip77"

	"github.com/relayd/relayd/host/envelope"
)

func TestParseNegValid(t *testing.T) {
	tests := []struct {
		name string
		msg  string
		want envelope.Message
	}{
		{"open", `["NEG-OPEN","n",{"kinds":[1]},"6100000200"]`,
			envelope.Message{Label: envelope.LabelNegOpen, SubID: "n", Filters: nostr.Filters{{Kinds: []int{1}}}, NegMessage: "6100000200"}},
		{"open with empty filter", `["NEG-OPEN","n",{},"61"]`,
			envelope.Message{Label: envelope.LabelNegOpen, SubID: "n", Filters: nostr.Filters{{}}, NegMessage: "61"}},
		{"open with whitespace", " [ \"NEG-OPEN\" , \"n\" ,\n{ \"limit\" : 5 } , \"61ff\" ] ",
			envelope.Message{Label: envelope.LabelNegOpen, SubID: "n", Filters: nostr.Filters{{Limit: 5}}, NegMessage: "61ff"}},
		{"open with escaped message", `["NEG-OPEN","n",{},"\u0036\u0031"]`,
			envelope.Message{Label: envelope.LabelNegOpen, SubID: "n", Filters: nostr.Filters{{}}, NegMessage: "61"}},
		{"msg", `["NEG-MSG","n","61abcdef"]`, envelope.Message{Label: envelope.LabelNegMsg, SubID: "n", NegMessage: "61abcdef"}},
		{"close", `["NEG-CLOSE","n"]`, envelope.Message{Label: envelope.LabelNegClose, SubID: "n"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := checkParse(t, []byte(tc.msg), envelope.Limits{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestParseNegInvalid(t *testing.T) {
	lim := envelope.Limits{MaxSubIDLength: 4, MaxFilters: 2, MaxFilterValues: 2}
	tests := []struct {
		name  string
		msg   string
		err   error
		label envelope.Label
		subID string
	}{
		{"open without sub id", `["NEG-OPEN"]`, envelope.ErrArity, envelope.LabelNegOpen, ""},
		{"open sub id number", `["NEG-OPEN",1,{},"61"]`, envelope.ErrSubID, envelope.LabelNegOpen, ""},
		{"open sub id too long", `["NEG-OPEN","abcde",{},"61"]`, envelope.ErrLimit, envelope.LabelNegOpen, ""},
		{"open without filter", `["NEG-OPEN","n"]`, envelope.ErrArity, envelope.LabelNegOpen, "n"},
		{"open without message", `["NEG-OPEN","n",{}]`, envelope.ErrArity, envelope.LabelNegOpen, "n"},
		{"open filter not object", `["NEG-OPEN","n","61","61"]`, envelope.ErrFilter, envelope.LabelNegOpen, "n"},
		{"open bad filter", `["NEG-OPEN","n",{"ids":["x"]},"61"]`, envelope.ErrFilter, envelope.LabelNegOpen, "n"},
		{"open too many values", `["NEG-OPEN","n",{"kinds":[1,2,3]},"61"]`, envelope.ErrLimit, envelope.LabelNegOpen, "n"},
		{"open two filters", `["NEG-OPEN","n",{},{},"61"]`, envelope.ErrNegMessage, envelope.LabelNegOpen, "n"},
		{"open extra element", `["NEG-OPEN","n",{},"61","61"]`, envelope.ErrArity, envelope.LabelNegOpen, "n"},
		{"open old idSize form", `["NEG-OPEN","n",{},32,"61"]`, envelope.ErrNegMessage, envelope.LabelNegOpen, "n"},
		{"open message number", `["NEG-OPEN","n",{},61]`, envelope.ErrNegMessage, envelope.LabelNegOpen, "n"},
		{"open message null", `["NEG-OPEN","n",{},null]`, envelope.ErrNegMessage, envelope.LabelNegOpen, "n"},
		{"open message empty", `["NEG-OPEN","n",{},""]`, envelope.ErrNegMessage, envelope.LabelNegOpen, "n"},
		{"open message odd", `["NEG-OPEN","n",{},"610"]`, envelope.ErrNegMessage, envelope.LabelNegOpen, "n"},
		{"open message uppercase", `["NEG-OPEN","n",{},"61AB"]`, envelope.ErrNegMessage, envelope.LabelNegOpen, "n"},
		{"open message not hex", `["NEG-OPEN","n",{},"61zz"]`, envelope.ErrNegMessage, envelope.LabelNegOpen, "n"},
		{"open truncated", `["NEG-OPEN","n",{},"61"`, envelope.ErrSyntax, envelope.LabelNegOpen, "n"},
		{"msg without message", `["NEG-MSG","n"]`, envelope.ErrArity, envelope.LabelNegMsg, "n"},
		{"msg with filter", `["NEG-MSG","n",{},"61"]`, envelope.ErrNegMessage, envelope.LabelNegMsg, "n"},
		{"msg extra element", `["NEG-MSG","n","61","61"]`, envelope.ErrArity, envelope.LabelNegMsg, "n"},
		{"msg sub id empty", `["NEG-MSG","","61"]`, envelope.ErrSubID, envelope.LabelNegMsg, ""},
		{"close with extra", `["NEG-CLOSE","n","61"]`, envelope.ErrArity, envelope.LabelNegClose, "n"},
		{"close without sub id", `["NEG-CLOSE"]`, envelope.ErrArity, envelope.LabelNegClose, ""},
		{"lowercase label", `["neg-open","n",{},"61"]`, envelope.ErrUnknownLabel, 0, ""},
		{"NEG-ERR from a client", `["NEG-ERR","n","x"]`, envelope.ErrUnknownLabel, 0, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := checkParse(t, []byte(tc.msg), lim)
			var e *envelope.Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%s) = %v, want *envelope.Error", tc.msg, err)
			}
			if !errors.Is(err, tc.err) || e.Label != tc.label || e.SubID != tc.subID {
				t.Errorf("Parse(%s) = {%v %v sub=%q}, want {%v %v sub=%q}", tc.msg, e.Err, e.Label, e.SubID, tc.err, tc.label, tc.subID)
			}
			if e.Reason == "" {
				t.Errorf("Parse(%s): empty reason", tc.msg)
			}
		})
	}
}

// TestAppendNeg checks the NIP-77 writers against encoding/json and
// go-nostr's nip77 parser, and that NEG-ERR carries NIP-77's label.
func TestAppendNeg(t *testing.T) {
	sub := "s \"q\" \u2028 é"
	filter, _ := json.Marshal(nostr.Filter{Kinds: []int{1}})
	tests := []struct {
		name string
		got  []byte
		want []any
	}{
		{"msg", envelope.AppendNegMsg(nil, sub, "61ab"), []any{"NEG-MSG", sub, "61ab"}},
		{"err", envelope.AppendNegErr(nil, sub, "blocked: no \"way\"\n"), []any{"NEG-ERR", sub, "blocked: no \"way\"\n"}},
		{"open", envelope.AppendNegOpen(nil, sub, filter, "61"), []any{"NEG-OPEN", sub, map[string]any{"kinds": []any{1.0}}, "61"}},
		{"close", envelope.AppendNegClose(nil, sub), []any{"NEG-CLOSE", sub}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var got []any
			if err := json.Unmarshal(tc.got, &got); err != nil {
				t.Fatalf("%s: %v", tc.got, err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %s, want %v", tc.got, tc.want)
			}
			if nip77.ParseNegMessage(string(tc.got)) == nil {
				t.Errorf("go-nostr's nip77 does not read %s", tc.got)
			}
		})
	}
	if m, err := envelope.Parse(envelope.AppendNegOpen(nil, "n", filter, "61"), envelope.Limits{}); err != nil || m.Label != envelope.LabelNegOpen {
		t.Errorf("Parse(AppendNegOpen) = %v, %v", m.Label, err)
	}
}
