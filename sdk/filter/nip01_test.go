package filter_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/relayd/relayd/sdk/filter"
)

func TestParseNIP01(t *testing.T) {
	i64 := func(n int64) *int64 { return &n }
	tests := []struct {
		name, in string
		want     []filter.NIP01
		out      string // AppendNIP01 of want; "" means in
		err      string
	}{
		{"empty", `[]`, []filter.NIP01{}, "", ""},
		{"empty filter", `[{}]`, []filter.NIP01{{}}, "", ""},
		{"every field", `[{"ids":["aa"],"authors":["bb","cc"],"kinds":[1,7],"#e":["dd"],"#p":[],"since":10,"until":20,"limit":0,"search":"a \"b\" é"}]`,
			[]filter.NIP01{{IDs: []string{"aa"}, Authors: []string{"bb", "cc"}, Kinds: []int{1, 7},
				Tags: map[string][]string{"e": {"dd"}, "p": {}}, Since: i64(10), Until: i64(20), Limit: i64(0), Search: `a "b" é`}},
			"", ""},
		{"order and other keys", `[{"limit":5,"x":{"y":[1]},"kinds":[1]},{"#t":["a"]}]`,
			[]filter.NIP01{{Kinds: []int{1}, Limit: i64(5), Other: nil}, {Tags: map[string][]string{"t": {"a"}}}},
			`[{"kinds":[1],"limit":5,"x":{"y":[1]}},{"#t":["a"]}]`, ""},
		{"empty arrays kept", `[{"kinds":[],"authors":[]}]`, []filter.NIP01{{Kinds: []int{}, Authors: []string{}}}, `[{"authors":[],"kinds":[]}]`, ""},
		{"bad kinds", `[{"kinds":["1"]}]`, nil, "", `filter: bad value for "kinds"`},
		{"bad limit", `[{"limit":"5"}]`, nil, "", `filter: bad value for "limit"`},
		{"bad search", `[{"search":5}]`, nil, "", `filter: bad value for "search"`},
		{"bad tag", `[{"#e":"x"}]`, nil, "", `filter: bad value for "#e"`},
		{"not filters", `{"kinds":[1]}`, nil, "", "filter: bad filters JSON"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := filter.ParseNIP01([]byte(tc.in))
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("got %v, want error %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for i := range got { // Other is raw; compare it by its JSON
				got[i].Other = nil
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("got  %+v\nwant %+v", got, tc.want)
			}
			all, _ := filter.ParseNIP01([]byte(tc.in))
			out := string(filter.AppendNIP01(nil, all))
			want := tc.out
			if want == "" {
				want = tc.in
			}
			if out != want {
				t.Errorf("AppendNIP01: %s, want %s", out, want)
			}
		})
	}
}

// FuzzNIP01String: a search or tag value written by AppendNIP01 reads back
// the same with encoding/json, whatever the string.
func FuzzNIP01String(f *testing.F) {
	for _, s := range []string{"", "plain", `q"uote\`, "tab\tnl\n\x00\x1f", "é😀", "\xff\xfe", "\u2028<>&"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := filter.AppendNIP01(nil, []filter.NIP01{{Search: s, Tags: map[string][]string{"t": {s}}}})
		var got []struct {
			Search string   `json:"search"`
			T      []string `json:"#t"`
		}
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatalf("%q -> %s: %v", s, b, err)
		}
		var want string // what encoding/json makes of s: each invalid byte is U+FFFD
		mb, _ := json.Marshal(s)
		json.Unmarshal(mb, &want)
		if len(got) != 1 || got[0].T[0] != want || (s != "" && got[0].Search != want) {
			t.Errorf("%q -> %s -> %+v", s, b, got)
		}
	})
}
