package main

import (
	"testing"

	"github.com/relayd/relayd/sdk/sdktest"
)

func TestClampLimit(t *testing.T) {
	h := sdktest.New(sdktest.Options{Config: `{"max":50}`})
	if err := h.Init(); err != nil {
		t.Fatal(err)
	}
	s := sdktest.Session{ID: 1, IP: "203.0.113.7"}
	tests := []struct {
		name    string
		filters string
		want    string
	}{
		{"under the cap", `[{"kinds":[1],"limit":10}]`, "accept"},
		{"at the cap", `[{"kinds":[1],"limit":50}]`, "accept"},
		{"live only", `[{"kinds":[1],"limit":0}]`, "accept"},
		{"over the cap", `[{"kinds":[1],"limit":1000}]`, `rewrite [{"kinds":[1],"limit":50}]`},
		{"negative", `[{"kinds":[1],"limit":-1}]`, `rewrite [{"kinds":[1],"limit":50}]`},
		{"no limit", `[{"authors":["aa"]}]`, `rewrite [{"authors":["aa"],"limit":50}]`},
		{"other keys kept", `[{"#t":["x"],"since":1700000000,"limit":51}]`, `rewrite [{"#t":["x"],"since":1700000000,"limit":50}]`}, // in their order
		{"each filter", `[{"kinds":[1],"limit":5},{"kinds":[7],"limit":500}]`, `rewrite [{"kinds":[1],"limit":5},{"kinds":[7],"limit":50}]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := h.Req(s, "sub", tc.filters).String(); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
		})
	}
	lim, err := h.Limitation()
	if err != nil || lim["max_limit"] != 50.0 || lim["default_limit"] != 50.0 {
		t.Errorf("Limitation: got %v, %v, want max_limit and default_limit 50", lim, err)
	}
}

func TestClampLimitConfig(t *testing.T) {
	tests := []struct {
		name    string
		config  string
		wantMax int
		wantErr string
	}{
		{"default", `{}`, defaultMax, ""},
		{"set", `{"max":20}`, 20, ""},
		{"zero", `{"max":0}`, 0, "config: max is 0; it must be at least 1"},
		{"not a number", `{"max":"20"}`, 0, "config: json: cannot unmarshal string into Go struct field .max of type int"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := sdktest.New(sdktest.Options{Config: tc.config}).Init()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Fatalf("got %q, want %q", got, tc.wantErr)
			}
			if err == nil && maxLimit != tc.wantMax {
				t.Errorf("max: got %d, want %d", maxLimit, tc.wantMax)
			}
		})
	}
}
