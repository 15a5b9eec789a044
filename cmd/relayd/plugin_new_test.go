package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestPluginNewAnyFolder is a new author's first minutes, away from any
// checkout: `relayd plugin new no-buy` in an empty temporary folder, then
// the commands it prints, run as printed by sh with the real Go toolchain
// (the SDK comes from the copy plugin new writes, so nothing is fetched)
// and this test binary as relayd on PATH. Then the settings typo and the
// stale golden file an author will meet next.
func TestPluginNewAnyFolder(t *testing.T) {
	parent := t.TempDir()
	code, stdout, stderr := runPlugin("", "new", "-dir", parent, "no-buy")
	if code != 0 {
		t.Fatalf("plugin new: exit %d\n%s", code, stderr)
	}
	dir := filepath.Join(parent, "no-buy")
	for _, want := range []string{"created " + dir + ": main.go, main_test.go, README.md, no-buy.toml, fixtures.jsonl, fixtures.golden, go.mod,\n",
		"relayd-sdk/ (the SDK of this relayd, " + version() + ", ABI 1; go.mod replaces the SDK module with it)\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	_, next, ok := strings.Cut(stdout, "next:\n")
	if !ok {
		t.Fatalf("no next steps:\n%s", stdout)
	}
	var cmds []string
	for _, l := range splitLines(next) {
		cmds = append(cmds, strings.TrimPrefix(l, "  "))
	}
	if want := []string{"cd " + dir, "go test ./...", "GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o no-buy.wasm .",
		"relayd plugin check no-buy.wasm", "relayd plugin test no-buy.wasm fixtures.jsonl -expect fixtures.golden"}; !equalLines(cmds, want) {
		t.Errorf("next steps:\n%s\nwant:\n%s", joinLines(cmds), joinLines(want))
	}
	checkReadmeSections(t, filepath.Join(dir, "README.md"), "# no-buy")

	out, err := runAsPrinted(t, next)
	if err != nil {
		t.Fatalf("the printed commands failed: %v\n%s", err, out)
	}
	for _, want := range []string{"ok  \tno-buy", "hooks:      event\n", "ok: the relay would load this plugin\n", "ok: 3 verdicts match fixtures.golden\n"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	// The SDK the plugin built with is its own copy, not this checkout's.
	cmd := exec.Command(goTool(), "list", "-m", "-f", "{{.Dir}}", sdkModulePath)
	cmd.Dir, cmd.Env = dir, append(os.Environ(), "GOFLAGS=-mod=mod", "GOWORK=off")
	if b, err := cmd.CombinedOutput(); err != nil || strings.TrimSpace(string(b)) != filepath.Join(dir, sdkCopyDir) {
		t.Errorf("the SDK module is at %s (%v), want %s", b, err, filepath.Join(dir, sdkCopyDir))
	}

	wasm := filepath.Join(dir, "no-buy.wasm")
	toml := filepath.Join(dir, "no-buy.toml")
	settings, _ := os.ReadFile(toml)
	writeFile(t, toml, strings.Replace(string(settings), "max_content", "max_contnet", 1))
	code, stdout, _ = runPlugin("", "check", wasm)
	if want := `problem:    plugin init failed: no-buy: config: json: unknown field "max_contnet"` + "\n"; code != 1 || !strings.Contains(stdout, want) {
		t.Errorf("a typo in the settings: exit %d, want 1 and %q\n%s", code, want, stdout)
	}
	writeFile(t, toml, string(settings))

	golden := filepath.Join(dir, "fixtures.golden")
	b, _ := os.ReadFile(golden)
	writeFile(t, golden, strings.Replace(string(b), "280 bytes", "140 bytes", 1))
	code, _, stderr = runPlugin("", "test", wasm, filepath.Join(dir, "fixtures.jsonl"), "-expect", golden)
	if code != 1 || !strings.Contains(stderr, "-    3  ") || !strings.Contains(stderr, "+    3  ") {
		t.Errorf("a stale golden: exit %d, want 1 and a diff\n%s", code, stderr)
	}
}

// runAsPrinted runs the lines of script with sh -e, with this test binary
// on PATH as relayd.
func runAsPrinted(t *testing.T, script string) (string, error) {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	if err := os.Symlink(self, filepath.Join(bin, "relayd")); err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("sh", "-ec", script)
	cmd.Env = append(os.Environ(), "PATH="+bin+string(os.PathListSeparator)+filepath.Dir(goTool())+string(os.PathListSeparator)+os.Getenv("PATH"),
		"RELAYD_TEST_MAIN=1", "GOFLAGS=-mod=mod", "GOWORK=off")
	b, err := cmd.CombinedOutput()
	return string(b), err
}

// TestPluginNewInModule creates a plugin inside this module, as a new
// example would be: it imports the tree's SDK, so it gets no go.mod and no
// SDK copy, and its generated test passes.
func TestPluginNewInModule(t *testing.T) {
	parent := moduleTempDir(t)
	code, stdout, stderr := runPlugin("", "new", "mypolicy", "-dir", parent)
	if code != 0 {
		t.Fatalf("plugin new: exit %d\n%s", code, stderr)
	}
	dir := filepath.Join(parent, "mypolicy")
	if want := "created " + dir + ": main.go, main_test.go, README.md, mypolicy.toml, fixtures.jsonl, fixtures.golden\n"; !strings.HasPrefix(stdout, want) {
		t.Errorf("stdout does not start with %q:\n%s", want, stdout)
	}
	for _, f := range []string{"go.mod", sdkCopyDir} {
		if fileExists(filepath.Join(dir, f)) {
			t.Errorf("wrote %s inside a module that provides the SDK", f)
		}
	}
	cmd := exec.Command(goTool(), "test", "-count=1", ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generated test: %v\n%s", err, out)
	}
}

func TestPluginNewRefuses(t *testing.T) {
	outside := t.TempDir()
	if code, _, stderr := runPlugin("", "new", "-dir", outside, "p1"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if code, _, stderr := runPlugin("", "new", "-dir", outside, "p1"); code != 1 || !strings.Contains(stderr, "already exists") {
		t.Errorf("existing folder: exit %d, want 1 and 'already exists': %s", code, stderr)
	}
}

// TestPluginSDK: `plugin sdk` replaces a plugin's SDK copy with this
// relay's, and refuses a folder whose go.mod does not use one.
func TestPluginSDK(t *testing.T) {
	parent := t.TempDir()
	if code, _, stderr := runPlugin("", "new", "-dir", parent, "up"); code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	dir := filepath.Join(parent, "up")
	stale := filepath.Join(dir, sdkCopyDir, "abi", "abi.go")
	writeFile(t, stale, "package abi // from an older relay\n")
	writeFile(t, filepath.Join(dir, sdkCopyDir, "gone.go"), "package sdk\n")
	code, stdout, stderr := runPlugin("", "sdk", "-dir", dir)
	if code != 0 || !strings.Contains(stdout, "wrote "+filepath.Join(dir, sdkCopyDir)+": the SDK of relayd") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	if b, _ := os.ReadFile(stale); !strings.Contains(string(b), "const Version = 1") {
		t.Errorf("abi.go was not replaced:\n%s", b)
	}
	if fileExists(filepath.Join(dir, sdkCopyDir, "gone.go")) {
		t.Error("a file of the old copy is left")
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".") {
			t.Errorf("left %s behind", e.Name())
		}
	}
	other := t.TempDir()
	writeFile(t, filepath.Join(other, "go.mod"), "module x\n")
	if code, _, stderr := runPlugin("", "sdk", "-dir", other); code != 1 || !strings.Contains(stderr, "does not replace "+sdkModulePath) {
		t.Errorf("a module without a copy: exit %d\n%s", code, stderr)
	}
}

// checkReadmeSections checks the fixed README sections, in order.
func checkReadmeSections(t *testing.T, path, title string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	at := 0
	for _, h := range []string{title + "\n", "\n## What it does\n", "\n## Config\n", "\n## Examples\n", "\n## Logs and metrics\n"} {
		i := strings.Index(string(b[at:]), h)
		if i < 0 {
			t.Fatalf("%s: no %q after byte %d", path, strings.TrimSpace(h), at)
		}
		at += i + len(h)
	}
}

// moduleTempDir makes a directory under testdata/, inside the module so
// that a generated plugin's imports resolve, and ignored by ./... patterns.
func moduleTempDir(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("testdata", "plugin-new-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	return dir
}

func jsonLine(t *testing.T, v interface{ MarshalJSON() ([]byte, error) }) string {
	t.Helper()
	b, err := v.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
