package main

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/relayd/relayd/internal/testing/rustbuild"
)

// TestPluginRustREADME follows sdk/rust/README.md's walk-through as a new
// author would: its Cargo.toml and src/lib.rs in a folder of their own,
// built with Debian's cargo, then `relayd plugin check` and `plugin test`
// on a DM and a note. It skips without the Rust toolchain unless
// RELAYD_REQUIRE_RUST=1.
func TestPluginRustREADME(t *testing.T) {
	readme, err := os.ReadFile("../../sdk/rust/README.md")
	if err != nil {
		t.Fatal(err)
	}
	cargo := regexp.MustCompile(`(?s)cat > Cargo.toml <<'TOML'\n(.*?)\n\s*TOML\n`).FindSubmatch(readme)
	lib := regexp.MustCompile("(?s)\\*\\*Write the policy\\*\\*.*?```rust\n(.*?)```").FindSubmatch(readme)
	if cargo == nil || lib == nil {
		t.Fatal("README.md has no Cargo.toml heredoc or no policy in a rust block after **Write the policy**")
	}
	sdk, err := filepath.Abs("../../sdk/rust")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "no-dms")
	os.MkdirAll(filepath.Join(dir, "src"), 0o755)
	manifest := strings.ReplaceAll(dedent(string(cargo[1])), "/path/to/relayd/sdk/rust", sdk)
	os.WriteFile(filepath.Join(dir, "Cargo.toml"), []byte(manifest), 0o644)
	os.WriteFile(filepath.Join(dir, "src", "lib.rs"), []byte(dedent(string(lib[1]))), 0o644)
	built := rustbuild.Build(t, dir)
	wasm := filepath.Join(t.TempDir(), "no-dms.wasm")
	b, err := os.ReadFile(built)
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(wasm, b, 0o644)

	var out, errb strings.Builder
	if code := run([]string{"plugin", "check", wasm}, &out, &errb); code != 0 {
		t.Fatalf("plugin check: exit %d\n%s%s", code, out.String(), errb.String())
	}
	fixtures := filepath.Join(t.TempDir(), "fixtures.jsonl")
	src, err := os.ReadFile("../../examples/policies/c-kind-block/fixtures.jsonl") // signed events of kinds 1, 4, 1984, 7
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(fixtures, src, 0o644)
	out.Reset()
	errb.Reset()
	if code := run([]string{"plugin", "test", wasm, fixtures}, &out, &errb); code != 0 {
		t.Fatalf("plugin test: exit %d\n%s%s", code, out.String(), errb.String())
	}
	want := "b98b9f28528fb7ea61fa89069db5b61bfa8c3589f5952536d6c0de8485663807 reject blocked: no DMs here\n"
	if !strings.Contains(out.String(), want) || strings.Count(out.String(), " accept") != 3 {
		t.Errorf("plugin test printed\n%s\nwant the DM refused (%q) and the other three accepted", out.String(), want)
	}
}

// dedent removes the indentation of a block quoted inside a Markdown list.
func dedent(s string) string {
	lines := strings.Split(s, "\n")
	indent := -1
	for _, l := range lines {
		if strings.TrimSpace(l) == "" {
			continue
		}
		n := len(l) - len(strings.TrimLeft(l, " "))
		if indent < 0 || n < indent {
			indent = n
		}
	}
	for i, l := range lines {
		if len(l) >= indent && indent > 0 {
			lines[i] = l[indent:]
		}
	}
	return strings.Join(lines, "\n")
}
