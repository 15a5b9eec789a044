package main

import (
	"reflect"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/sdk/abi"
	"github.com/relayd/relayd/sdk/sdktest"
)

const pluginName = "limits"

var (
	now    = time.Unix(1700000000, 0)
	client = sdktest.Session{ID: 1, IP: "203.0.113.7"}
	imprt  = sdktest.Session{}
)

// ev is a fixture event: created age seconds before now (negative: ahead).
type ev struct {
	kind    int
	age     int64
	content string
	tags    [][]string
}

func (e ev) event() sdktest.Event {
	return sdktest.Event{Kind: e.kind, CreatedAt: now.Unix() - e.age, Content: e.content, Tags: e.tags}
}

func tags(n int, name, value string) [][]string {
	out := make([][]string, n)
	for i := range out {
		out[i] = []string{name, value}
	}
	return out
}

type check struct {
	name string
	s    sdktest.Session
	ev   ev
	want string
}

const ok = "accept"

func invalid(msg string) string { return "reject invalid: " + msg }

func tooLong(kind, n int) string {
	return invalid("content of kind " + strconv.Itoa(kind) + " events is limited to " + strconv.Itoa(n) + " bytes")
}

const base64Refused = "reject blocked: base64-embedded media is not accepted; upload the file and link to it"

