// Package presubmit checks properties of the whole tree that no single
// package test sees: the dependency direction between packages.
package presubmit

import (
	"os"
	"os/exec"
	"reflect"
	"regexp"
	"strings"
	"testing"

	"github.com/relayd/relayd/host/wasmhost"
)

const module = "github.com/relayd/relayd"

// deps lists the packages pkg imports, directly or not, as go list sees
// them for GOOS/GOARCH in env. A pattern under ./sdk/ is listed in the
// SDK's own module (sdk/go.mod).
func deps(t *testing.T, pkg string, env ...string) []string {
	t.Helper()
	dir := "../.."
	if rest, ok := strings.CutPrefix(pkg, "./sdk/"); ok {
		dir, pkg = "../../sdk", "./"+rest
	}
	cmd := exec.Command("go", "list", "-tags", "libsecp256k1", "-deps", "-f", "{{.ImportPath}}", pkg)
	cmd.Dir = dir
	cmd.Env = append(cmd.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("go list %s: %v\n%s", pkg, err, out)
	}
	return strings.Fields(string(out))
}

// TestImportBoundaries holds the dependency rules of STYLE.md: the relay
// core never imports wazero or badger, the policy chain imports neither,
// and the SDK and plugins never import host code.
func TestImportBoundaries(t *testing.T) {
	wasm := []string{"GOOS=wasip1", "GOARCH=wasm"}
	tests := []struct {
		pkg       string
		env       []string
		forbidden []string
	}{
		{"./host/relay", nil, []string{"github.com/tetratelabs/wazero", "github.com/dgraph-io/badger", module + "/host/wasmhost", module + "/host/store/badgerstore", module + "/host/config"}},
		{"./host/policy", nil, []string{"github.com/tetratelabs/wazero", "github.com/dgraph-io/badger", module + "/host/store"}},
		{"./host/wsconn", nil, []string{"github.com/nbd-wtf/go-nostr", module + "/host/relay", module + "/host/store", module + "/host/policy", module + "/host/config"}},
		{"./host/envelope", nil, []string{module + "/host/config", module + "/host/limits", module + "/host/relay"}},
		// host/limits is the leaf the config, the relay and wsconn share.
		{"./host/limits", nil, []string{"github.com/", module + "/host/config", module + "/host/relay", module + "/host/wsconn"}},
		{"./host/store", nil, []string{"github.com/dgraph-io/badger", "github.com/tetratelabs/wazero"}},
		{"./host/reconcile", nil, []string{"github.com/tetratelabs/wazero", "github.com/dgraph-io/badger", module + "/host/relay", module + "/host/store", module + "/host/policy"}},
		{"./host/peer", nil, []string{"github.com/tetratelabs/wazero", "github.com/dgraph-io/badger", module + "/host/wasmhost", module + "/host/store/badgerstore", module + "/host/server"}},
		// host/manage serves NIP-86 through small interfaces: the plugins (a
		// fake in its tests), the store, the relay's callbacks.
		{"./host/manage", nil, []string{"github.com/tetratelabs/wazero", "github.com/dgraph-io/badger", module + "/host/wasmhost", module + "/host/store/badgerstore", module + "/host/relay", module + "/host/server", module + "/host/config"}},
		{"./host/config", nil, []string{module + "/host/relay", module + "/host/store", module + "/host/policy", "github.com/dgraph-io/badger", "github.com/tetratelabs/wazero"}},
		{"./sdk/...", wasm, []string{module + "/host/", "github.com/"}},
		{"./sdk/...", nil, []string{module + "/host/", "github.com/"}}, // sdktest and the native stubs
		{"./plugins/...", wasm, []string{module + "/host/", "github.com/nbd-wtf"}},
		{"./examples/...", wasm, []string{module + "/host/", "github.com/nbd-wtf"}},
	}
	for _, tc := range tests {
		t.Run(tc.pkg, func(t *testing.T) {
			for _, d := range deps(t, tc.pkg, tc.env...) {
				if strings.HasPrefix(tc.pkg, "./sdk") {
					if first, _, _ := strings.Cut(d, "/"); strings.Contains(first, ".") && !strings.HasPrefix(d, module+"/sdk") {
						t.Errorf("%s depends on %s: the SDK uses the standard library only", tc.pkg, d)
					}
					continue
				}
				if d == module+strings.TrimPrefix(tc.pkg, ".") {
					continue // the package itself
				}
				for _, f := range tc.forbidden {
					if strings.HasPrefix(d, f) && !strings.HasPrefix(d, module+"/sdk") {
						t.Errorf("%s depends on %s", tc.pkg, d)
					}
				}
			}
		})
	}
}

// TestSDKModule holds the module split: the SDK is its own module with the
// standard library only (a plugin's module graph holds nothing else), and
// the relay uses it from this tree through a replace, so both always build
// from the same source.
func TestSDKModule(t *testing.T) {
	sdkMod, err := os.ReadFile("../../sdk/go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(string(sdkMod), "module "+module+"/sdk\n") {
		t.Errorf("sdk/go.mod does not declare module %s/sdk:\n%s", module, sdkMod)
	}
	if strings.Contains(string(sdkMod), "require") {
		t.Errorf("sdk/go.mod requires modules; the SDK must use the standard library only:\n%s", sdkMod)
	}
	rootMod, err := os.ReadFile("../../go.mod")
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`(?m)^replace ` + regexp.QuoteMeta(module+"/sdk") + ` => \./sdk$`).Match(rootMod) {
		t.Errorf("go.mod has no \"replace %s/sdk => ./sdk\"", module)
	}
}

// TestPluginSettingsDocumented: the host settings table in
// plugins/README.md lists exactly the keys wasmhost.Settings reads.
func TestPluginSettingsDocumented(t *testing.T) {
	b, err := os.ReadFile("../../plugins/README.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := map[string]bool{}
	for _, line := range strings.Split(string(b), "\n") {
		if m := settingRow.FindStringSubmatch(line); m != nil {
			doc[strings.Trim(m[1], "[]")] = true
		}
	}
	typ := reflect.TypeOf(wasmhost.Settings{})
	code := map[string]bool{}
	for i := 0; i < typ.NumField(); i++ {
		if tag := typ.Field(i).Tag.Get("toml"); tag != "" {
			code[tag] = true
		}
	}
	for k := range code {
		if !doc[k] {
			t.Errorf("setting %q is not documented in plugins/README.md", k)
		}
	}
	for k := range doc {
		if !code[k] {
			t.Errorf("plugins/README.md documents %q, which wasmhost.Settings does not read", k)
		}
	}
}

var settingRow = regexp.MustCompile("^\\| `([a-z_\\[\\]]+)` \\|")
