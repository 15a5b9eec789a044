package main

import (
	"encoding/json"
	"reflect"
	"testing"
)

// TestFilterJSON round-trips filters through the scanner and compares
// with encoding/json, and checks that malformed input is refused.
func TestFilterJSON(t *testing.T) {
	good := []string{
		`[]`,
		` [ { } ] `,
		`[{"kinds":[1,2,3],"authors":["ab","cd"],"limit":10}]`,
		`[{"#e":["x"],"search":"a \"quoted\" ] } , string","since":-5},{"ids":[]}]`,
		`[{"nested":{"a":[1,{"b":"}"}],"c":null},"t":true,"f":false,"n":1.5e3}]`,
		"[\n\t{\"kinds\" : [ 1 , 7 ] }\n]",
		`[{"k\u0069nds":[4]}]`,
	}
	for _, in := range good {
		fs, err := parseFilters([]byte(in))
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		var want, got any
		json.Unmarshal([]byte(in), &want)
		out := appendFilters(nil, fs)
		if err := json.Unmarshal(out, &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: round trip gave %s (%v)", in, out, err)
		}
	}
	if fs, _ := parseFilters([]byte(`[{"k\u0069nds":[4]}]`)); fs[0].get("kinds") == nil {
		t.Error("escaped key not decoded")
	}
	bad := []string{``, `{}`, `[`, `[{]`, `[{"a"}]`, `[{"a":}]`, `[{"a":1,}]`, `[{"a":"x}]`, `[{"a":[1}]`, `[1]`, `[{} {}]`, `[{"a":1}`}
	for _, in := range bad {
		if _, err := parseFilters([]byte(in)); err == nil {
			t.Errorf("%q: parsed, want an error", in)
		}
	}
	intCases := []struct {
		in   string
		want []int
		ok   bool
	}{
		{`[]`, []int{}, true}, {`[1, 22 ,333]`, []int{1, 22, 333}, true}, {`[-1]`, []int{-1}, true},
		{`["1"]`, nil, false}, {`[1.5]`, nil, false}, {`[1,]`, nil, false}, {`1`, nil, false},
	}
	for _, c := range intCases {
		got, ok := ints([]byte(c.in))
		if ok != c.ok || ok && !reflect.DeepEqual(got, c.want) {
			t.Errorf("ints(%s) = %v, %v; want %v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

// FuzzFilterJSON: whatever the scanner accepts, encoding/json accepts too
// and reads the same.
func FuzzFilterJSON(f *testing.F) {
	f.Add(`[{"kinds":[1],"#p":["x"],"search":"a\"b"}]`)
	f.Add(`[{},{"limit":5}]`)
	f.Fuzz(func(t *testing.T, in string) {
		fs, err := parseFilters([]byte(in))
		if err != nil {
			return
		}
		var want []map[string]any
		if err := json.Unmarshal([]byte(in), &want); err != nil {
			return // the scanner is laxer on numbers and literals; the relay only sends valid JSON
		}
		var got []map[string]any
		if err := json.Unmarshal(appendFilters(nil, fs), &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Fatalf("%q: round trip differs", in)
		}
	})
}
