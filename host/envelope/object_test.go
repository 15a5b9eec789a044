package envelope_test

import (
	"bytes"
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/relayd/relayd/host/envelope"
)

// TestParseEventMatchesParse: a standalone event object (a JSONL line)
// gets exactly what the same object gets inside an EVENT message: the same
// event, the same canonical Raw, the same error and salvaged id.
func TestParseEventMatchesParse(t *testing.T) {
	typical := typicalEvent(t)
	typicalJSON, _ := typical.MarshalJSON()
	tests := []struct {
		name string
		obj  string
		err  error // nil: valid
	}{
		{"plain", ev(), nil},
		{"go-nostr output", string(typicalJSON), nil},
		{"surrounding whitespace", " \t" + ev() + "\r\n", nil},
		{"unknown fields dropped", ev("x", `{"a":[1,2]}`, "seen_on", `["wss://x"]`), nil},
		{"escapes", ev("content", `"a\"b\u00e9\ud83d\ude00\/"`), nil},
		{"empty line", "", envelope.ErrSyntax},
		{"not json", "hello", envelope.ErrSyntax},
		{"truncated", ev()[:40], envelope.ErrSyntax},
		{"two objects", ev() + ev(), envelope.ErrSyntax},
		{"array", `[` + ev() + `]`, envelope.ErrEvent},
		{"missing sig", ev("sig", ""), envelope.ErrEvent},
		{"kind string", ev("kind", `"1"`), envelope.ErrEvent},
		{"id short", ev("id", `"abc"`), envelope.ErrEvent},
		{"duplicate field", strings.Replace(ev(), `"kind":1`, `"kind":1,"kind":2`, 1), envelope.ErrEvent},
		{"invalid utf-8", strings.Replace(ev(), `"hi"`, "\"h\xffi\"", 1), envelope.ErrSyntax},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			gotEv, gotRaw, gotErr := envelope.ParseEvent([]byte(tc.obj))
			want, wantErr := envelope.Parse([]byte(`["EVENT",`+tc.obj+`]`), envelope.Limits{})
			if tc.err == nil {
				if gotErr != nil || wantErr != nil {
					t.Fatalf("ParseEvent: %v, Parse: %v", gotErr, wantErr)
				}
				if !reflect.DeepEqual(gotEv, want.Event) {
					t.Errorf("event: got %#v, want %#v", gotEv, want.Event)
				}
				if !bytes.Equal(gotRaw, want.Raw) {
					t.Errorf("raw: got %s, want %s", gotRaw, want.Raw)
				}
				return
			}
			var e *envelope.Error
			if !errors.As(gotErr, &e) || !errors.Is(gotErr, tc.err) {
				t.Fatalf("got %v, want %v", gotErr, tc.err)
			}
			if e.Label != envelope.LabelEvent || e.Reason == "" {
				t.Errorf("got label %v reason %q", e.Label, e.Reason)
			}
			var we *envelope.Error
			if errors.As(wantErr, &we) && errors.Is(wantErr, tc.err) && we.EventID != e.EventID {
				t.Errorf("salvaged id %q, Parse salvages %q", e.EventID, we.EventID)
			}
		})
	}
}

// TestParseEventSalvagesID: a bad line still names its event when its id
// is readable, so an import can report which event it was.
func TestParseEventSalvagesID(t *testing.T) {
	_, _, err := envelope.ParseEvent([]byte(ev("kind", `"x"`)))
	var e *envelope.Error
	if !errors.As(err, &e) || e.EventID != hexA {
		t.Fatalf("got %v (%#v), want id %s", err, e, hexA)
	}
}
