package filter_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/relayd/relayd/sdk/filter"
)

// FuzzParse: whatever Parse accepts, encoding/json accepts too and reads
// the same after Append. testdata/fuzz/FuzzParse holds the finds.
func FuzzParse(f *testing.F) {
	f.Add(`[{"kinds":[1],"#p":["x"],"search":"a\"b"}]`)
	f.Add(`[{},{"limit":5}]`)
	f.Fuzz(func(t *testing.T, in string) {
		fs, err := filter.Parse([]byte(in))
		if err != nil {
			return
		}
		var want []map[string]any
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			return // Parse is laxer on numbers and literals; the relay only sends valid JSON
		}
		var got []map[string]any
		if err := json.Unmarshal(filter.Append(nil, fs), &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: round trip differs", in)
		}
	})
}
