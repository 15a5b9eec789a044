package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// TestPluginNew creates a plugin inside this module (so its imports
// resolve to this tree's sdk), runs its generated test, builds it to wasm,
// and checks and replays it with the other plugin commands.
func TestPluginNew(t *testing.T) {
	parent := moduleTempDir(t)
	code, stdout, stderr := runPlugin("", "new", "mypolicy", "-dir", parent)
	if code != 0 {
		t.Fatalf("plugin new: exit %d\n%s", code, stderr)
	}
	dir := filepath.Join(parent, "mypolicy")
	for _, want := range []string{"created " + dir + ": main.go, main_test.go, README.md, mypolicy.toml\n", "go test .\n",
		"relayd plugin check mypolicy.wasm\n"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	if strings.Contains(stdout, "go mod init") {
		t.Errorf("suggests go mod init inside a module:\n%s", stdout)
	}
	checkReadmeSections(t, filepath.Join(dir, "README.md"), "# mypolicy")

	cmd := exec.Command(goTool(), "test", "-count=1", ".")
	cmd.Dir = dir
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("generated test: %v\n%s", err, out)
	}

	bin := t.TempDir()
	wasm := filepath.Join(bin, "mypolicy.wasm")
	buildWasm(t, dir, wasm)
	settings, err := os.ReadFile(filepath.Join(dir, "mypolicy.toml"))
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(bin, "mypolicy.toml"), string(settings))
	code, stdout, _ = runPlugin("", "check", wasm)
	if code != 0 || !strings.Contains(stdout, "hooks:      event\n") || !strings.Contains(stdout, "settings:   "+filepath.Join(bin, "mypolicy.toml")) {
		t.Errorf("plugin check: exit %d\n%s", code, stdout)
	}

	noDMs := writeFile(t, filepath.Join(bin, "nodms.toml"), "[config]\nblocked_kinds = [4]\n")
	k := wsc.NewKey()
	dm, note := k.Sign(t, 4, "hi", 1700000000), k.Sign(t, 1, "hi", 1700000000)
	input := strings.Join([]string{jsonLine(t, dm), jsonLine(t, note)}, "\n")
	code, stdout, stderr = runPlugin(input, "test", "-config", noDMs, wasm)
	if want := dm.ID + " reject blocked: kind 4 is not accepted here\n" + note.ID + " accept\n"; code != 0 || stdout != want {
		t.Errorf("plugin test: exit %d\n%s\nwant\n%s\n%s", code, stdout, want, stderr)
	}
}

func TestPluginNewRefuses(t *testing.T) {
	outside := t.TempDir()
	if code, stdout, _ := runPlugin("", "new", "-dir", outside, "p1"); code != 0 || !strings.Contains(stdout, "go mod init example.com/p1") {
		t.Errorf("outside a module: exit %d, want 0 and a go mod init hint:\n%s", code, stdout)
	}
	if code, _, stderr := runPlugin("", "new", "-dir", outside, "p1"); code != 1 || !strings.Contains(stderr, "already exists") {
		t.Errorf("existing folder: exit %d, want 1 and 'already exists': %s", code, stderr)
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
	created := false
	if _, err := os.Stat("testdata"); os.IsNotExist(err) {
		if err := os.Mkdir("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		created = true
	}
	dir, err := os.MkdirTemp("testdata", "plugin-new-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		os.RemoveAll(dir)
		if created {
			os.Remove("testdata") // only if empty
		}
	})
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
