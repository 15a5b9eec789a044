package main

import (
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/relaydtest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

var syncRowRE = regexp.MustCompile(`^([a-z-]+)\s+(\d+)$`)

// syncSummary parses a sync summary: its rows, and its reasons.
func syncSummary(out string) (rows, reasons map[string]int64) {
	rows, reasons = map[string]int64{}, map[string]int64{}
	for _, l := range strings.Split(out, "\n") {
		if m := syncRowRE.FindStringSubmatch(l); m != nil {
			rows[m[1]], _ = strconv.ParseInt(m[2], 10, 64)
		} else if m := reasonRE.FindStringSubmatch(l); m != nil {
			reasons[m[2]], _ = strconv.ParseInt(m[1], 10, 64)
		}
	}
	return rows, reasons
}

// syncRun runs `relayd sync args...` and fails the test unless it exits 0.
func syncRun(t *testing.T, args ...string) (rows, reasons map[string]int64) {
	t.Helper()
	code, out, stderr := relaydRun(append([]string{"sync"}, args...)...)
	if code != 0 {
		t.Fatalf("sync %v: exit %d\n%s\n%s", args, code, out, stderr)
	}
	t.Logf("sync %v:\n%s", args[:len(args)-1], out)
	return syncSummary(out)
}

// wantRows checks the rows named in want.
func wantRows(t *testing.T, what string, got, want map[string]int64) {
	t.Helper()
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s = %d, want %d (all rows: %v)", what, k, got[k], v, got)
		}
	}
}

// signed makes n events of kind by k, a second apart from base.
func signed(t *testing.T, k wsc.Key, kind, n int, tag string, base nostr.Timestamp) []*nostr.Event {
	t.Helper()
	out := make([]*nostr.Event, n)
	for i := range out {
		out[i] = k.Sign(t, kind, fmt.Sprintf("%s %d", tag, i), base+nostr.Timestamp(i))
	}
	return out
}

// writeJSONL writes the events as a dump and returns its path.
func writeJSONL(t testing.TB, evs ...[]*nostr.Event) string {
	t.Helper()
	var b strings.Builder
	for _, l := range evs {
		for _, ev := range l {
			b.WriteString(line(ev) + "\n")
		}
	}
	p := filepath.Join(t.TempDir(), "events.jsonl")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// put stores the events in a data dir (no URL) or a running relay, by
// import.
func put(t testing.TB, dataOrURL string, evs ...[]*nostr.Event) {
	t.Helper()
	args := []string{"import", "-data", dataOrURL}
	if strings.HasPrefix(dataOrURL, "ws") {
		args = []string{"import", "-url", dataOrURL}
	}
	if code, out, stderr := relaydRun(append(args, writeJSONL(t, evs...))...); code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, stderr)
	}
}

// idSet returns the ids of the events.
func idSet(evs ...[]*nostr.Event) map[string]bool {
	out := map[string]bool{}
	for _, l := range evs {
		for _, ev := range l {
			out[ev.ID] = true
		}
	}
	return out
}

// sameSet compares two id sets, naming the first difference.
func sameSet(t *testing.T, what string, got, want map[string]bool) {
	t.Helper()
	if maps.Equal(got, want) {
		return
	}
	for id := range want {
		if !got[id] {
			t.Errorf("%s: %d ids, want %d; %s missing", what, len(got), len(want), id)
			return
		}
	}
	for id := range got {
		if !want[id] {
			t.Errorf("%s: %d ids, want %d; %s extra", what, len(got), len(want), id)
			return
		}
	}
}

// TestSyncCommand: relayd sync against a running relayd, down with a
// filter, down through a real WASM policy that sees source Sync and the
// URL, up, then both ways after each side got events the other lacks;
// each summary counts exactly what moved, and the stores end as expected.
func TestSyncCommand(t *testing.T) {
	remote := relaydtest.Start(t, relaydtest.Default(""))
	data := filepath.Join(t.TempDir(), "data")
	k := wsc.NewKey()
	base := nostr.Now() - 10000
	shared, remoteOnly, localOnly := signed(t, k, 1, 200, "shared", base), signed(t, k, 1, 300, "remote", base+1000), signed(t, k, 1, 250, "local", base+2000)
	likes, chats, profiles := signed(t, k, 7, 20, "+", base+3000), signed(t, k, 9, 5, "chat", base+3100), []*nostr.Event{k.Sign(t, 0, "{}", base+3200)}
	put(t, remote.URL, shared, remoteOnly, likes, chats, profiles)
	put(t, data, shared, localOnly)

	rows, _ := syncRun(t, "-data", data, "-filter", `{"kinds":[1]}`, remote.URL)
	wantRows(t, "down kinds 1", rows, map[string]int64{"need": 300, "have": 250, "down-stored": 300, "down-missing": 0})
	sameSet(t, "local after down kinds 1", idsOf(t, exportLines(t, "-data", data)), idSet(shared, remoteOnly, localOnly))

	plugins := filepath.Join(t.TempDir(), "plugins")
	os.Mkdir(plugins, 0o755)
	wasm, err := os.ReadFile("../../host/wasmhost/testdata/wat/syncsrc.wasm")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(plugins, "syncsrc.wasm"), wasm, 0o644)
	rows, reasons := syncRun(t, "-data", data, "-plugins", plugins, remote.URL)
	wantRows(t, "down -plugins", rows, map[string]int64{"need": 26, "have": 250, "down-stored": 1, "down-refused": 25})
	if reasons["syncsrc: blocked: no reactions from peers"] != 20 {
		t.Errorf("reasons %v, want 20 reactions refused by syncsrc", reasons)
	}
	tail := `"sourceType":"Sync","sourceInfo":"` + remote.URL + `"}`
	var seen int64
	for r, n := range reasons {
		if strings.HasPrefix(r, "syncsrc: blocked: ") && strings.HasSuffix(r, tail) {
			seen += n
		}
	}
	if seen != 5 {
		t.Errorf("%d refusals carry %s, want 5: %v", seen, tail, reasons)
	}

	rows, _ = syncRun(t, "-data", data, "-dir", "up", remote.URL)
	wantRows(t, "up", rows, map[string]int64{"have": 250, "need": 25, "up-sent": 250, "up-accepted": 250, "up-unanswered": 0})
	sameSet(t, "remote after up", idsOf(t, reqAll(t, remote.URL)), idSet(shared, remoteOnly, localOnly, likes, chats, profiles))

	newRemote, newLocal := signed(t, k, 1, 40, "new remote", base+5000), signed(t, k, 1, 60, "new local", base+6000)
	put(t, remote.URL, newRemote)
	put(t, data, newLocal)
	rows, _ = syncRun(t, "-data", data, "-dir", "both", "-plugins", plugins, remote.URL)
	wantRows(t, "both", rows, map[string]int64{"need": 65, "have": 60, "down-stored": 40, "down-refused": 25, "up-accepted": 60})
	all := idSet(shared, remoteOnly, localOnly, profiles, newRemote, newLocal)
	sameSet(t, "local after both", idsOf(t, exportLines(t, "-data", data)), maps.Clone(all))
	maps.Copy(all, idSet(likes, chats))
	sameSet(t, "remote after both", idsOf(t, reqAll(t, remote.URL)), all)
}

