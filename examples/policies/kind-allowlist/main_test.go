package main

import (
	"testing"

	"github.com/relayd/relayd/sdk/sdktest"
)

func TestKindAllowlist(t *testing.T) {
	h := sdktest.New(sdktest.Options{Config: `{"kinds":[0,1,3,7]}`})
	if err := h.Init(); err != nil {
		t.Fatal(err)
	}
	s := sdktest.Session{ID: 1, IP: "203.0.113.7"}
	tests := []struct {
		name string
		kind int
		want string
	}{
		{"metadata", 0, "accept"},
		{"note", 1, "accept"},
		{"contacts", 3, "accept"},
		{"reaction", 7, "accept"},
		{"dm", 4, "reject blocked: kind 4 is not accepted here"},
		{"long-form", 30023, "reject blocked: kind 30023 is not accepted here"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := h.EventPre(s, sdktest.Event{Kind: tc.kind}).String(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestKindAllowlistConfig(t *testing.T) {
	tests := []struct {
		name    string
		config  string
		wantErr string
	}{
		{"kinds", `{"kinds":[1]}`, ""},
		{"unknown keys are ignored", `{"kinds":[1],"words":["x"]}`, ""},
		{"none", `{}`, "config: kinds is empty; list the kinds to accept, e.g. kinds = [0, 1, 3, 7]"},
		{"empty", `{"kinds":[]}`, "config: kinds is empty; list the kinds to accept, e.g. kinds = [0, 1, 3, 7]"},
		{"not numbers", `{"kinds":["1"]}`, "config: json: cannot unmarshal string into Go struct field .kinds of type int"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := sdktest.New(sdktest.Options{Config: tc.config}).Init()
			got := ""
			if err != nil {
				got = err.Error()
			}
			if got != tc.wantErr {
				t.Errorf("got %q, want %q", got, tc.wantErr)
			}
		})
	}
}
