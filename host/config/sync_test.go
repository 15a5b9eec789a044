package config_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relayd/relayd/host/config"
)

// TestLoadSync: [[sync]] tables load, and each bad value is refused at
// load with its key named.
func TestLoadSync(t *testing.T) {
	tests := []struct {
		name, body, wantErr string
	}{
		{"two peers", `
[[sync]]
url = "wss://relay.example.com"
dir = "both"
filter = '{"kinds":[0,1,3]}'
interval = "30s"
live = true

[[sync]]
url = "ws://127.0.0.1:7448"
`, ""},
		{"bad url", "[[sync]]\nurl = \"https://x\"\n", `sync[0].url "https://x" is not a ws:// or wss:// URL`},
		{"no url", "[[sync]]\ndir = \"down\"\n", `sync[0].url "" is not`},
		{"bad dir", "[[sync]]\nurl = \"ws://x\"\ndir = \"sideways\"\n", `sync[0].dir "sideways" is not down, up or both`},
		{"bad filter json", "[[sync]]\nurl = \"ws://x\"\nfilter = '{\"kinds\":[1'\n", `sync[0].filter "{\"kinds\":[1": `},
		{"bad filter field", "[[sync]]\nurl = \"ws://x\"\nfilter = '{\"kinds\":[\"a\"]}'\n", "sync[0].filter \"{\\\"kinds\\\":[\\\"a\\\"]}\": kinds must be an array of integers"},
		{"search filter", "[[sync]]\nurl = \"ws://x\"\nfilter = '{\"search\":\"a\"}'\n", "search (NIP-50) is not supported"},
		{"live with until", "[[sync]]\nurl = \"ws://x\"\nlive = true\nfilter = '{\"until\":5}'\n", "until leaves a live subscription nothing new"},
		{"live up", "[[sync]]\nurl = \"ws://x\"\nlive = true\ndir = \"up\"\n", "sync[0].live: a live subscription brings the peer's events down"},
		{"short interval", "[[sync]]\nurl = \"ws://x\"\ninterval = \"1s\"\n", "sync[0].interval 1s is outside 10s to 168h0m0s"},
		{"negative interval", "[[sync]]\nurl = \"ws://x\"\ninterval = \"-1m\"\n", "sync[0].interval -1m0s is outside"},
		{"bad duration", "[[sync]]\nurl = \"ws://x\"\ninterval = \"soon\"\n", "duration \"soon\""},
		{"unknown key", "[[sync]]\nurl = \"ws://x\"\nintervall = \"1m\"\n", `unknown key "sync.intervall"`},
		{"second peer named", "[[sync]]\nurl = \"ws://x\"\n[[sync]]\nurl = \"ws://y\"\ndir = \"x\"\n", `sync[1].dir "x"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "c.toml")
			os.WriteFile(p, []byte(tc.body), 0o644)
			c, err := config.Load(p)
			if err == nil {
				err = c.Validate()
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("got %v, want an error with %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			want := []config.SyncPeer{
				{URL: "wss://relay.example.com", Dir: "both", Filter: `{"kinds":[0,1,3]}`, Interval: config.Duration{Duration: 30 * time.Second}, Live: true},
				{URL: "ws://127.0.0.1:7448"},
			}
			if len(c.Sync) != 2 || c.Sync[0] != want[0] || c.Sync[1] != want[1] {
				t.Fatalf("got %+v, want %+v", c.Sync, want)
			}
		})
	}
}

// TestREADMESyncLoads: the [[sync]] example in the README's Data section
// loads and validates.
func TestREADMESyncLoads(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, block, ok := strings.Cut(string(b), "```toml\n[[sync]]")
	block, _, ok2 := strings.Cut(block, "```")
	if !ok || !ok2 {
		t.Fatal("README has no toml block starting with [[sync]]")
	}
	p := filepath.Join(t.TempDir(), "c.toml")
	os.WriteFile(p, []byte("[[sync]]"+block), 0o644)
	c, err := config.Load(p)
	if err == nil {
		err = c.Validate()
	}
	if err != nil || len(c.Sync) != 1 || !c.Sync[0].Live || c.Sync[0].Interval.Duration != 10*time.Minute {
		t.Fatalf("got %+v, %v", c.Sync, err)
	}
}
