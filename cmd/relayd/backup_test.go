package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestBackupRestore: relayd backup and relayd restore carry a store whole,
// where export and import do not. After the NIP-09 deletion events are
// purged (relayd delete), the deleted events stay refused in the source
// store and in its restored backup, but an export no longer holds what
// refused them, so a store imported from it takes them back.
func TestBackupRestore(t *testing.T) {
	dir := t.TempDir()
	g := newFixtureGen(t, 9, 4)
	g.notes(200)
	g.deletions()
	fx := g.write(dir)
	src, restored, imported := filepath.Join(dir, "src"), filepath.Join(dir, "restored"), filepath.Join(dir, "imported")
	mustRun(t, "import", "-data", src, "-progress", "0", fx.path)
	mustRun(t, "delete", "-data", src, "-filter", `{"kinds":[5]}`)

	backup := filepath.Join(dir, "store.backup")
	mustRun(t, "backup", "-data", src, backup)
	mustRun(t, "restore", "-data", restored, backup)
	dump := filepath.Join(dir, "dump.jsonl")
	mustRun(t, "export", "-data", src, "-progress", "0", dump)
	mustRun(t, "import", "-data", imported, "-progress", "0", dump)

	if a, b := mustRun(t, "export", "-data", src, "-progress", "0"), mustRun(t, "export", "-data", restored, "-progress", "0"); a != b || a == "" {
		t.Fatalf("the restored store serves other events than the source (%d and %d bytes exported)", len(a), len(b))
	}
	var deleted []string
	for _, it := range fx.lines {
		if it.outcome == "deleted" {
			deleted = append(deleted, it.line)
		}
	}
	again := filepath.Join(dir, "again.jsonl")
	if err := os.WriteFile(again, []byte(strings.Join(deleted, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		data    string
		deleted int64 // of the deleted events imported again, how many are refused as deleted
	}{
		{src, int64(len(deleted))},
		{restored, int64(len(deleted))},
		{imported, 0}, // stored again (or replaced by a newer version of their address)
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.data), func(t *testing.T) {
			rows, _ := summary(t, mustRun(t, "import", "-data", tc.data, "-progress", "0", again))
			if rows["deleted"] != tc.deleted || rows["stored"]+rows["replaced"]+rows["deleted"] != int64(len(deleted)) {
				t.Fatalf("importing the %d deleted events again: %v, want deleted %d", len(deleted), rows, tc.deleted)
			}
		})
	}
}

// TestRestoreRefusals: restore refuses a data dir that has a store, and
// a file that is not a backup, and says why.
func TestRestoreRefusals(t *testing.T) {
	dir := t.TempDir()
	g := newFixtureGen(t, 10, 2)
	g.notes(20)
	fx := g.write(dir)
	data := filepath.Join(dir, "data")
	mustRun(t, "import", "-data", data, "-progress", "0", fx.path)
	backup := filepath.Join(dir, "store.backup")
	mustRun(t, "backup", "-data", data, backup)

	tests := []struct {
		name string
		data string
		file string
		want string
	}{
		{"a data dir with a store", data, backup, "is not empty; restore into a new directory"},
		{"a JSONL dump", filepath.Join(dir, "new"), fx.path, "not a whole relayd backup"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, stderr := relaydRun("restore", "-data", tc.data, tc.file)
			if code != 1 || !strings.Contains(stderr, tc.want) {
				t.Fatalf("exit %d, stderr %q; want 1 and %q", code, stderr, tc.want)
			}
		})
	}
}

// mustRun runs relayd with args, fails the test unless it exits 0, and
// returns its stdout.
func mustRun(t *testing.T, args ...string) string {
	t.Helper()
	code, out, stderr := relaydRun(args...)
	if code != 0 {
		t.Fatalf("relayd %s: exit %d\n%s%s", strings.Join(args, " "), code, out, stderr)
	}
	return out
}
