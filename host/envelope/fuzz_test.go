package envelope_test

import (
	"bytes"
	"reflect"
	"testing"

	"github.com/relayd/relayd/host/envelope"
)

// fuzzLimits are small limits, so the fuzzer reaches them.
var fuzzLimits = envelope.Limits{MaxSubIDLength: 8, MaxFilters: 3, MaxFilterValues: 3}

// FuzzParse holds Parse to the encoding/json reference and to go-nostr:
// both must agree on every verdict, and an accepted event must survive
// Raw → Parse unchanged. Seeds are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`["REQ","s",{"kinds":[1],"#e":["x"]}]`))
	f.Add([]byte(`["NEG-OPEN","n",{"kinds":[1]},"6100000200"]`))
	// Found by the fuzzer: go-nostr's encoder dropped the empty lists.
	f.Add([]byte(`["REQ","s",{"ids":[],"kinds":[],"authors":[],"#e":[]},{}]`))
	f.Add([]byte(`["NEG-MSG","n","61"]`))
	f.Add([]byte(`["NEG-CLOSE","n"]`))
	f.Fuzz(func(t *testing.T, msg []byte) {
		m, err := checkParse(t, msg, envelope.Limits{})
		checkParse(t, msg, fuzzLimits)
		if err == nil && len(m.Filters) > 0 {
			// The filters as plugins read them (AppendFilters) parse back
			// to the same filters.
			arr := envelope.AppendFilters(nil, m.Filters)
			again := append(append([]byte(`["REQ","s",`), arr[1:len(arr)-1]...), ']')
			m2, err := checkParse(t, again, envelope.Limits{})
			if err != nil {
				t.Fatalf("Parse(AppendFilters) %s = %v", again, err)
			}
			if !reflect.DeepEqual(m2.Filters, m.Filters) {
				t.Fatalf("AppendFilters %s parses to %#v, want %#v", arr, m2.Filters, m.Filters)
			}
		}
		if err != nil || m.Event == nil {
			return
		}
		again := append(append([]byte(`["EVENT",`), m.Raw...), ']')
		m2, err := checkParse(t, again, envelope.Limits{})
		if err != nil {
			t.Fatalf("Parse(Raw) = %v", err)
		}
		if !reflect.DeepEqual(m2.Event, m.Event) || !bytes.Equal(m2.Raw, m.Raw) {
			t.Fatalf("Raw %s parses to %#v, want %#v", m.Raw, m2.Event, m.Event)
		}
	})
}

// FuzzAppend checks that the Append functions write JSON that go-nostr and
// encoding/json read back to the same values.
func FuzzAppend(f *testing.F) {
	f.Add("hello", int64(0))
	f.Fuzz(func(t *testing.T, s string, n int64) {
		checkAppend(t, s, n)
	})
}
