package main

import (
	"testing"

	"github.com/relayd/relayd/sdk/sdktest"
)

func TestKeywordBlock(t *testing.T) {
	h := sdktest.New(sdktest.Options{Config: `{"words":["Casino", " free money ", "ÉTÉ"]}`})
	if err := h.Init(); err != nil {
		t.Fatal(err)
	}
	s := sdktest.Session{ID: 1, IP: "203.0.113.7"}
	const blocked = "reject blocked: content contains a blocked word"
	tests := []struct {
		name    string
		content string
		want    string
	}{
		{"clean", "gm nostr", "accept"},
		{"empty", "", "accept"},
		{"exact", "casino", blocked},
		{"upper case", "BEST CASINO IN TOWN", blocked},
		{"inside a word", "casinos", blocked},
		{"phrase", "get FREE MONEY now", blocked},
		{"phrase split", "free and money", "accept"},
		{"unicode case", "un été chaud", blocked},
		{"trimmed word", "freemoney", "accept"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := h.Event(s, sdktest.Event{Kind: 1, Content: tc.content}).String(); got != tc.want {
				t.Errorf("got %q, want %q", got, tc.want)
			}
		})
	}
}

func TestKeywordBlockConfig(t *testing.T) {
	tests := []struct {
		name    string
		config  string
		wantErr string
	}{
		{"words", `{"words":["x"]}`, ""},
		{"unknown keys are ignored", `{"words":["x"],"kinds":[1]}`, ""},
		{"none", `{}`, `config: words is empty; list the words to block, e.g. words = ["casino"]`},
		{"blank words only", `{"words":[" ",""]}`, `config: words is empty; list the words to block, e.g. words = ["casino"]`},
		{"not strings", `{"words":[1]}`, "config: json: cannot unmarshal number into Go struct field .words of type string"},
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
