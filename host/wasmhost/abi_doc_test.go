package wasmhost

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/tetratelabs/wazero/api"
)

// TestABIDocSignatures checks every host function's .wat signature in
// sdk/abi/ABI.md against the host module.
func TestABIDocSignatures(t *testing.T) {
	b, err := os.ReadFile("../../sdk/abi/ABI.md")
	if err != nil {
		t.Fatal(err)
	}
	imp := regexp.MustCompile(`\(import "relayd_v1" "(\w+)" \(func \$\w+((?: \(param \$\w+ \w+\))*)((?: \(result \w+\))?)\)\)`)
	param := regexp.MustCompile(`\((?:param \$\w+|result) (\w+)\)`)
	types := func(s string) []api.ValueType {
		var out []api.ValueType
		for _, m := range param.FindAllStringSubmatch(s, -1) {
			out = append(out, map[string]api.ValueType{"i32": i32, "i64": i64, "f64": f64}[m[1]])
		}
		return out
	}
	doc := map[string]sig{}
	for _, m := range imp.FindAllStringSubmatch(string(b), -1) {
		doc[m[1]] = sig{params: types(m[2]), results: types(m[3])}
	}
	for _, hf := range hostFuncs() {
		d, ok := doc[hf.name]
		if !ok {
			t.Errorf("ABI.md has no .wat import for %s", hf.name)
			continue
		}
		if !d.equal(hf.sig) {
			t.Errorf("%s: ABI.md says %s, host has %s", hf.name, d, hf.sig)
		}
		delete(doc, hf.name)
	}
	for name := range doc {
		t.Errorf("ABI.md documents %s, which the host does not provide", name)
	}
	if !strings.Contains(string(b), "(param $session i64) (param $kind i32) (param $created_at i64) (param $received_at i64)") {
		t.Error("ABI.md hook signature changed; update hookSig and this test together")
	}
}

func Test_resolve(t *testing.T) {
	yes := true
	tests := []struct {
		name    string
		toml    string
		def     Settings
		check   func(resolved) bool
		wantErr string
	}{
		{"defaults", "", Settings{}, func(r resolved) bool {
			return r.timeout == 50e6 && r.memPages == 1024 && r.pool == 3 && r.enabled && string(r.config) == "{}"
		}, ""},
		{"manager defaults", "", Settings{TimeoutMS: 7, Pool: 9, OnError: "closed"}, func(r resolved) bool {
			return r.timeout == 7e6 && r.pool == 9 && r.onErr == 1
		}, ""},
		{"file wins", "timeout_ms = 5\nmode = \"shadow\"\nhooks = [\"event\"]\n[config]\nx = 1", Settings{TimeoutMS: 7}, func(r resolved) bool {
			return r.timeout == 5e6 && r.mode == 1 && r.hooks == 1<<3 && string(r.config) == `{"x":1}`
		}, ""},
		{"disabled", "enabled = false", Settings{Enabled: &yes}, func(r resolved) bool { return !r.enabled }, ""},
		{"bad hook", "hooks = [\"evnt\"]", Settings{}, nil, `unknown hook "evnt"`},
		{"bad mode", "mode = \"loud\"", Settings{}, nil, `mode "loud"`},
		{"pool too big", "pool = 1000", Settings{}, nil, "pool over 256"},
		{"kinds", "kinds = [4, 1059]", Settings{}, func(r resolved) bool { return len(r.kinds) == 2 && r.kinds[1] == 1059 }, ""},
		{"no kinds means all", "", Settings{}, func(r resolved) bool { return r.kinds == nil }, ""},
		{"kind out of range", "kinds = [70000]", Settings{}, nil, "kind 70000 out of range"},
		{"db limits by default", "", Settings{}, func(r resolved) bool {
			return r.db.MaxKeys == 100000 && r.db.MaxBytes == 64<<20
		}, ""},
		{"db limits set", "db_max_keys = 5\ndb_max_bytes = 1000", Settings{DBMaxKeys: 7}, func(r resolved) bool {
			return r.db.MaxKeys == 5 && r.db.MaxBytes == 1000
		}, ""},
		{"db limits from the manager", "", Settings{DBMaxKeys: 7}, func(r resolved) bool { return r.db.MaxKeys == 7 }, ""},
		{"db keys negative", "db_max_keys = -1", Settings{}, nil, "db_max_keys -1: want a positive number"},
		{"db keys too many", "db_max_keys = 10000001", Settings{}, nil, "db_max_keys 10000001: over 10000000"},
		{"db bytes too many", "db_max_bytes = 1073741825", Settings{}, nil, "db_max_bytes 1073741825: over 1073741824"},
		{"stack budget is memory_mb/32 out of memory_mb", "", Settings{}, func(r resolved) bool {
			return r.stackBytes == 2<<20 && r.linPages == 1024-32
		}, ""},
		{"stack budget at least 64 KiB", "memory_mb = 1", Settings{}, func(r resolved) bool {
			return r.stackBytes == 64<<10 && r.linPages == 15
		}, ""},
		{"stack budget at most 2 MiB", "memory_mb = 4096", Settings{}, func(r resolved) bool {
			return r.stackBytes == 2<<20 && r.linPages == 65536-32
		}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := ParseSettings([]byte(tc.toml))
			if err != nil {
				t.Fatal(err)
			}
			r, err := s.resolve(tc.def, 3)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("got %v, want error %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || !tc.check(r) {
				t.Errorf("got %+v, %v", r, err)
			}
		})
	}
}
