// Package hosttest tests sdktest.Host with a plugin of its own: a test
// binary holds one plugin, as a wasm instance does, so these tests live
// apart from sdktest's own.
package hosttest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/config"
	"github.com/relayd/relayd/sdk/sdktest"
)

// settings is the plugin's [config], a global as in a real plugin: one per
// instance, set by OnInit.
var settings struct {
	Word string `json:"word"`
	List string `json:"list"`
}

// listed is the file the settings name, read in OnInit.
var listed string

func init() {
	sdk.OnInit(func() error {
		settings.Word, settings.List, listed = "", "", ""
		if err := config.DecodeStrict(&settings); err != nil {
			return err
		}
		if settings.List != "" {
			b, ok := sdk.File(settings.List)
			if !ok {
				return fmt.Errorf("file %s is not listed", settings.List)
			}
			listed = string(b)
		}
		sdk.Log(sdk.LevelInfo, "loaded word="+settings.Word)
		return nil
	})
	sdk.OnEvent(func(e sdk.Event) sdk.Verdict {
		if _, err := sdk.CounterAdd("events", 1, 0); err != nil {
			return sdk.Reject(sdk.ErrorPrefix, err.Error())
		}
		if settings.Word != "" && strings.Contains(e.Content(), settings.Word) {
			return sdk.Reject(sdk.Blocked, "says "+settings.Word)
		}
		if listed != "" && strings.Contains(listed, e.Pubkey()) {
			return sdk.Reject(sdk.Blocked, "listed")
		}
		return sdk.Accept()
	})
	sdk.OnReq(func(r sdk.Req) sdk.Verdict { return sdk.Reject(sdk.Restricted, "no REQ for "+settings.Word) })
}

// TestParallelHosts runs many Hosts with different settings at once, each
// many calls: every Host must see its own config, state and logs. Run with
// -race: before sdktest serialised the guest, this raced on the SDK's
// globals and Hosts saw each other's config.
func TestParallelHosts(t *testing.T) {
	for i := range 8 {
		word := fmt.Sprintf("w%d", i)
		t.Run(word, func(t *testing.T) {
			t.Parallel()
			h := sdktest.New(sdktest.Options{Settings: "order = 3\n[config]\nword = \"" + word + "\"\n"})
			if err := h.Init(); err != nil {
				t.Fatal(err)
			}
			s := sdktest.Session{ID: 1, IP: "203.0.113.7"}
			for n := range 200 {
				if got, want := h.Event(s, sdktest.Event{Kind: 1, Content: "I say " + word}).String(), "reject blocked: says "+word; got != want {
					t.Fatalf("call %d: got %q, want %q", n, got, want)
				}
				if got := h.Event(s, sdktest.Event{Kind: 1, Content: "I say w9"}).String(); got != "accept" {
					t.Fatalf("call %d: got %q, want accept", n, got)
				}
			}
			var events int64
			h.Call(func() { events, _ = sdk.CounterGet("events") })
			if events != 400 {
				t.Errorf("counter events = %d, want 400 (its own calls only)", events)
			}
			if logs := h.Logs(); len(logs) != 1 || logs[0] != "INFO loaded word="+word {
				t.Errorf("logs %q, want one load line", logs)
			}
		})
	}
}

