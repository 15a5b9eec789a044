package metrics

import (
	"os"
	"path/filepath"
	"testing"
	"time"
)

// Test_dirSize: the store size counts the files under the directory and
// is measured again only once the last measure is sizeTTL old.
func Test_dirSize(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, n int) {
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, name)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name), make([]byte, n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("000001.vlog", 1<<20)
	now := time.Unix(1000, 0)
	d := dirSize{dir: dir, now: func() time.Time { return now }}
	first := d.bytes()
	if first < 1<<20 {
		t.Fatalf("size %v, want at least 1 MiB", first)
	}
	write("sub/000002.sst", 1<<20)
	now = now.Add(sizeTTL - time.Second)
	if got := d.bytes(); got != first {
		t.Fatalf("size %v within the TTL, want the cached %v", got, first)
	}
	now = now.Add(time.Second)
	if got := d.bytes(); got < first+1<<20 {
		t.Fatalf("size %v after the TTL, want at least %v", got, first+1<<20)
	}
}
