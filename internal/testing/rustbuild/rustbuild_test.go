package rustbuild

import (
	"os"
	"path/filepath"
	"testing"
)

// TestCheck: a missing cargo or rustc is reported, so Tools skips (or
// fails under RELAYD_REQUIRE_RUST=1) instead of running a broken build.
func TestCheck(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "nope")
	tests := []struct {
		name, rustc, cargo string
	}{
		{"no cargo", "/bin/true", missing},
		{"no rustc", missing, "/bin/true"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := check(tc.rustc, tc.cargo); got != missing+" not found" {
				t.Errorf("got %q, want %q", got, missing+" not found")
			}
		})
	}
	if _, err := os.Stat("/bin/false"); err == nil {
		if got := check("/bin/false", "/bin/true"); got == "" {
			t.Error("a rustc that fails --print target-libdir passed the check")
		}
	}
}
