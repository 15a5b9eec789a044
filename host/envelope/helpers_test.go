package envelope_test

import (
	"bytes"
	"reflect"
	"strings"
	"testing"

	"github.com/mailru/easyjson"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip77"

	"github.com/relayd/relayd/host/envelope"
)

// testKey is a fixed secret key, so fixtures are the same on every run.
const testKey = "7f7ff03d123792d6ac594bfa67bf6d0c0ab55b6b1fdb6249303fe861f1ccba9a"

// signed returns a signed event.
func signed(t testing.TB, kind int, content string, tags nostr.Tags) nostr.Event {
	t.Helper()
	ev := nostr.Event{CreatedAt: 1700000000, Kind: kind, Tags: tags, Content: content}
	if err := ev.Sign(testKey); err != nil {
		t.Fatalf("sign: %v", err)
	}
	return ev
}

// typicalEvent is a kind-1 note of about 700 bytes with 4 tags, the shape
// the benchmarks use.
func typicalEvent(t testing.TB) nostr.Event {
	return signed(t, 1, strings.Repeat("gm nostr, this is a note with some text in it. ", 5)+
		"Ünïcödé ✨ and \"quotes\" and a\nnewline.", nostr.Tags{
		{"e", "5c83da77af1dec6d7289834998ad7aafbd9e2191396d75ec3cc27f5a77226f36", "wss://relay.example.com", "root"},
		{"p", "f7234bd4c1394dda46d09f35bd384dd30cc552ad5541990f98844fb06676e9ca"},
		{"t", "nostr"},
		{"client", "relayd-test"},
	})
}

// eventMsg wraps an event in an EVENT message.
func eventMsg(t testing.TB, ev nostr.Event) []byte {
	t.Helper()
	raw, err := easyjson.Marshal(ev)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return append(append([]byte(`["EVENT",`), raw...), ']')
}

// checkParse parses msg and compares the result with the reference and,
// when Parse accepts, with go-nostr's own parsing.
func checkParse(t *testing.T, msg []byte, lim envelope.Limits) (envelope.Message, error) {
	t.Helper()
	got, err := envelope.Parse(msg, lim)
	want, werr := refParse(msg, lim)
	if werr != nil {
		if err == nil {
			t.Fatalf("Parse(%q) accepted; reference rejects with %v", msg, werr.err)
		}
		if !sameErr(err, werr) {
			t.Fatalf("Parse(%q) = %#v; reference wants %v (sub %q, event %q)", msg, err, werr.err, werr.subID, werr.eventID)
		}
		return got, err
	}
	if err != nil {
		t.Fatalf("Parse(%q) = %v; reference accepts", msg, err)
	}
	if got.Label != want.Label || got.SubID != want.SubID || got.NegMessage != want.NegMessage {
		t.Fatalf("Parse(%q) = %v %q, want %v %q", msg, got.Label, got.SubID, want.Label, want.SubID)
	}
	if !reflect.DeepEqual(got.Event, want.Event) {
		t.Fatalf("Parse(%q) event = %#v, want %#v", msg, got.Event, want.Event)
	}
	if !reflect.DeepEqual(got.Filters, want.Filters) {
		t.Fatalf("Parse(%q) filters = %#v, want %#v", msg, got.Filters, want.Filters)
	}
	if got.Event != nil {
		raw, _ := easyjson.Marshal(got.Event)
		if !bytes.Equal(got.Raw, raw) {
			t.Fatalf("Parse(%q) raw = %s, want %s", msg, got.Raw, raw)
		}
	}
	checkGoNostr(t, msg, got)
	return got, err
}

