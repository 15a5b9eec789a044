package kinds_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/relayd/relayd/sdk/kinds"
)

func TestParseRange(t *testing.T) {
	tests := []struct {
		in   string
		want kinds.Range
		err  string
	}{
		{"7", kinds.Range{Lo: 7, Hi: 7}, ""},
		{" 30000 - 39999 ", kinds.Range{Lo: 30000, Hi: 39999}, ""},
		{"0-0", kinds.Range{}, ""},
		{"5-4", kinds.Range{}, `kind "5-4": want a kind (7) or a range (30000-39999)`},
		{"-1", kinds.Range{}, `kind "-1": want a kind (7) or a range (30000-39999)`},
		{"a", kinds.Range{}, `kind "a": want a kind (7) or a range (30000-39999)`},
		{"1.5", kinds.Range{}, `kind "1.5": want a kind (7) or a range (30000-39999)`},
		{"", kinds.Range{}, `kind "": want a kind (7) or a range (30000-39999)`},
	}
	for _, tc := range tests {
		got, err := kinds.ParseRange(tc.in)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("ParseRange(%q): got %v, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || got != tc.want {
			t.Errorf("ParseRange(%q): got %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestSetUnmarshalJSON(t *testing.T) {
	tests := []struct {
		in   string
		want kinds.Set
		err  string
	}{
		{`[]`, kinds.Set{}, ""},
		{`[1, 7, "30000-39999", " 4 "]`, kinds.Set{{1, 1}, {7, 7}, {30000, 39999}, {4, 4}}, ""},
		{`1`, nil, `kinds: want a list of kinds and "lo-hi" ranges`},
		{`{"a":1}`, nil, `kinds: want a list of kinds and "lo-hi" ranges`},
		{`[true]`, nil, `kinds: want numbers and "lo-hi" strings`},
		{`[1.5]`, nil, `kind "1.5": want a kind (7) or a range (30000-39999)`},
		{`["9-3"]`, nil, `kind "9-3": want a kind (7) or a range (30000-39999)`},
	}
	for _, tc := range tests {
		var got kinds.Set
		err := json.Unmarshal([]byte(tc.in), &got)
		if tc.err != "" {
			if err == nil || err.Error() != tc.err {
				t.Errorf("%s: got %v, %v; want error %q", tc.in, got, err, tc.err)
			}
			continue
		}
		if err != nil || !reflect.DeepEqual(got, tc.want) {
			t.Errorf("%s: got %v, %v; want %v", tc.in, got, err, tc.want)
		}
	}
}

func TestSetHas(t *testing.T) {
	var s kinds.Set
	if s.Has(0) {
		t.Error("the empty set has kind 0")
	}
	for _, spec := range []string{"1", "30000-39999"} {
		if err := s.Add(spec); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Add("x"); err == nil || len(s) != 2 {
		t.Errorf(`Add("x"): got %v, %d entries; want an error, 2 entries`, err, len(s))
	}
	for kind, want := range map[int]bool{0: false, 1: true, 2: false, 29999: false, 30000: true, 35000: true, 39999: true, 40000: false} {
		if got := s.Has(kind); got != want {
			t.Errorf("Has(%d): got %v, want %v", kind, got, want)
		}
	}
}
