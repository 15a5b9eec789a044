package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/relayd/relayd/internal/testing/asbuild"
)

// TestPluginASREADME follows sdk/assemblyscript/README.md's walk-through as
// a new author would, in a folder of their own: npm init, npm install of
// the compiler and of the SDK from this checkout (from npm's cache when
// .ci/run's npm ci filled it), its asconfig.json and index.ts, npx asc,
// then `relayd plugin check` and `plugin test` on a DM and a note. It skips
// without the compiler unless RELAYD_REQUIRE_ASC=1.
func TestPluginASREADME(t *testing.T) {
	asbuild.ASC(t) // node, npm and the SDK's compiler, or skip
	readme, err := os.ReadFile("../../sdk/assemblyscript/README.md")
	if err != nil {
		t.Fatal(err)
	}
	install := regexp.MustCompile(`(?m)^npm install --save-dev (assemblyscript@\S+) /path/to/relayd/sdk/assemblyscript$`).FindSubmatch(readme)
	asconfig := regexp.MustCompile("(?s)\\*\\*2\\. The compiler options\\*\\*.*?```json\n(.*?)```").FindSubmatch(readme)
	index := regexp.MustCompile("(?s)\\*\\*3\\. The policy\\*\\*.*?```ts\n(.*?)```").FindSubmatch(readme)
	build := regexp.MustCompile(`(?m)^npx asc (.*) -o no-dms\.wasm$`).FindSubmatch(readme)
	if install == nil || asconfig == nil || index == nil || build == nil {
		t.Fatal("README.md lacks the npm install line, the asconfig.json of step 2, the index.ts of step 3 or the npx asc line")
	}
	sdk, err := filepath.Abs("../../sdk/assemblyscript")
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(t.TempDir(), "no-dms")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	sh := func(name string, args ...string) {
		t.Helper()
		cmd := exec.Command(name, args...)
		cmd.Dir = dir
		if b, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, b)
		}
	}
	sh("npm", "init", "-y")
	sh("npm", "install", "--prefer-offline", "--no-audit", "--no-fund", "--save-dev", string(install[1]), sdk)
	if err := os.WriteFile(filepath.Join(dir, "asconfig.json"), asconfig[1], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "index.ts"), index[1], 0o644); err != nil {
		t.Fatal(err)
	}
	sh("npx", append(strings.Fields("asc "+string(build[1])), "-o", "no-dms.wasm")...)
	wasm := filepath.Join(dir, "no-dms.wasm")

	var out, errb strings.Builder
	if code := run([]string{"plugin", "check", wasm}, &out, &errb); code != 0 {
		t.Fatalf("plugin check: exit %d\n%s%s", code, out.String(), errb.String())
	}
	fixtures := filepath.Join(t.TempDir(), "fixtures.jsonl")
	src, err := os.ReadFile("../../examples/policies/c-kind-block/fixtures.jsonl") // signed events of kinds 1, 4, 1984, 7
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(fixtures, src, 0o644); err != nil {
		t.Fatal(err)
	}
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
