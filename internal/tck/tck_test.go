package tck

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	sdktck "github.com/relayd/relayd/sdk/tck"

	"github.com/relayd/relayd/internal/testing/rustbuild"
	"github.com/relayd/relayd/internal/testing/wasmbuild"
)

func TestMain(m *testing.M) {
	code := m.Run()
	wasmbuild.RemoveAll()
	os.Exit(code)
}

// TestTCK runs the conformance kit, sdk/tck/cases.jsonl, against the TCK
// plugin of each SDK, built from source: every case must pass. The C and
// Rust ones skip without their toolchains unless RELAYD_REQUIRE_CLANG=1
// or RELAYD_REQUIRE_RUST=1 (as in CI).
func TestTCK(t *testing.T) {
	lines, err := Parse(bytes.NewReader(sdktck.Cases))
	if err != nil {
		t.Fatal(err)
	}
	sdks := []struct {
		name  string
		build func(t *testing.T) string
	}{
		{"go", func(t *testing.T) string { return wasmbuild.Build(t, "../../sdk/tck/go") }},
		{"c", func(t *testing.T) string { return buildC(t, "../../sdk/tck/c/tck.c") }},
		{"rust", func(t *testing.T) string { return rustbuild.Build(t, "../../sdk/tck/rust") }},
	}
	for _, s := range sdks {
		t.Run(s.name, func(t *testing.T) {
			wasm, err := os.ReadFile(s.build(t))
			if err != nil {
				t.Fatal(err)
			}
			failures, ran, err := Run(context.Background(), wasm, lines, t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			for _, f := range failures {
				t.Error(f)
			}
			if ran != len(lines) {
				t.Errorf("ran %d lines of %d", ran, len(lines))
			}
		})
	}
}

// buildC compiles a C TCK plugin with clang and the Makefile's
// WASM_CFLAGS, the flags `make plugins` builds C plugins with.
func buildC(t *testing.T, src string) string {
	t.Helper()
	clang, err := exec.LookPath("clang")
	if err != nil {
		if os.Getenv("RELAYD_REQUIRE_CLANG") == "1" {
			t.Fatal("clang not found and RELAYD_REQUIRE_CLANG=1")
		}
		t.Skip("clang not found (RELAYD_REQUIRE_CLANG=1 makes this a failure)")
	}
	sdkC, err := filepath.Abs("../../sdk/c")
	if err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(t.TempDir(), "tck.wasm")
	var args []string
	for _, f := range makefileVar(t, "WASM_CFLAGS") {
		args = append(args, strings.Replace(f, "sdk/c", sdkC, 1))
	}
	args = append(args, "-o", out, src, filepath.Join(sdkC, "relayd.c"))
	if b, err := exec.Command(clang, args...).CombinedOutput(); err != nil {
		t.Fatalf("clang %v: %v\n%s", args, err, b)
	}
	return out
}

// makefileVar returns the words of a simple `NAME := ...` variable of the
// Makefile.
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
