package envelope_test

import (
	"errors"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/mailru/easyjson"
	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/envelope"
)

const (
	hexA = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa"
	hexB = "bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb"
	sig  = hexA + hexB
)

// ev builds an event object with fields replaced or added by kv pairs
// (value "" drops the field).
func ev(kv ...string) string {
	fields := []string{"id", `"` + hexA + `"`, "pubkey", `"` + hexB + `"`, "created_at", "1700000000",
		"kind", "1", "tags", `[["e","x"],["t"]]`, "content", `"hi"`, "sig", `"` + sig + `"`}
	for i := 0; i < len(kv); i += 2 {
		found := false
		for j := 0; j < len(fields); j += 2 {
			if fields[j] == kv[i] {
				fields[j+1], found = kv[i+1], true
			}
		}
		if !found {
			fields = append(fields, kv[i], kv[i+1])
		}
	}
	var b strings.Builder
	b.WriteByte('{')
	for j := 0; j < len(fields); j += 2 {
		if fields[j+1] == "" {
			continue
		}
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, "%q:%s", fields[j], fields[j+1])
	}
	b.WriteByte('}')
	return b.String()
}

func TestParseValid(t *testing.T) {
	since, until := nostr.Timestamp(10), nostr.Timestamp(-5)
	baseEvent := &nostr.Event{ID: hexA, PubKey: hexB, CreatedAt: 1700000000, Kind: 1,
		Tags: nostr.Tags{{"e", "x"}, {"t"}}, Content: "hi", Sig: sig}
	tests := []struct {
		name string
		msg  string
		want envelope.Message
	}{
		{"event", `["EVENT",` + ev() + `]`, envelope.Message{Label: envelope.LabelEvent, Event: baseEvent}},
		{"event with whitespace", " [ \"EVENT\" ,\n\t" + ev() + " \r\n] ", envelope.Message{Label: envelope.LabelEvent, Event: baseEvent}},
		{"event with unknown fields", `["EVENT",` + ev("x", `{"a":[1,2.5e3,true,null]}`, "y", "null") + `]`, envelope.Message{Label: envelope.LabelEvent, Event: baseEvent}},
		{"event with empty tags", `["EVENT",` + ev("tags", "[]") + `]`, envelope.Message{Label: envelope.LabelEvent, Event: &nostr.Event{ID: hexA, PubKey: hexB, CreatedAt: 1700000000, Kind: 1, Tags: nostr.Tags{}, Content: "hi", Sig: sig}}},
		{"event with empty tag", `["EVENT",` + ev("tags", "[[]]", "kind", "65535", "created_at", "0") + `]`, envelope.Message{Label: envelope.LabelEvent, Event: &nostr.Event{ID: hexA, PubKey: hexB, Kind: 65535, Tags: nostr.Tags{{}}, Content: "hi", Sig: sig}}},
		{"event with escapes", `["EVENT",` + ev("content", `"a\"b\\c\/d\b\f\n\r\t\u0000\u00e9\ud83d\ude00\ud800x"`) + `]`, envelope.Message{Label: envelope.LabelEvent, Event: &nostr.Event{ID: hexA, PubKey: hexB, CreatedAt: 1700000000, Kind: 1, Tags: nostr.Tags{{"e", "x"}, {"t"}}, Content: "a\"b\\c/d\b\f\n\r\t\x00é😀\uFFFDx", Sig: sig}}},
		{"auth", `["AUTH",` + ev() + `]`, envelope.Message{Label: envelope.LabelAuth, Event: baseEvent}},
		{"req", `["REQ","sub",{"kinds":[1,7],"authors":["` + hexB + `"],"limit":10}]`, envelope.Message{Label: envelope.LabelReq, SubID: "sub", Filters: nostr.Filters{{Kinds: []int{1, 7}, Authors: []string{hexB}, Limit: 10}}}},
		{"req with every field", `["REQ","s",{"ids":["` + hexA + `"],"#e":["x","y"],"#T":[],"since":10,"until":-5,"limit":0,"search":"q","other":{"z":1}},{}]`,
			envelope.Message{Label: envelope.LabelReq, SubID: "s", Filters: nostr.Filters{{IDs: []string{hexA}, Tags: nostr.TagMap{"e": {"x", "y"}, "T": {}}, Since: &since, Until: &until, LimitZero: true, Search: "q"}, {}}}},
		{"req with empty key", `["REQ","s",{"":1}]`, envelope.Message{Label: envelope.LabelReq, SubID: "s", Filters: nostr.Filters{{}}}},
		{"req with nulls", `["REQ","s",{"ids":null,"#e":null,"since":null,"limit":null}]`, envelope.Message{Label: envelope.LabelReq, SubID: "s", Filters: nostr.Filters{{}}}},
		{"req with empty lists", `["REQ","s",{"ids":[],"authors":[],"kinds":[]}]`, envelope.Message{Label: envelope.LabelReq, SubID: "s", Filters: nostr.Filters{{IDs: []string{}, Authors: []string{}, Kinds: []int{}}}}},
		{"req with unicode sub id", `["REQ","✨\u00e9",{}]`, envelope.Message{Label: envelope.LabelReq, SubID: "✨é", Filters: nostr.Filters{{}}}},
		{"count", `["COUNT","c",{"kinds":[3]},{"#p":["` + hexB + `"]}]`, envelope.Message{Label: envelope.LabelCount, SubID: "c", Filters: nostr.Filters{{Kinds: []int{3}}, {Tags: nostr.TagMap{"p": {hexB}}}}}},
		{"close", `["CLOSE","sub"]`, envelope.Message{Label: envelope.LabelClose, SubID: "sub"}},
		{"escaped label", `["\u0043LOSE","sub"]`, envelope.Message{Label: envelope.LabelClose, SubID: "sub"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := checkParse(t, []byte(tc.msg), envelope.Limits{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			got.Raw = nil
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got %#v, want %#v", got, tc.want)
			}
		})
	}
}

func TestParseInvalid(t *testing.T) {
	lim := envelope.Limits{MaxSubIDLength: 4, MaxFilters: 2, MaxFilterValues: 2}
	tests := []struct {
		name    string
		msg     string
		err     error
		label   envelope.Label
		subID   string
		eventID string
	}{
		{"empty input", ``, envelope.ErrSyntax, 0, "", ""},
		{"not json", `hello`, envelope.ErrSyntax, 0, "", ""},
		{"truncated", `["REQ","s",{`, envelope.ErrSyntax, envelope.LabelReq, "s", ""},
		{"trailing data", `["CLOSE","s"] x`, envelope.ErrSyntax, envelope.LabelClose, "s", ""},
		{"two messages", `["CLOSE","s"]["CLOSE","s"]`, envelope.ErrSyntax, envelope.LabelClose, "s", ""},
		{"trailing comma", `["CLOSE","s",]`, envelope.ErrSyntax, envelope.LabelClose, "s", ""},
		{"raw control char", "[\"CLOSE\",\"a\nb\"]", envelope.ErrSyntax, envelope.LabelClose, "", ""},
		{"invalid utf-8", "[\"CLOSE\",\"a\xffb\"]", envelope.ErrSyntax, envelope.LabelClose, "", ""},
		{"bad escape", `["CLOSE","a\x"]`, envelope.ErrSyntax, envelope.LabelClose, "", ""},
		{"short unicode escape", `["CLOSE","a\u12"]`, envelope.ErrSyntax, envelope.LabelClose, "", ""},
		{"too deep", `["EVENT",` + ev("x", strings.Repeat("[", 70)+strings.Repeat("]", 70)) + `]`, envelope.ErrSyntax, envelope.LabelEvent, "", hexA},
		{"semantic error then bad json", `["EVENT",` + ev("kind", `"1"`) + `,`, envelope.ErrSyntax, envelope.LabelEvent, "", hexA},
		{"object", `{"EVENT":1}`, envelope.ErrNotArray, 0, "", ""},
		{"string", `"EVENT"`, envelope.ErrNotArray, 0, "", ""},
		{"empty array", ` [ ] `, envelope.ErrEmpty, 0, "", ""},
		{"label not a string", `[1,2]`, envelope.ErrLabel, 0, "", ""},
		{"unknown label", `["NOTICE","x"]`, envelope.ErrUnknownLabel, 0, "", ""},
		{"lowercase label", `["event",{}]`, envelope.ErrUnknownLabel, 0, "", ""},
		{"event without event", `["EVENT"]`, envelope.ErrArity, envelope.LabelEvent, "", ""},
		{"event with sub id", `["EVENT","s",` + ev() + `]`, envelope.ErrEvent, envelope.LabelEvent, "", ""},
		{"event with two events", `["EVENT",` + ev() + `,` + ev() + `]`, envelope.ErrArity, envelope.LabelEvent, "", hexA},
		{"event not object", `["EVENT",[1]]`, envelope.ErrEvent, envelope.LabelEvent, "", ""},
		{"event null", `["EVENT",null]`, envelope.ErrEvent, envelope.LabelEvent, "", ""},
		{"kind string", `["EVENT",` + ev("kind", `"1"`) + `]`, envelope.ErrEvent, envelope.LabelEvent, "", hexA},
		{"kind negative", `["EVENT",` + ev("kind", `-1`) + `]`, envelope.ErrEvent, envelope.LabelEvent, "", hexA},
		{"kind too large", `["EVENT",` + ev("kind", `65536`) + `]`, envelope.ErrEvent, envelope.LabelEvent, "", hexA},
		{"kind fraction", `["EVENT",` + ev("kind", `1.0`) + `]`, envelope.ErrEvent, envelope.LabelEvent, "", hexA},
		{"kind exponent", `["EVENT",` + ev("kind", `1e2`) + `]`, envelope.ErrEvent, envelope.LabelEvent, "", hexA},
		{"kind null", `["EVENT",` + ev("kind", `null`) + `]`, envelope.ErrEvent, envelope.LabelEvent, "", hexA},
		{"kind leading zero", `["EVENT",` + ev("kind", `01`) + `]`, envelope.ErrSyntax, envelope.LabelEvent, "", hexA},
		{"created_at string", `["EVENT",` + ev("created_at", `"1"`) + `]`, envelope.ErrEvent, envelope.LabelEvent, "", hexA},
		{"created_at negative", `["EVENT",` + ev("created_at", `-1`) + `]`, envelope.ErrEvent, envelope.LabelEvent, "", hexA},
		{"created_at overflow", `["EVENT",` + ev("created_at", `9223372036854775808`) + `]`, envelope.ErrEvent, envelope.LabelEvent, "", hexA},
		{"id uppercase", `["EVENT",` + ev("id", `"`+strings.ToUpper(hexA)+`"`) + `]`, envelope.ErrEvent, envelope.LabelEvent, "", ""},
		{"id short", `["EVENT",` + ev("id", `"abc"`) + `]`, envelope.ErrEvent, envelope.LabelEvent, "", ""},
		{"id number", `["EVENT",` + ev("id", `1`) + `]`, envelope.ErrEvent, envelope.LabelEvent, "", ""},
		{"pubkey short", `["EVENT",` + ev("pubkey", `"abc"`) + `]`, envelope.ErrEvent, envelope.LabelEvent, "", hexA},
		{"sig 64", `["EVENT",` + ev("sig", `"`+hexA+`"`) + `]`, envelope.ErrEvent, envelope.LabelEvent, "", hexA},
		{"id after bad field", `["EVENT",{"kind":"x","id":"` + hexA + `"}]`, envelope.ErrEvent, envelope.LabelEvent, "", hexA},
		{"tags object", `["EVENT",` + ev("tags", `{}`) + `]`, envelope.ErrEvent, envelope.LabelEvent, "", hexA},
		{"tags of strings", `["EVENT",` + ev("tags", `["e"]`) + `]`, envelope.ErrEvent, envelope.LabelEvent, "", hexA},
		{"tag with number", `["EVENT",` + ev("tags", `[["e",1]]`) + `]`, envelope.ErrEvent, envelope.LabelEvent, "", hexA},
		{"tag with null", `["EVENT",` + ev("tags", `[["e",null]]`) + `]`, envelope.ErrEvent, envelope.LabelEvent, "", hexA},
		{"tags null", `["EVENT",` + ev("tags", `null`) + `]`, envelope.ErrEvent, envelope.LabelEvent, "", hexA},
		{"content number", `["EVENT",` + ev("content", `1`) + `]`, envelope.ErrEvent, envelope.LabelEvent, "", hexA},
		{"missing sig", `["EVENT",` + ev("sig", "") + `]`, envelope.ErrEvent, envelope.LabelEvent, "", hexA},
		{"missing id", `["EVENT",` + ev("id", "") + `]`, envelope.ErrEvent, envelope.LabelEvent, "", ""},
		{"empty event", `["EVENT",{}]`, envelope.ErrEvent, envelope.LabelEvent, "", ""},
		{"duplicate field", `["EVENT",` + ev("x", "1") + `]`, nil, envelope.LabelEvent, "", hexA},
		{"duplicate content", `["EVENT",` + strings.TrimSuffix(ev(), "}") + `,"content":"x"}]`, envelope.ErrEvent, envelope.LabelEvent, "", hexA},
		{"auth challenge", `["AUTH","challenge"]`, envelope.ErrEvent, envelope.LabelAuth, "", ""},
		{"req without filters", `["REQ","s"]`, envelope.ErrArity, envelope.LabelReq, "s", ""},
		{"req without sub id", `["REQ"]`, envelope.ErrArity, envelope.LabelReq, "", ""},
		{"sub id number", `["REQ",1,{}]`, envelope.ErrSubID, envelope.LabelReq, "", ""},
		{"sub id empty", `["REQ","",{}]`, envelope.ErrSubID, envelope.LabelReq, "", ""},
		{"sub id too long", `["REQ","abcde",{}]`, envelope.ErrLimit, envelope.LabelReq, "", ""},
		{"filter not object", `["REQ","s",[]]`, envelope.ErrFilter, envelope.LabelReq, "s", ""},
		{"kinds string", `["REQ","s",{"kinds":"1"}]`, envelope.ErrFilter, envelope.LabelReq, "s", ""},
		{"kinds with string", `["REQ","s",{"kinds":["1"]}]`, envelope.ErrFilter, envelope.LabelReq, "s", ""},
		{"kind out of range", `["REQ","s",{"kinds":[70000]}]`, envelope.ErrFilter, envelope.LabelReq, "s", ""},
		{"limit negative", `["REQ","s",{"limit":-1}]`, envelope.ErrFilter, envelope.LabelReq, "s", ""},
		{"limit fraction", `["REQ","s",{"limit":1.5}]`, envelope.ErrFilter, envelope.LabelReq, "s", ""},
		{"since string", `["REQ","s",{"since":"x"}]`, envelope.ErrFilter, envelope.LabelReq, "s", ""},
		{"until bool", `["REQ","s",{"until":true}]`, envelope.ErrFilter, envelope.LabelReq, "s", ""},
		{"search number", `["REQ","s",{"search":1}]`, envelope.ErrFilter, envelope.LabelReq, "s", ""},
		{"ids not hex", `["REQ","s",{"ids":["abc"]}]`, envelope.ErrFilter, envelope.LabelReq, "s", ""},
		{"authors uppercase", `["REQ","s",{"authors":["` + strings.ToUpper(hexB) + `"]}]`, envelope.ErrFilter, envelope.LabelReq, "s", ""},
		{"tag values numbers", `["REQ","s",{"#e":[1]}]`, envelope.ErrFilter, envelope.LabelReq, "s", ""},
		{"multi-letter tag", `["REQ","s",{"#emoji":["x"]}]`, envelope.ErrFilter, envelope.LabelReq, "s", ""},
		{"digit tag", `["REQ","s",{"#1":["x"]}]`, envelope.ErrFilter, envelope.LabelReq, "s", ""},
		{"bare hash", `["REQ","s",{"#":["x"]}]`, envelope.ErrFilter, envelope.LabelReq, "s", ""},
		{"duplicate kinds", `["REQ","s",{"kinds":[1],"kinds":[2]}]`, envelope.ErrFilter, envelope.LabelReq, "s", ""},
		{"duplicate tag", `["REQ","s",{"#e":[],"#e":["x"]}]`, envelope.ErrFilter, envelope.LabelReq, "s", ""},
		{"too many filters", `["REQ","s",{},{},{}]`, envelope.ErrLimit, envelope.LabelReq, "s", ""},
		{"too many values", `["COUNT","s",{"kinds":[1,2,3]}]`, envelope.ErrLimit, envelope.LabelCount, "s", ""},
		{"too many tag values", `["REQ","s",{"#t":["a","b","c"]}]`, envelope.ErrLimit, envelope.LabelReq, "s", ""},
		{"close with extra", `["CLOSE","s",{}]`, envelope.ErrArity, envelope.LabelClose, "s", ""},
		{"close number", `["CLOSE",1]`, envelope.ErrSubID, envelope.LabelClose, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "duplicate field" {
				// ev() replaces known fields, so build the duplicate by hand.
				tc.msg = `["EVENT",` + strings.TrimSuffix(ev(), "}") + `,"kind":1}]`
				tc.err = envelope.ErrEvent
			}
			_, err := checkParse(t, []byte(tc.msg), lim)
			var e *envelope.Error
			if !errors.As(err, &e) {
				t.Fatalf("Parse(%s) = %v, want *envelope.Error", tc.msg, err)
			}
			if !errors.Is(err, tc.err) || e.Label != tc.label || e.SubID != tc.subID || e.EventID != tc.eventID {
				t.Errorf("Parse(%s) = {%v %v sub=%q id=%q}, want {%v %v sub=%q id=%q}", tc.msg,
					e.Err, e.Label, e.SubID, e.EventID, tc.err, tc.label, tc.subID, tc.eventID)
			}
			if e.Reason == "" || e.Error() == "" {
				t.Errorf("Parse(%s): empty reason", tc.msg)
			}
		})
	}
}

