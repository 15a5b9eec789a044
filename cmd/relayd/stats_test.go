package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestStatsDiskIsAllocatedBlocks: relayd stats reports the disk space the
// store's files take, their allocated blocks, as relayd_store_bytes does,
// and not their lengths. badger preallocates its value log and memtable
// log as sparse files hundreds of MiB long while the store is open, so by
// lengths a store of a few notes would take hundreds of MiB. What the
// stats command measured, with the store open, may pass the allocated
// blocks of the closed store only by the memtable log badger starts on
// open (it writes little of it; 1 MiB is ample), while the lengths pass
// them by more than 100 MiB.
func TestStatsDiskIsAllocatedBlocks(t *testing.T) {
	dir := t.TempDir()
	g := newFixtureGen(t, 11, 5)
	var lines []string
	for _, ev := range g.notes(200) {
		lines = append(lines, line(ev))
	}
	path := filepath.Join(dir, "notes.jsonl")
	if err := os.WriteFile(path, []byte(strings.Join(lines, "\n")+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	data := filepath.Join(dir, "data")
	if code, out, stderr := relaydRun("import", "-data", data, "-progress", "0", path); code != 0 {
		t.Fatalf("import: exit %d\n%s%s", code, out, stderr)
	}
	code, out, stderr := relaydRun("stats", "-data", data, "-json")
	if code != 0 {
		t.Fatalf("stats: exit %d\n%s", code, stderr)
	}
	var st statsJSON
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("stats -json: %v\n%s", err, out)
	}
	if st.Events != 200 {
		t.Fatalf("stats: %d events, want 200", st.Events)
	}
	closed := allocated(t, data, "")
	t.Logf("stats disk %v; allocated blocks of the closed data dir %d", st.Disk, closed)
	if total := st.Disk["total"]; total <= 0 || total > closed+1<<20 {
		t.Errorf("stats total %d bytes, want the allocated blocks, %d bytes closed (+ at most 1 MiB of the open memtable log)", total, closed)
	}
	if st.Disk["total"] != st.Disk["sst"]+st.Disk["vlog"]+st.Disk["other"] {
		t.Errorf("stats disk parts do not add up: %v", st.Disk)
	}
}
