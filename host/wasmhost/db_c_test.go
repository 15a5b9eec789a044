package wasmhost_test

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost"
)

// cPackages are the Debian packages the C toolchain needs.
const cPackages = "clang lld wasi-libc libclang-rt-14-dev-wasm32"

// buildC compiles testdata/c/NAME.c with sdk/c into a plugin, as
// examples/policies/internal/policytest does. Without clang it skips the
// test, unless RELAYD_REQUIRE_CLANG=1 (as in CI).
func buildC(t *testing.T, name string) string {
	t.Helper()
	cc, err := exec.LookPath("clang")
	if err != nil {
		if os.Getenv("RELAYD_REQUIRE_CLANG") == "1" {
			t.Fatalf("clang not found and RELAYD_REQUIRE_CLANG=1: apt-get install %s", cPackages)
		}
		t.Skipf("clang not found; apt-get install %s (RELAYD_REQUIRE_CLANG=1 makes this a failure)", cPackages)
	}
	sdk := filepath.Join("..", "..", "sdk", "c")
	out := filepath.Join(t.TempDir(), name+".wasm")
	args := []string{"--target=wasm32-wasi", "-mexec-model=reactor", "-O2", "-Wall", "-Wextra", "-Werror", "-Wl,--strip-all",
		"-I", sdk, "-o", out, filepath.Join("testdata", "c", name+".c"), filepath.Join(sdk, "relayd.c")}
	if b, err := exec.Command(cc, args...).CombinedOutput(); err != nil {
		t.Fatalf("clang %v: %v\n%s\n(the C toolchain needs: %s)", args, err, b, cPackages)
	}
	return out
}

// TestWasmDBFromC runs a C plugin on the durable state through the real
// host and a real badger store, across a restart of both.
func TestWasmDBFromC(t *testing.T) {
	bin := buildC(t, "seen")
	dir, pdir, d := t.TempDir(), t.TempDir(), newDisk()
	st := dbStore(t, dir, d)
	m, _, err := newManager(t, wasmhost.Options{Store: st, Dir: pdir}, guest{name: "seen", wasm: bin})
	if err != nil {
		t.Fatal(err)
	}
	seen := func(p policy.Policy, author byte) string {
		t.Helper()
		in := event(1)
		ev := *in.Event
		ev.PubKey = strings.Repeat(string(author), 64)
		in.Event = &ev
		v, err := p.Event(ctx, in)
		if err != nil {
			t.Fatal(err)
		}
		return v.Reason()
	}
	p := plugin(t, m, "seen")
	tests := []struct {
		author byte
		want   string
	}{
		{'a', "blocked: new n=1 keys=1"},
		{'b', "blocked: new n=2 keys=2"},
		{'a', "blocked: seen n=2 keys=2"},
	}
	for _, tc := range tests {
		if got := seen(p, tc.author); got != tc.want {
			t.Errorf("author %c: got %q, want %q", tc.author, got, tc.want)
		}
	}
	if err := m.Close(); err != nil {
		t.Fatal(err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}
	st = dbStore(t, dir, d)
	m, _, err = newManager(t, wasmhost.Options{Store: st, Dir: pdir})
	if err != nil {
		t.Fatal(err)
	}
	p = plugin(t, m, "seen")
	for _, tc := range []struct {
		author byte
		want   string
	}{{'a', "blocked: seen n=2 keys=2"}, {'c', "blocked: new n=3 keys=3"}} {
		if got := seen(p, tc.author); got != tc.want {
			t.Errorf("after restart, author %c: got %q, want %q", tc.author, got, tc.want)
		}
	}
}
