package envelope_test

import (
	"strings"
	"testing"

	"github.com/relayd/relayd/host/envelope"
)

func TestPeek(t *testing.T) {
	id := strings.Repeat("ab", 32)
	tests := []struct {
		name  string
		head  string
		label envelope.Label
		first string
	}{
		{"event id first", `["EVENT",{"id":"` + id + `","content":"xxxx`, envelope.LabelEvent, id},
		{"event id after kind", `[ "EVENT" , {"kind":1, "id" : "` + id + `"`, envelope.LabelEvent, id},
		{"event id cut", `["EVENT",{"id":"` + id[:10], envelope.LabelEvent, ""},
		{"event id not hex", `["EVENT",{"id":"` + strings.Repeat("z", 64) + `"`, envelope.LabelEvent, ""},
		{"req", `["REQ","sub\"1",{"authors":[`, envelope.LabelReq, `sub"1`},
		{"count", `["COUNT","c",{`, envelope.LabelCount, "c"},
		{"neg-open", `["NEG-OPEN","n",{"kinds":[1]},"61`, envelope.LabelNegOpen, "n"},
		{"neg-msg", `["NEG-MSG","n","6100`, envelope.LabelNegMsg, "n"},
		{"req cut in sub id", `["REQ","abc`, envelope.LabelReq, ""},
		{"unknown", `["WHAT","x"`, envelope.LabelUnknown, ""},
		{"not an array", `{"a":`, envelope.LabelUnknown, ""},
		{"empty", ``, envelope.LabelUnknown, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, first := envelope.Peek([]byte(tc.head))
			if l != tc.label || first != tc.first {
				t.Fatalf("got %v %q, want %v %q", l, first, tc.label, tc.first)
			}
		})
	}
}

func FuzzPeek(f *testing.F) {
	f.Add([]byte(`["EVENT",{"id":"` + strings.Repeat("0", 64) + `"`))
	f.Add([]byte(`["REQ","s",{}]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		envelope.Peek(b) // must not panic
	})
}