// TestSettings gives the plugin its NAME.toml as an operator writes it.
func TestSettings(t *testing.T) {
	dir := t.TempDir()
	ban := strings.Repeat("b", 64)
	if err := os.WriteFile(filepath.Join(dir, "ban.txt"), []byte(ban+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "p.toml")
	if err := os.WriteFile(file, []byte("files = [\"ban.txt\"]\n\n[config]\nlist = \"ban.txt\"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	s := sdktest.Session{ID: 1, IP: "203.0.113.7"}
	spam := sdktest.Event{Kind: 1, Content: "spam"}
	banned := sdktest.Event{Kind: 1, PubKey: ban}
	req := func(h *sdktest.Host) string { return h.Req(s, "sub", `[{}]`).String() }
	tests := []struct {
		name    string
		opts    sdktest.Options
		initErr string
		ev      sdktest.Event
		want    string // the event's verdict
		wantReq string
	}{
		{"config table", sdktest.Options{Settings: "[config]\nword = \"spam\"  # the word\n"}, "", spam, "reject blocked: says spam",
			"reject restricted: no REQ for spam"},
		{"file beside the settings", sdktest.Options{SettingsFile: file}, "", banned, "reject blocked: listed", "reject restricted: no REQ for"},
		{"listed file from Dir", sdktest.Options{Dir: dir, Settings: "files = [\"ban.txt\"]\n[config]\nlist = \"ban.txt\""}, "", banned, "reject blocked: listed", ""},
		{"Files win over Dir", sdktest.Options{Files: map[string]string{"ban.txt": "nobody"}, Dir: dir,
			Settings: "files = [\"ban.txt\"]\n[config]\nlist = \"ban.txt\""}, "", banned, "accept", ""},
		{"hooks leave out req", sdktest.Options{Settings: "hooks = [\"event\"]\n[config]\nword = \"spam\""}, "", spam, "reject blocked: says spam", "accept"},
		{"kinds leave out kind 1", sdktest.Options{Settings: "kinds = [4]\n[config]\nword = \"spam\""}, "", spam, "accept", "reject restricted: no REQ for spam"},
		{"typo in config", sdktest.Options{Settings: "[config]\nwrod = \"spam\""}, `json: unknown field "wrod"`, spam, "", ""},
		{"unknown setting", sdktest.Options{Settings: "timeout = 5\n"}, "sdktest: settings: unknown settings [timeout]", spam, "", ""},
		{"wrong type", sdktest.Options{Settings: "order = \"first\"\n"}, "sdktest: settings: order: want an integer", spam, "", ""},
		{"bad TOML", sdktest.Options{Settings: "[config\n"}, "sdktest: settings: line 1: table header: want ]", spam, "", ""},
		{"unknown hook", sdktest.Options{Settings: "hooks = [\"evnet\"]\n"}, `unknown hook "evnet"`, spam, "", ""},
		{"disabled", sdktest.Options{Settings: "enabled = false\n"}, "enabled = false", spam, "", ""},
		{"missing file", sdktest.Options{Dir: dir, Settings: "files = [\"gone.txt\"]\n"}, `sdktest: file "gone.txt": open`, spam, "", ""},
		{"both config forms", sdktest.Options{Config: `{"word":"a"}`, Settings: "[config]\nword = \"b\""}, "not both", spam, "", ""},
		{"both settings forms", sdktest.Options{SettingsFile: file, Settings: "order = 1"}, "not both", spam, "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			h := sdktest.New(tc.opts)
			err := h.Init()
			if tc.initErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.initErr) {
					t.Fatalf("Init: got %v, want an error with %q", err, tc.initErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := h.Event(s, tc.ev).String(); got != tc.want {
				t.Errorf("event: got %q, want %q", got, tc.want)
			}
			if tc.wantReq != "" {
				if got := req(h); got != tc.wantReq {
					t.Errorf("req: got %q, want %q", got, tc.wantReq)
				}
			}
		})
	}
}

// TestInitAgain: a Host whose plugin ran OnInit for another Host since
// gets OnInit again before its next call, without a second load line.
func TestInitAgain(t *testing.T) {
	a := sdktest.New(sdktest.Options{Config: `{"word":"alpha"}`})
	b := sdktest.New(sdktest.Options{Config: `{"word":"beta"}`})
	s := sdktest.Session{ID: 1, IP: "203.0.113.7"}
	var wg sync.WaitGroup
	for _, h := range []*sdktest.Host{a, b, a} {
		wg.Add(1)
		go func() { defer wg.Done(); h.Event(s, sdktest.Event{Kind: 1}) }()
		wg.Wait()
	}
	if got := a.Event(s, sdktest.Event{Kind: 1, Content: "alpha"}).String(); got != "reject blocked: says alpha" {
		t.Errorf("a after b: got %q", got)
	}
	if got := a.Logs(); len(got) != 1 {
		t.Errorf("a logged %q, want one load line", got)
	}
}
