package envelope_test

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/envelope"
)

// TestAppendFiltersMatchesEncodingJSON: AppendFilters gives the JSON
// encoding/json.Marshal gave before it (what plugins read as FieldFilters):
// the same bytes, except that <, > and & are not escaped (and empty lists
// are kept: TestAppendFiltersKeepsEmptyLists).
func TestAppendFiltersMatchesEncodingJSON(t *testing.T) {
	since, until := nostr.Timestamp(1700000000), nostr.Timestamp(1800000000)
	tests := []struct {
		name string
		fs   nostr.Filters
	}{
		{"none", nostr.Filters{}},
		{"nil", nil},
		{"empty filter", nostr.Filters{{}}},
		{"author kinds limit", nostr.Filters{{Authors: []string{"ab", "cd"}, Kinds: []int{0, 1, 30023}, Limit: 50}}},
		{"limit zero", nostr.Filters{{Kinds: []int{1}, LimitZero: true}}},
		{"times and ids", nostr.Filters{{IDs: []string{"ff"}, Since: &since, Until: &until}}},
		{"tag", nostr.Filters{{Tags: nostr.TagMap{"t": {"<b>&", "ünï\"\\"}}}}},
		{"tags", nostr.Filters{{Tags: nostr.TagMap{"e": {"x"}, "t": {"y"}, "p": {"z"}}}}}, // any key order
		{"search", nostr.Filters{{Search: "a <query> & \u2028"}}},
		{"escapes", nostr.Filters{{Authors: []string{"q\"b\\s\n\x01", "bad \xff utf8"}}}},
		{"everything", nostr.Filters{{IDs: []string{"aa"}, Kinds: []int{1}, Authors: []string{"bb"}, Since: &since, Until: &until, Limit: 5, Search: "s", Tags: nostr.TagMap{"e": {"cc"}}}}},
		{"several", nostr.Filters{{Kinds: []int{1}}, {Authors: []string{"aa"}}, {Tags: nostr.TagMap{"p": {"bb"}}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := json.Marshal(tt.fs)
			if err != nil {
				t.Fatal(err)
			}
			if tt.fs == nil {
				want = []byte("[]") // a REQ always has a (possibly empty) list
			}
			got := envelope.AppendFilters(nil, tt.fs)
			unescaped := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(want))
			if !manyTags(tt.fs) && string(got) != unescaped {
				t.Errorf("AppendFilters = %s\nencoding/json  = %s", got, want)
			}
			var a, b any
			if err := json.Unmarshal(got, &a); err != nil {
				t.Fatalf("AppendFilters gave invalid JSON %s: %v", got, err)
			}
			if err := json.Unmarshal(want, &b); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(a, b) {
				t.Errorf("decoded differently: %v vs %v", a, b)
			}
			if pre := envelope.AppendFilters([]byte("x"), tt.fs); string(pre[:1]) != "x" || len(pre) != len(got)+1 {
				t.Errorf("AppendFilters with a prefix = %s", pre)
			}
		})
	}
}

// manyTags reports whether a filter has two tag keys or more, whose order
// in the JSON follows Go's map iteration.
func manyTags(fs nostr.Filters) bool {
	for _, f := range fs {
		if len(f.Tags) > 1 {
			return true
		}
	}
	return false
}

// TestAppendFiltersKeepsEmptyLists: "ids":[] matches nothing (NIP-01); a
// plugin must not read it as a filter without ids, which matches
// everything (go-nostr's encoder drops empty lists).
func TestAppendFiltersKeepsEmptyLists(t *testing.T) {
	fs := nostr.Filters{{IDs: []string{}, Kinds: []int{}, Authors: []string{}, Tags: nostr.TagMap{"e": {}}}}
	want := `[{"ids":[],"kinds":[],"authors":[],"#e":[]}]`
	if got := envelope.AppendFilters(nil, fs); string(got) != want {
		t.Errorf("AppendFilters = %s, want %s", got, want)
	}
}
