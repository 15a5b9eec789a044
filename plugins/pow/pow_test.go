package main

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr/nip13"

	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/sdk/abi"
	"github.com/relayd/relayd/sdk/sdktest"
)

const pluginName = "pow"

var (
	client = sdktest.Session{ID: 1, IP: "203.0.113.7"}
	imprt  = sdktest.Session{}
)

// withBits returns an id with exactly n leading zero bits.
func withBits(n int) string {
	if n == 256 {
		return strings.Repeat("0", 64)
	}
	id := strings.Repeat("0", n/4) + [4]string{"f", "7", "3", "1"}[n%4]
	return id + strings.Repeat("f", 64-len(id))
}

func nonce(target string) []string { return []string{"nonce", "12345", target} }

type check struct {
	name string
	s    sdktest.Session
	kind int
	bits int
	tags [][]string
	want string
}

const ok = "accept"

func low(d, need int) string {
	return "reject pow: difficulty " + strconv.Itoa(d) + " is less than " + strconv.Itoa(need)
}

func lowTarget(d, need int) string {
	return "reject pow: committed target " + strconv.Itoa(d) + " is less than " + strconv.Itoa(need)
}

const noTarget = "reject pow: no committed target: add the target difficulty as the third element of the nonce tag (NIP-13)"

func runChecks(t *testing.T, settings string, checks []check) {
	t.Helper()
	h := plugintest.Native(t, settings, sdktest.Options{Name: pluginName})
	for _, c := range checks {
		ev := sdktest.Event{ID: withBits(c.bits), Kind: c.kind, Tags: c.tags}
		if got := h.EventPre(c.s, ev).String(); got != c.want {
			t.Errorf("%s: got %q, want %q", c.name, got, c.want)
		}
	}
}

func TestPow(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		checks   []check
	}{
		{"global minimum", "[config]\nmin_difficulty = 12", []check{
			{"enough", client, 1, 12, [][]string{nonce("12")}, ok},
			{"more", client, 1, 30, [][]string{{"t", "x"}, nonce("20")}, ok},
			{"too little", client, 1, 11, [][]string{nonce("12")}, low(11, 12)},
			{"none", client, 1, 0, nil, low(0, 12)},
			{"lucky but committed low", client, 1, 16, [][]string{nonce("8")}, lowTarget(8, 12)},
			{"no target", client, 1, 16, [][]string{{"nonce", "1"}}, noTarget},
			{"no nonce tag", client, 1, 16, [][]string{{"t", "pow"}}, noTarget},
			{"bad target", client, 1, 16, [][]string{nonce("lots")}, `reject pow: committed target "lots" is not a difficulty`},
			{"negative target", client, 1, 16, [][]string{nonce("-1")}, `reject pow: committed target "-1" is not a difficulty`},
			{"last nonce tag counts", client, 1, 16, [][]string{nonce("16"), {"t", "x"}, nonce("4")}, lowTarget(4, 12)},
			{"imports are not checked", imprt, 1, 0, nil, ok},
		}},
		{"per kind", `
[config]
min_difficulty = 8
[config.kinds]
"1" = 16
"30000-39999" = 20
"30000-30099" = 0
"7" = 0`, []check{
			{"global", client, 0, 8, [][]string{nonce("8")}, ok},
			{"global too little", client, 0, 7, nil, low(7, 8)},
			{"own kind", client, 1, 15, [][]string{nonce("16")}, low(15, 16)},
			{"own kind enough", client, 1, 16, [][]string{nonce("16")}, ok},
			{"range", client, 30200, 19, nil, low(19, 20)},
			{"narrow range wins", client, 30023, 0, nil, ok},
			{"exempt kind", client, 7, 0, nil, ok},
			{"committed to the global minimum", client, 1, 20, [][]string{nonce("8")}, lowTarget(8, 16)},
		}},
		{"commitment optional", "[config]\nmin_difficulty = 10\nrequire_commitment = false", []check{
			{"no target", client, 1, 10, nil, ok},
			{"too little", client, 1, 9, nil, low(9, 10)},
			{"low target still refused", client, 1, 12, [][]string{nonce("9")}, lowTarget(9, 10)},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runChecks(t, tc.settings, tc.checks) })
	}
}

// Test_difficulty checks the bit count against go-nostr's nip13, and on
// ids that are not hex.
func Test_difficulty(t *testing.T) {
	for n := range 257 {
		id := withBits(n)
		if got, want := difficulty(id), nip13.Difficulty(id); got != n || want != n {
			t.Errorf("difficulty(%q): got %d, nip13 says %d, want %d", id, got, want, n)
		}
	}
	for id, want := range map[string]int{"": 0, "zz": 0, "00F0": 8, "0x00": 4, "0008": 12, "0000": 16} {
		if got := difficulty(id); got != want {
			t.Errorf("difficulty(%q): got %d, want %d", id, got, want)
		}
	}
}

func TestPowLimitation(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		hooks    abi.HookMask
		want     map[string]any
	}{
		{"off", ``, 0, map[string]any{}},
		{"zeros", "[config]\nmin_difficulty = 0\n[config.kinds]\n\"1\" = 0", 0, map[string]any{}},
		{"per kind only", "[config.kinds]\n\"1\" = 16", 1 << abi.HookEventPre, map[string]any{}},
		{"global", "[config]\nmin_difficulty = 21", 1 << abi.HookEventPre, map[string]any{"min_pow_difficulty": 21.0}},
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

func TestPowBadConfig(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		want     string
	}{
		{"unknown key", "[config]\ndifficulty = 5", `config: json: unknown field "difficulty"`},
		{"too much", "[config]\nmin_difficulty = 257", "min_difficulty: want a difficulty from 0 (off) to 256, got 257"},
		{"negative kind", "[config.kinds]\n\"1\" = -1", "kinds.1: want a difficulty from 0 (off) to 256, got -1"},
		{"bad kind", "[config.kinds]\nnotes = 4", `kinds: kind "notes": want a kind (7) or a range (30000-39999)`},
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

// TestPowReadmeExamples runs checks against each toml example of README.md,
// in order, natively and then through the host's loader.
func TestPowReadmeExamples(t *testing.T) {
	scenarios := [][]check{
		{
			{"enough", client, 1, 20, [][]string{nonce("20")}, ok},
			{"reaction without", client, 7, 19, [][]string{nonce("20")}, low(19, 20)},
			{"uncommitted", client, 1, 24, nil, noTarget},
		},
		{
			{"note", client, 1, 16, [][]string{nonce("16")}, ok},
			{"note short", client, 1, 15, [][]string{nonce("16")}, low(15, 16)},
			{"DM", client, 4, 23, [][]string{nonce("24")}, low(23, 24)},
			{"gift wrap committed low", client, 1059, 30, [][]string{nonce("16")}, lowTarget(16, 24)},
			{"profile", client, 0, 0, nil, ok},
			{"reaction", client, 7, 0, nil, ok},
		},
		{
			{"no target", client, 1, 8, nil, ok},
			{"too little", client, 1, 7, nil, low(7, 8)},
			{"committed low", client, 1, 9, [][]string{nonce("7")}, lowTarget(7, 8)},
			{"follow list", client, 3, 0, nil, ok},
			{"mute list", client, 10000, 0, nil, ok},
			{"profile", client, 0, 0, nil, ok},
			{"reaction", client, 7, 7, nil, low(7, 8)},
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