func TestParseSignedEvents(t *testing.T) {
	contents := []string{
		"",
		"plain",
		typicalEvent(t).Content,
		"quotes \" backslash \\ slash / controls \x00\x01\x08\x0b\x0c\x1f\x7f tab\t cr\r lf\n",
		"unicode: é 日本語 😀 \u2028 \u2029 \ufeff \U0010FFFF",
		"<script>alert('&')</script>",
		strings.Repeat("long ", 2000),
	}
	for i, content := range contents {
		t.Run(fmt.Sprint(i), func(t *testing.T) {
			want := signed(t, 1, content, nostr.Tags{{"t", content}, {"e", hexA, "", "reply"}})
			msg := eventMsg(t, want)
			got, err := checkParse(t, msg, envelope.Limits{})
			if err != nil {
				t.Fatalf("Parse: %v", err)
			}
			if !reflect.DeepEqual(*got.Event, want) {
				t.Fatalf("event = %#v, want %#v", *got.Event, want)
			}
			if !got.Event.CheckID() {
				t.Errorf("CheckID() = false")
			}
			if ok, err := got.Event.CheckSignature(); !ok || err != nil {
				t.Errorf("CheckSignature() = %v, %v", ok, err)
			}
			var back nostr.Event
			if err := easyjson.Unmarshal(got.Raw, &back); err != nil || !reflect.DeepEqual(back, want) {
				t.Errorf("Raw decodes to %#v, %v; want %#v", back, err, want)
			}
		})
	}
}
