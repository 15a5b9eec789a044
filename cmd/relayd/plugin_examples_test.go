package main

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/relayd/relayd/internal/testing/rustbuild"
)

// TestPluginExamples is each example policy's CI, as its README shows it:
// build the plugin, then `relayd plugin test -config NAME.toml NAME.wasm
// F.jsonl -expect F.golden` for each fixtures file F.jsonl in its folder.
// It fails when a golden file is stale, when fixtures lack a golden file
// or the other way round, and when NAME.toml is not the README's example.
func TestPluginExamples(t *testing.T) {
	dirs, err := filepath.Glob("../../examples/policies/*")
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, dir := range dirs {
		name := filepath.Base(dir)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || name == "internal" {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			settings := filepath.Join(dir, name+".toml")
			checkREADMESettings(t, dir, settings)
			fixtures, _ := filepath.Glob(filepath.Join(dir, "*.jsonl"))
			goldens, _ := filepath.Glob(filepath.Join(dir, "*.golden"))
			if len(fixtures) == 0 {
				t.Fatalf("no fixtures (*.jsonl) in %s", dir)
			}
			for _, g := range goldens {
				if !fileExists(strings.TrimSuffix(g, ".golden") + ".jsonl") {
					t.Errorf("%s has no fixtures file", g)
				}
			}
			wasm := buildExample(t, dir, name)
			for _, f := range fixtures {
				golden := strings.TrimSuffix(f, ".jsonl") + ".golden"
				var out, errb strings.Builder
				code := run([]string{"plugin", "test", "-config", settings, wasm, f, "-expect", golden}, &out, &errb)
				if code != 0 {
					t.Errorf("%s: exit %d\n%s%s(after a deliberate change: go build the plugin and run the same command with -update)",
						f, code, out.String(), errb.String())
				}
			}
		})
	}
	if n < 6 {
		t.Errorf("found %d examples, want at least 6", n)
	}
}

// checkREADMESettings: NAME.toml is the README's example settings, so the
// fixtures are replayed with what the README tells an operator to use.
func checkREADMESettings(t *testing.T, dir, settings string) {
	t.Helper()
	readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile("(?s)\n## Example `[^`]+`\n\n```toml\n(.*?)```").FindSubmatch(readme)
	if m == nil {
		t.Fatalf("%s/README.md has no example TOML", dir)
	}
	b, err := os.ReadFile(settings)
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != string(m[1]) {
		t.Errorf("%s differs from the README's example:\n%s\nREADME:\n%s", settings, b, m[1])
	}
}

// buildExample builds a Go example with the wasip1 toolchain, a C one
// (main.c) with clang and the Makefile's flags, or a Rust one (Cargo.toml)
// with Debian's cargo and the Makefile's CARGO_WASM_FLAGS.
func buildExample(t *testing.T, dir, name string) string {
	t.Helper()
	out := filepath.Join(t.TempDir(), name+".wasm")
	if fileExists(filepath.Join(dir, "Cargo.toml")) {
		return rustbuild.BuildWith(t, dir, makefileVar(t, "CARGO_WASM_FLAGS"))
	}
	if !fileExists(filepath.Join(dir, "main.c")) {
		buildWasm(t, dir, out)
		return out
	}
	clang, err := exec.LookPath("clang")
	if err != nil {
		if os.Getenv("RELAYD_REQUIRE_CLANG") == "1" {
			t.Fatal("clang not found and RELAYD_REQUIRE_CLANG=1")
		}
		t.Skip("clang not found (RELAYD_REQUIRE_CLANG=1 makes this a failure)")
	}
	sdkC, _ := filepath.Abs("../../sdk/c")
	var args []string
	for _, f := range makefileVar(t, "WASM_CFLAGS") {
		args = append(args, strings.Replace(f, "sdk/c", sdkC, 1))
	}
	srcs, _ := filepath.Glob(filepath.Join(dir, "*.c"))
	args = append(append(append(args, "-o", out), srcs...), filepath.Join(sdkC, "relayd.c"))
	if b, err := exec.Command(clang, args...).CombinedOutput(); err != nil {
		t.Fatalf("clang %v: %v\n%s", args, err, b)
	}
	return out
}

// makefileVar returns the words of a simple `NAME := ...` variable of the
// Makefile, the one place the C plugin flags are written.
func makefileVar(t *testing.T, name string) []string {
	t.Helper()
	f, err := os.Open("../../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), name+" := "); ok {
			return strings.Fields(v)
		}
	}
	t.Fatalf("the Makefile has no %s", name)
	return nil
}