func runChecks(t *testing.T, settings string, checks []check) {
	t.Helper()
	h := plugintest.Native(t, settings, sdktest.Options{Name: pluginName, Now: func() time.Time { return now }})
	for _, c := range checks {
		if got := h.EventPre(c.s, c.ev.event()).String(); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestLimits(t *testing.T) {
	x := strings.Repeat
	tests := []struct {
		name     string
		settings string
		checks   []check
	}{
		{"content, global and per kind", `
[config]
max_content = 10
[config.kinds.30023]
max_content = 100
[config.kinds."30000-39999"]
max_content = 50
[config.kinds."0-65535"]
max_tags = 3
[config.kinds.7]
max_content = 0`, []check{
			{"at the limit", client, ev{kind: 1, content: x("a", 10)}, ok},
			{"over", client, ev{kind: 1, content: x("a", 11)}, tooLong(1, 10)},
			{"own kind wins over ranges", client, ev{kind: 30023, content: x("a", 100)}, ok},
			{"own kind", client, ev{kind: 30023, content: x("a", 101)}, tooLong(30023, 100)},
			{"narrow range wins over wide", client, ev{kind: 30024, content: x("a", 51)}, tooLong(30024, 50)},
			{"wide range inherits max_content", client, ev{kind: 40000, content: x("a", 11)}, tooLong(40000, 10)},
			{"wide range sets max_tags", client, ev{kind: 1, tags: tags(4, "alt", "")}, invalid("kind 1 events may have at most 3 tags")},
			{"own kind does not inherit from a range", client, ev{kind: 7, content: x("a", 1000), tags: tags(4, "alt", "")}, ok},
			{"0 is off", client, ev{kind: 7, content: x("a", 1000)}, ok},
			{"imports are not checked", imprt, ev{kind: 1, content: x("a", 11)}, ok},
		}},
		{"created_at windows", `
[config]
max_past = 3600
max_future = 60
[config.kinds."20000-29999"]
max_past = 60`, []check{
			{"now", client, ev{kind: 1}, ok},
			{"at max_past", client, ev{kind: 1, age: 3600}, ok},
			{"past max_past", client, ev{kind: 1, age: 3601}, invalid("created_at is more than 3600 seconds in the past")},
			{"at max_future", client, ev{kind: 1, age: -60}, ok},
			{"past max_future", client, ev{kind: 1, age: -61}, invalid("created_at is more than 60 seconds in the future")},
			{"ephemeral past", client, ev{kind: 20001, age: 61}, invalid("created_at is more than 60 seconds in the past")},
			{"ephemeral inherits max_future", client, ev{kind: 20001, age: -61}, invalid("created_at is more than 60 seconds in the future")},
		}},
		{"indexable tags", `
[config]
max_index_tags = 3
max_index_value = 8`, []check{
			{"three", client, ev{kind: 1, tags: tags(3, "p", "x")}, ok},
			{"four", client, ev{kind: 1, tags: tags(4, "t", "x")}, invalid("at most 3 indexable (single-letter) tags")},
			{"upper case counts", client, ev{kind: 1, tags: append(tags(3, "e", "x"), []string{"E", "y"})}, invalid("at most 3 indexable (single-letter) tags")},
			{"long names do not count", client, ev{kind: 1, tags: append(tags(3, "e", "x"), []string{"alt", "y"}, []string{"-"}, []string{"1", "z"})}, ok},
			{"value at the limit", client, ev{kind: 1, tags: [][]string{{"t", x("v", 8)}}}, ok},
			{"value over", client, ev{kind: 1, tags: [][]string{{"alt", x("v", 9)}, {"t", x("v", 9)}}}, invalid(`the value of a "t" tag is longer than 8 bytes`)},
			{"long value in a long tag", client, ev{kind: 1, tags: [][]string{{"alt", x("v", 100)}, {"t"}}}, ok},
		}},
		{"base64 media", `
[config]
reject_base64_media = true
[config.kinds.1063]
reject_base64_media = false`, []check{
			{"png", client, ev{kind: 1, content: "look ![](data:image/png;base64,iVBORw0KGgo=)"}, base64Refused},
			{"upper case", client, ev{kind: 1, content: "DATA:IMAGE/JPEG;BASE64,/9j/4AAQ"}, base64Refused},
			{"video", client, ev{kind: 1, content: "data:video/mp4;base64,AAAAIGZ0eXA="}, base64Refused},
			{"audio with parameters", client, ev{kind: 1, content: "data:audio/ogg;codecs=opus;base64,T2dnUw=="}, base64Refused},
			{"after a harmless data:", client, ev{kind: 1, content: "data: none, data:image/gif;base64,R0lGOD"}, base64Refused},
			{"text data url", client, ev{kind: 1, content: "data:text/plain;base64,aGk="}, ok},
			{"not base64", client, ev{kind: 1, content: "data:image/svg+xml,%3Csvg%3E"}, ok},
			{"a mention", client, ev{kind: 1, content: "a data:image/ url is base64, usually"}, ok},
			{"truncated", client, ev{kind: 1, content: "data:image/png;base64"}, ok},
			{"ends after data:", client, ev{kind: 1, content: "see data:"}, ok},
			{"ends after the type", client, ev{kind: 1, content: "data:image/"}, ok},
			{"off for a kind", client, ev{kind: 1063, content: "data:image/png;base64,iVBOR"}, ok},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runChecks(t, tc.settings, tc.checks) })
	}
}

// TestLimitsLimitation checks the hooks and the NIP-11 keys for a config.
func TestLimitsLimitation(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		hooks    abi.HookMask
		want     map[string]any
	}{
		{"nothing set", ``, 0, map[string]any{}},
		{"all off", "[config]\nmax_content = 0\nreject_base64_media = false", 0, map[string]any{}},
		{"only a kind", "[config.kinds.1]\nmax_tags = 5", 1 << abi.HookEventPre, map[string]any{}},
		{"global", "[config]\nmax_content = 1000\nmax_tags = 50\nmax_past = 86400\nmax_future = 900\nmax_index_tags = 9",
			1 << abi.HookEventPre, map[string]any{"max_content_length": 1000.0, "max_event_tags": 50.0,
				"created_at_lower_limit": 86400.0, "created_at_upper_limit": 900.0}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := plugintest.Native(t, tc.settings, sdktest.Options{})
			if got := h.Hooks(); got != tc.hooks {
				t.Errorf("hooks: got %b, want %b", got, tc.hooks)
			}
			got, err := h.Limitation()
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("limitation: got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestLimitsBadConfig(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		want     string
	}{
		{"unknown key", "[config]\nmax_length = 5", `config: json: unknown field "max_length"`},
		{"unknown kind key", "[config.kinds.1]\nmax_length = 5", `config: json: unknown field "max_length"`},
		{"negative", "[config]\nmax_past = -1", "max_past: want 0 (off) or more, got -1"},
		{"negative for a kind", "[config.kinds.7]\nmax_tags = -5", "kinds.7.max_tags: want 0 (off) or more, got -5"},
		{"bad kind", "[config.kinds.notes]\nmax_tags = 5", `kinds: kind "notes": want a kind (7) or a range (30000-39999)`},
		{"backwards range", "[config.kinds.\"9-1\"]\nmax_tags = 5", `kinds: kind "9-1": want a kind (7) or a range (30000-39999)`},
		{"wrong type", "[config]\nmax_content = \"64k\"", "config: json: cannot unmarshal string into Go struct field Config.Limits.max_content of type int64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := sdktest.New(sdktest.Options{Config: plugintest.ConfigJSON(t, tc.settings)})
			if err := h.Init(); err == nil || err.Error() != tc.want {
				t.Errorf("got error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestLimitsReadmeExamples runs checks against each toml example of
// README.md, in order, natively and then through the host's loader.
func TestLimitsReadmeExamples(t *testing.T) {
	x := strings.Repeat
	scenarios := [][]check{
		{
			{"note at 64 KiB", client, ev{kind: 1, content: x("a", 65536)}, ok},
			{"note over", client, ev{kind: 1, content: x("a", 65537)}, tooLong(1, 65536)},
			{"article", client, ev{kind: 30023, content: x("a", 200000)}, ok},
			{"article over", client, ev{kind: 30023, content: x("a", 200001)}, tooLong(30023, 200000)},
			{"contact list", client, ev{kind: 3, tags: tags(5000, "p", x("f", 64))}, ok},
			{"contact list over", client, ev{kind: 3, tags: tags(5001, "p", "x")}, invalid("at most 5000 indexable (single-letter) tags")},
			{"mute list", client, ev{kind: 10000, tags: tags(2000, "p", "x")}, ok},
			{"note with 101 tags", client, ev{kind: 1, tags: tags(101, "t", "x")}, invalid("at most 100 indexable (single-letter) tags")},
			{"long hashtag", client, ev{kind: 1, tags: tags(1, "t", x("x", 1025))}, invalid(`the value of a "t" tag is longer than 1024 bytes`)},
			{"from the future", client, ev{kind: 1, age: -901}, invalid("created_at is more than 900 seconds in the future")},
			{"from 2020", client, ev{kind: 1, age: 100000000}, ok},
			{"base64 image", client, ev{kind: 1, content: "data:image/webp;base64,UklGR"}, base64Refused},
		},
		{
			{"short note", client, ev{kind: 1, content: x("a", 1000), tags: tags(20, "alt", "")}, ok},
			{"long note", client, ev{kind: 1, content: x("a", 1001)}, tooLong(1, 1000)},
			{"tagged note", client, ev{kind: 1, tags: tags(21, "alt", "")}, invalid("kind 1 events may have at most 20 tags")},
			{"profile", client, ev{kind: 0, content: x("a", 10000)}, ok},
			{"big profile", client, ev{kind: 0, content: x("a", 10001)}, tooLong(0, 10000)},
			{"article", client, ev{kind: 30023, content: x("a", 300000), tags: tags(100, "t", "x")}, ok},
			{"yesterday", client, ev{kind: 1, age: 86400}, ok},
			{"backfill", client, ev{kind: 7, age: 86401}, invalid("created_at is more than 86400 seconds in the past")},
			{"ahead", client, ev{kind: 1, age: -61}, invalid("created_at is more than 60 seconds in the future")},
		},
	}
	examples := plugintest.ReadExamples(t, "README.md").Settings()
	if len(examples) != len(scenarios) {
		t.Fatalf("README.md has %d toml examples, the test has scenarios for %d", len(examples), len(scenarios))
	}
	for i, ex := range examples {
		t.Run("example"+strconv.Itoa(i+1), func(t *testing.T) { runChecks(t, ex, scenarios[i]) })
	}
	t.Run("host", func(t *testing.T) { plugintest.Chain(t, pluginName, plugintest.Options{}, examples...) })
}