// checkGoNostr checks that go-nostr accepts what Parse accepted, with the
// same meaning. It skips messages whose label is escaped, which go-nostr
// does not read.
func checkGoNostr(t *testing.T, msg []byte, got envelope.Message) {
	t.Helper()
	trimmed := bytes.TrimLeft(msg, " \t\r\n")
	trimmed = bytes.TrimLeft(trimmed[1:], " \t\r\n")
	if !bytes.HasPrefix(trimmed, []byte(`"`+got.Label.String()+`"`)) {
		return
	}
	switch got.Label {
	case envelope.LabelNegOpen, envelope.LabelNegMsg, envelope.LabelNegClose:
		checkGoNostrNeg(t, msg, got)
		return
	}
	env, err := nostr.NewMessageParser().ParseMessage(string(msg))
	if err != nil && got.Event != nil && hasUnknownEventFields(msg) {
		// go-nostr rejects unknown event fields, which Parse drops: hold
		// it to the canonical form instead.
		canon := append(append([]byte(`["`+got.Label.String()+`",`), got.Raw...), ']')
		env, err = nostr.NewMessageParser().ParseMessage(string(canon))
	}
	if err != nil {
		t.Fatalf("go-nostr rejects %q, which Parse accepted: %v", msg, err)
	}
	switch env := env.(type) {
	case *nostr.EventEnvelope:
		if !reflect.DeepEqual(env.Event, *got.Event) {
			t.Fatalf("go-nostr reads %q as %#v, Parse as %#v", msg, env.Event, *got.Event)
		}
	case *nostr.AuthEnvelope:
		if !reflect.DeepEqual(env.Event, *got.Event) {
			t.Fatalf("go-nostr reads %q as %#v, Parse as %#v", msg, env.Event, *got.Event)
		}
	case *nostr.ReqEnvelope:
		if !sameFilters(env.Filters, got.Filters) || env.SubscriptionID != got.SubID {
			t.Fatalf("go-nostr reads %q as %q %#v, Parse as %q %#v", msg, env.SubscriptionID, env.Filters, got.SubID, got.Filters)
		}
	case *nostr.CountEnvelope:
		if env.Count == nil && len(got.Filters) == 1 && !sameFilters(nostr.Filters{env.Filter}, got.Filters) {
			t.Fatalf("go-nostr reads %q as %#v, Parse as %#v", msg, env.Filter, got.Filters)
		}
	case *nostr.CloseEnvelope:
		if string(*env) != got.SubID {
			t.Fatalf("go-nostr reads %q as %q, Parse as %q", msg, *env, got.SubID)
		}
	default:
		t.Fatalf("go-nostr reads %q as %T", msg, env)
	}
}

// checkGoNostrNeg checks an accepted NIP-77 message against go-nostr's
// nip77 parser, which reads only messages that start with `["NEG-...",`.
func checkGoNostrNeg(t *testing.T, msg []byte, got envelope.Message) {
	t.Helper()
	if !bytes.HasPrefix(msg, []byte(`["`+got.Label.String()+`",`)) {
		return
	}
	env := nip77.ParseNegMessage(string(msg))
	var sub, negMsg string
	switch env := env.(type) {
	case *nip77.OpenEnvelope:
		if !sameFilters(nostr.Filters{env.Filter}, got.Filters) {
			t.Fatalf("go-nostr reads %q as %#v, Parse as %#v", msg, env.Filter, got.Filters)
		}
		sub, negMsg = env.SubscriptionID, env.Message
	case *nip77.MessageEnvelope:
		sub, negMsg = env.SubscriptionID, env.Message
	case *nip77.CloseEnvelope:
		sub = env.SubscriptionID
	default:
		t.Fatalf("go-nostr reads %q as %T", msg, env)
	}
	if sub != got.SubID || negMsg != got.NegMessage {
		t.Fatalf("go-nostr reads %q as %q %q, Parse as %q %q", msg, sub, negMsg, got.SubID, got.NegMessage)
	}
}

// sameFilters compares filters, taking an empty tag map as none.
func sameFilters(a, b nostr.Filters) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		x, y := a[i], b[i]
		if len(x.Tags) == 0 {
			x.Tags = nil
		}
		if len(y.Tags) == 0 {
			y.Tags = nil
		}
		if !reflect.DeepEqual(x, y) {
			return false
		}
	}
	return true
}

// hasUnknownEventFields reports whether the event in an accepted EVENT or
// AUTH message has fields besides the seven of NIP-01.
func hasUnknownEventFields(msg []byte) bool {
	root, err := refDecode(msg)
	if err != nil {
		return false
	}
	for _, k := range root.arr[1].keys {
		switch k {
		case "id", "pubkey", "created_at", "kind", "tags", "content", "sig":
		default:
			return true
		}
	}
	return false
}
