package envelope_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/mailru/easyjson/jwriter"
	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/envelope"
)

func TestAppend(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"ok true", envelope.AppendOK(nil, hexA, true, ""), `["OK","` + hexA + `",true,""]`},
		{"ok false", envelope.AppendOK(nil, hexA, false, `invalid: "bad"`), `["OK","` + hexA + `",false,"invalid: \"bad\""]`},
		{"eose", envelope.AppendEOSE(nil, "sub"), `["EOSE","sub"]`},
		{"closed", envelope.AppendClosed(nil, `a"b`, "error: x\ny"), `["CLOSED","a\"b","error: x\ny"]`},
		{"notice", envelope.AppendNotice(nil, "<b>&\\</b>"), `["NOTICE","<b>&\\</b>"]`},
		{"notice controls", envelope.AppendNotice(nil, "\x00\x08\x0c\x1f\x7f\t\r"), `["NOTICE","\u0000\u0008\u000c\u001f` + "\x7f" + `\t\r"]`},
		{"notice invalid utf-8", envelope.AppendNotice(nil, "a\xffb\xe2\x82"), `["NOTICE","a\ufffdb\ufffd\ufffd"]`},
		{"notice separators", envelope.AppendNotice(nil, "é\u2028\u2029😀"), `["NOTICE","é\u2028\u2029😀"]`},
		{"auth", envelope.AppendAuth(nil, "chal"), `["AUTH","chal"]`},
		{"count", envelope.AppendCount(nil, "c", 42), `["COUNT","c",{"count":42}]`},
		{"count zero", envelope.AppendCount(nil, "c", 0), `["COUNT","c",{"count":0}]`},
		{"event prefix", envelope.AppendEventPrefix(nil, "sub"), `["EVENT","sub",`},
		{"appends", envelope.AppendEOSE([]byte("x"), "s"), `x["EOSE","s"]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if string(tc.got) != tc.want {
				t.Errorf("got %s, want %s", tc.got, tc.want)
			}
		})
	}
}

func TestAppendAllocs(t *testing.T) {
	buf := make([]byte, 0, 1024)
	id := hexA
	allocs := testing.AllocsPerRun(100, func() {
		b := envelope.AppendOK(buf[:0], id, false, "invalid: bad \"thing\"\n")
		b = envelope.AppendEOSE(b, "sub")
		b = envelope.AppendClosed(b, "sub", "error: é\xff")
		b = envelope.AppendNotice(b, "hello")
		b = envelope.AppendAuth(b, "challenge")
		b = envelope.AppendCount(b, "sub", 1234567)
		_ = envelope.AppendEventPrefix(b, "sub")
	})
	if allocs != 0 {
		t.Errorf("allocs = %v, want 0", allocs)
	}
}

func TestAppendRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", "quote\" back\\ nul\x00 del\x7f", "é日😀\u2028", "bad\xff\xc3(", "<>&"} {
		checkAppend(t, s, 7)
	}
}

// checkAppend checks that each Append function writes valid JSON that
// go-nostr and encoding/json read back to s (with invalid UTF-8 replaced),
// and that strings are escaped exactly as easyjson escapes them.
func checkAppend(t *testing.T, s string, n int64) {
	t.Helper()
	want := string([]rune(s))
	w := jwriter.Writer{NoEscapeHTML: true}
	w.String(s)
	if got, ej := envelope.AppendNotice(nil, s), `["NOTICE",`+string(w.Buffer.BuildBytes())+`]`; string(got) != ej {
		t.Fatalf("AppendNotice(%q) = %s, easyjson writes %s", s, got, ej)
	}
	msgs := map[string][]byte{
		"OK":     envelope.AppendOK(nil, s, true, s),
		"EOSE":   envelope.AppendEOSE(nil, s),
		"CLOSED": envelope.AppendClosed(nil, s, s),
		"NOTICE": envelope.AppendNotice(nil, s),
		"AUTH":   envelope.AppendAuth(nil, s),
		"COUNT":  envelope.AppendCount(nil, s, n),
		"EVENT":  append(envelope.AppendEventPrefix(nil, s), `{"kind":1,"created_at":0,"tags":[],"content":""}]`...),
	}
	for label, msg := range msgs {
		var arr []any
		if err := json.Unmarshal(msg, &arr); err != nil {
			t.Fatalf("%s(%q) = %s: not JSON: %v", label, s, msg, err)
		}
		if arr[0] != label || arr[1] != want {
			t.Fatalf("%s(%q) = %s, decodes to %q", label, s, msg, arr)
		}
		var env nostr.Envelope
		switch label {
		case "OK":
			env = &nostr.OKEnvelope{}
		case "EOSE":
			env = new(nostr.EOSEEnvelope)
		case "CLOSED":
			env = &nostr.ClosedEnvelope{}
		case "NOTICE":
			env = new(nostr.NoticeEnvelope)
		case "AUTH":
			env = &nostr.AuthEnvelope{}
		case "COUNT":
			env = &nostr.CountEnvelope{}
		case "EVENT":
			env = &nostr.EventEnvelope{}
		}
		if err := env.FromJSON(string(msg)); err != nil {
			t.Fatalf("go-nostr cannot read %s: %v", msg, err)
		}
		wantEnv := map[string]nostr.Envelope{
			"OK":     &nostr.OKEnvelope{EventID: want, OK: true, Reason: want},
			"EOSE":   ptr(nostr.EOSEEnvelope(want)),
			"CLOSED": &nostr.ClosedEnvelope{SubscriptionID: want, Reason: want},
			"NOTICE": ptr(nostr.NoticeEnvelope(want)),
			"AUTH":   &nostr.AuthEnvelope{Challenge: &want},
			"COUNT":  &nostr.CountEnvelope{SubscriptionID: want, Count: &n},
			"EVENT":  &nostr.EventEnvelope{SubscriptionID: &want, Event: nostr.Event{Kind: 1, Tags: nostr.Tags{}}},
		}[label]
		if !reflect.DeepEqual(env, wantEnv) {
			t.Fatalf("go-nostr reads %s as %#v, want %#v", msg, env, wantEnv)
		}
	}
}

func ptr[T any](v T) *T { return &v }
