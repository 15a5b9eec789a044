package tck

import (
	"bytes"
	"strings"
	"testing"

	sdktck "github.com/relayd/relayd/sdk/tck"
)

// TestParseKit: the kit's own cases parse, start with a load and cover
// every hook.
func TestParseKit(t *testing.T) {
	lines, err := Parse(bytes.NewReader(sdktck.Cases))
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, l := range lines {
		if l.Case != nil {
			seen[l.Case.Hook] = true
		}
	}
	for h := range hooks {
		if !seen[h] {
			t.Errorf("no case for hook %s", h)
		}
	}
}

// TestParse: bad lines are refused with their line number, so a typo in a
// case does not silently check nothing.
func TestParse(t *testing.T) {
	load := `{"load":{"config":{}}}` + "\n"
	tests := []struct {
		name, in, err string
	}{
		{"no load first", `{"name":"a","hook":"event","cmd":"accept","want":{"action":"accept"}}`, "the first line must be a load"},
		{"unknown field", load + `{"name":"a","hook":"event","cmd":"accept","wnat":{}}`, `line 2: bad line: json: unknown field "wnat"`},
		{"unknown hook", load + `{"name":"a","hook":"evnt","cmd":"accept","want":{"action":"accept"}}`, `line 2: hook "evnt"`},
		{"no want", load + `{"name":"a","hook":"event","cmd":"accept"}`, `line 2: case "a" has no want`},
		{"not JSON", load + `{`, "line 2: not a JSON object"},
		{"empty load", `{"load":null}`, "line 1: load: want an object"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Parse(strings.NewReader(tc.in))
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("got %v, want an error containing %q", err, tc.err)
			}
		})
	}
}

// TestSettingsTOML: a load's config and files become the plugin's TOML.
func TestSettingsTOML(t *testing.T) {
	l := &Load{
		Config: map[string]any{"kinds": []any{1.0, 7.0}, "name": "a \"q\"\n", "on": true, "t": map[string]any{"x": 1.5}},
		Files:  map[string]string{"b.txt": "", "a.txt": ""},
	}
	got, err := settingsTOML(l)
	if err != nil {
		t.Fatal(err)
	}
	want := "pool = 1\ntimeout_ms = 10000\nfiles = [\"a.txt\", \"b.txt\"]\n\n[config]\n" +
		"\"kinds\" = [1, 7]\n\"name\" = \"a \\\"q\\\"\\n\"\n\"on\" = true\n\"t\" = {\"x\" = 1.5}\n"
	if string(got) != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
}
