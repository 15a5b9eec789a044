package kinds_test

import (
	"testing"

	"github.com/relayd/relayd/sdk/kinds"
)

func TestMap(t *testing.T) {
	var m kinds.Map[string]
	if _, ok := m.Get(1); ok {
		t.Error("the empty map has kind 1")
	}
	for spec, v := range map[string]string{
		"1": "one", "0-100": "low", "30000-39999": "param", "30000-30100": "narrow", "30050-30150": "narrow2", "7-7": "seven",
	} {
		r, err := kinds.ParseRange(spec)
		if err != nil {
			t.Fatal(err)
		}
		m.Put(r, v)
	}
	m.Put(kinds.Range{Lo: 30000, Hi: 39999}, "param!")
	tests := []struct {
		kind int
		want string // "" for none
	}{
		{1, "one"}, {7, "seven"}, {0, "low"}, {100, "low"}, {101, ""},
		{30000, "narrow"}, {30050, "narrow"}, {30101, "narrow2"}, {30150, "narrow2"}, {30151, "param!"}, {39999, "param!"}, {40000, ""},
	}
	for _, tc := range tests {
		got, ok := m.Get(tc.kind)
		if ok != (tc.want != "") || got != tc.want {
			t.Errorf("Get(%d): got %q, %v; want %q", tc.kind, got, ok, tc.want)
		}
	}
	n, last := 0, kinds.Range{}
	for r, v := range m.All() {
		n++
		if v == "" {
			t.Errorf("All: %v has no value", r)
		}
		if r.Lo != r.Hi && last.Lo != last.Hi && r.Hi-r.Lo < last.Hi-last.Lo {
			t.Errorf("All: range %v after the wider %v", r, last)
		}
		last = r
	}
	if n != 6 {
		t.Errorf("All: got %d entries, want 6", n)
	}
}
