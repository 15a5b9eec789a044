package filter_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/relayd/relayd/sdk/filter"
)

// TestParse round-trips filters through Parse and Append and compares
// with encoding/json, and checks that malformed input is refused.
func TestParse(t *testing.T) {
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
		fs, err := filter.Parse([]byte(in))
		if err != nil {
			t.Errorf("%s: %v", in, err)
			continue
		}
		var want, got any
		json.Unmarshal([]byte(in), &want)
		out := filter.Append(nil, fs)
		if err := json.Unmarshal(out, &got); err != nil || !reflect.DeepEqual(got, want) {
			t.Errorf("%s: round trip gave %s (%v)", in, out, err)
		}
	}
	if fs, _ := filter.Parse([]byte(`[{"k\u0069nds":[4]}]`)); fs[0].Get("kinds") == nil {
		t.Error("escaped key not decoded")
	}
	bad := []string{``, `{}`, `[`, `[{]`, `[{"a"}]`, `[{"a":}]`, `[{"a":1,}]`, `[{"a":"x}]`, `[{"a":[1}]`, `[1]`, `[{} {}]`, `[{"a":1}`}
	for _, in := range bad {
		if _, err := filter.Parse([]byte(in)); err != filter.ErrSyntax {
			t.Errorf("%q: got %v, want ErrSyntax", in, err)
		}
	}
}

func TestSet(t *testing.T) {
	fs, err := filter.Parse([]byte(`[{"kinds":[1], "limit" :5}]`))
	if err != nil {
		t.Fatal(err)
	}
	f := fs[0]
	tests := []struct {
		name string
		got  filter.Filter
		want string
	}{
		{"replace", f.Set("limit", []byte("2")), `[{"kinds":[1],"limit":2}]`},
		{"add", f.Set("#p", []byte(`["ab"]`)), `[{"kinds":[1],"limit":5,"#p":["ab"]}]`},
		{"unchanged", f, `[{"kinds":[1],"limit":5}]`},
	}
	for _, tc := range tests {
		if got := string(filter.Append(nil, []filter.Filter{tc.got})); got != tc.want {
			t.Errorf("%s: got %s, want %s", tc.name, got, tc.want)
		}
	}
	if !f.Has("limit") || f.Has("since") {
		t.Errorf("Has: got limit %v, since %v; want true, false", f.Has("limit"), f.Has("since"))
	}
}

func TestInts(t *testing.T) {
	tests := []struct {
		in   string
		want []int
		ok   bool
	}{
		{`[]`, []int{}, true}, {`[1, 22 ,333]`, []int{1, 22, 333}, true}, {`[-1]`, []int{-1}, true},
		{`["1"]`, nil, false}, {`[1.5]`, nil, false}, {`[1,]`, nil, false}, {`1`, nil, false},
		{`[+1]`, nil, false}, {`[1 2]`, nil, false}, {`[1`, nil, false}, {``, nil, false},
	}
	for _, tc := range tests {
		got, ok := filter.Ints([]byte(tc.in))
		if ok != tc.ok || ok && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Ints(%s): got %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestStrings(t *testing.T) {
	tests := []struct {
		in   string
		want []string
		ok   bool
	}{
		{`[]`, []string{}, true}, {` [ "a" , "b\"c" ]`, []string{"a", `b"c`}, true}, {`["\u00e9"]`, []string{"é"}, true},
		{`["a",1]`, nil, false}, {`["a" "b"]`, nil, false}, {`["a",]`, nil, false}, {`"a"`, nil, false},
		{`["a`, nil, false}, {`["\q"]`, nil, false}, {``, nil, false},
	}
	for _, tc := range tests {
		got, ok := filter.Strings([]byte(tc.in))
		if ok != tc.ok || ok && !reflect.DeepEqual(got, tc.want) {
			t.Errorf("Strings(%s): got %q, %v; want %q, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestInt(t *testing.T) {
	tests := []struct {
		in   string
		want int64
		ok   bool
	}{
		{`5`, 5, true}, {`-1700000000`, -1700000000, true}, {`1.5`, 0, false}, {`"5"`, 0, false}, {``, 0, false},
	}
	for _, tc := range tests {
		if got, ok := filter.Int([]byte(tc.in)); got != tc.want || ok != tc.ok {
			t.Errorf("Int(%s): got %d, %v; want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}

func TestAppendInts(t *testing.T) {
	for _, tc := range []struct {
		in   []int
		want string
	}{{nil, `[]`}, {[]int{4}, `[4]`}, {[]int{1, -2, 30000}, `[1,-2,30000]`}} {
		if got := string(filter.AppendInts([]byte("x"), tc.in)); got != "x"+tc.want {
			t.Errorf("AppendInts(%v): got %s, want x%s", tc.in, got, tc.want)
		}
	}
}