// TestSyncCommandUsage: bad arguments get exit 2 and a line saying what
// is wrong; a data dir a running relayd holds gets one line naming the
// way through the running relay ([[sync]] peers).
func TestSyncCommandUsage(t *testing.T) {
	held := relaydtest.Start(t, relaydtest.Default(""))
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"no URL", []string{"-data", t.TempDir()}, 2, "relayd sync: want one URL (ws:// or wss://)"},
		{"http URL", []string{"-data", t.TempDir(), "http://x"}, 2, `relayd sync: "http://x" is not a ws:// or wss:// URL`},
		{"bad dir", []string{"-data", t.TempDir(), "-dir", "sideways", "ws://x"}, 2, `relayd sync: -dir "sideways" is not down, up or both`},
		{"bad filter", []string{"-data", t.TempDir(), "-filter", `{"kinds":"1"}`, "ws://x"}, 2, "relayd sync: -filter: kinds must be"},
		{"relay down", []string{"-data", t.TempDir(), "ws://127.0.0.1:1"}, 1, "relayd sync: reconcile: dial ws://127.0.0.1:1: "}, // after "reconciling"
		{"held data dir", []string{"-data", held.Config.DataDir, "ws://127.0.0.1:1"}, 1,
			"is in use by another relayd (pid "},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, out, stderr := relaydRun(append([]string{"sync"}, tc.args...)...)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if tc.name == "relay down" && len(lines) == 2 && strings.HasPrefix(lines[0], "relayd sync: reconciling ") {
				lines = lines[1:]
			}
			if code != tc.code || len(lines) != 1 || !strings.Contains(lines[0], tc.want) || out != "" {
				t.Fatalf("exit %d, stdout %q, stderr %q; want exit %d and one line with %q", code, out, stderr, tc.code, tc.want)
			}
			if tc.name == "held data dir" && !strings.Contains(stderr, "[[sync]] url = \"ws://127.0.0.1:1\"") {
				t.Fatalf("stderr %q does not name the [[sync]] way", stderr)
			}
		})
	}
}

// TestSyncWithoutNIP77: a relay whose NIP-11 lacks NIP-77 is synced by
// listing its events with REQs, with a warning, to the same result.
func TestSyncWithoutNIP77(t *testing.T) {
	cfg := relaydtest.Default("")
	cfg.Negentropy = false
	cfg.MaxLimit, cfg.DefaultLimit = 70, 70 // several pages, and pages cut inside a second
	remote := relaydtest.Start(t, cfg)
	data := filepath.Join(t.TempDir(), "data")
	k := wsc.NewKey()
	base := nostr.Now() - 10000
	shared, remoteOnly, localOnly := signed(t, k, 1, 100, "shared", base), signed(t, k, 1, 150, "remote", base+1000), signed(t, k, 1, 90, "local", base+2000)
	sameSecond := make([]*nostr.Event, 30)
	for i := range sameSecond {
		sameSecond[i] = k.Sign(t, 1, fmt.Sprint("same second ", i), base+1099) // 50 newer: page 1 ends inside this second
	}
	put(t, remote.URL, shared, remoteOnly, sameSecond)
	put(t, data, shared, localOnly)
	code, out, stderr := relaydRun("sync", "-data", data, "-dir", "both", remote.URL)
	if code != 0 {
		t.Fatalf("exit %d\n%s\n%s", code, out, stderr)
	}
	if !strings.Contains(stderr, "does not list NIP-77 (negentropy) in its NIP-11 document: listing its events by REQ instead") ||
		!strings.Contains(out, "listed by REQ (no NIP-77)") {
		t.Errorf("no warning of the listing:\n%s\n%s", out, stderr)
	}
	rows, _ := syncSummary(out)
	wantRows(t, "listed", rows, map[string]int64{"need": 180, "have": 90, "down-stored": 180, "up-accepted": 90})
	all := idSet(shared, remoteOnly, localOnly, sameSecond)
	sameSet(t, "local", idsOf(t, exportLines(t, "-data", data)), all)
	sameSet(t, "remote", idsOf(t, exportLines(t, "-url", remote.URL)), all)
}
