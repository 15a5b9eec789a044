package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// relaydRun runs `relayd args...` in this process and returns its exit
// code, stdout and stderr.
func relaydRun(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := run(args, &out, &errb)
	return code, out.String(), errb.String()
}

var (
	rowRE    = regexp.MustCompile(`^([a-z]+)\s+(\d+)$`)
	reasonRE = regexp.MustCompile(`^\s+(\d+)  (.+)$`)
)

// summary parses an import summary: its rows, and its reasons.
func summary(t testing.TB, out string) (rows, reasons map[string]int64) {
	t.Helper()
	rows, reasons = map[string]int64{}, map[string]int64{}
	for _, l := range strings.Split(out, "\n") {
		if m := rowRE.FindStringSubmatch(l); m != nil {
			rows[m[1]], _ = strconv.ParseInt(m[2], 10, 64)
		} else if m := reasonRE.FindStringSubmatch(l); m != nil {
			reasons[m[2]], _ = strconv.ParseInt(m[1], 10, 64)
		}
	}
	return rows, reasons
}

// reportedLines returns the line numbers an import reported as bad.
func reportedLines(stderr string) map[int]bool {
	out := map[int]bool{}
	for _, m := range regexp.MustCompile(`(?m)^line (\d+)[ :]`).FindAllStringSubmatch(stderr, -1) {
		n, _ := strconv.Atoi(m[1])
		out[n] = true
	}
	return out
}

// reqAll returns the JSON of every event the relay serves for a REQ with
// no filter, byte for byte as sent, in order.
func reqAll(t *testing.T, url string) []string {
	t.Helper()
	c := wsc.Dial(t, url)
	c.Send("REQ", "all", nostr.Filter{Limit: 20000})
	var out []string
	for {
		msg := c.Read()
		switch wsc.Label(msg) {
		case "EVENT":
			out = append(out, string(msg[2]))
		case "EOSE":
			return out
		default:
			t.Fatalf("unexpected %s", msg)
		}
	}
}

func exportLines(t *testing.T, args ...string) []string {
	t.Helper()
	file := filepath.Join(t.TempDir(), "out.jsonl")
	code, _, stderr := relaydRun(append(append([]string{"export"}, args...), file)...)
	if code != 0 {
		t.Fatalf("export %v: exit %d\n%s", args, code, stderr)
	}
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
}

func idsOf(t *testing.T, lines []string) map[string]bool {
	t.Helper()
	out := map[string]bool{}
	for _, l := range lines {
		var ev nostr.Event
		if err := json.Unmarshal([]byte(l), &ev); err != nil {
			t.Fatalf("bad line %q: %v", l, err)
		}
		out[ev.ID] = true
	}
	return out
}

func sameIDs(t *testing.T, what string, got map[string]bool, want map[string]*nostr.Event) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d events, want %d", what, len(got), len(want))
	}
	for id := range want {
		if !got[id] {
			t.Errorf("%s: missing %s (kind %d)", what, id, want[id].Kind)
			return
		}
	}
}

// TestDataImportExport imports a dump of several thousand events with
// every sort of line, checks the summary against what the generator made,
// then checks that the store serves exactly the expected events, that
// export (local and -url) writes each byte-identical to REQ, and that the
// data commands refuse a data dir a running relayd holds, in one line.
// Then delete, stats, compact and fsck run on the imported store.
func TestDataImportExport(t *testing.T) {
	dir := t.TempDir()
	fx := standardFixture(t, dir)
	cfg := writeConfig(t, fixtureLimits)
	data := filepath.Join(dir, "data")

	code, out, stderr := relaydRun("import", "-data", data, "-config", cfg, fx.path)
	if code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, stderr)
	}
	t.Logf("import summary:\n%s", out)
	rows, reasons := summary(t, out)
	for _, k := range []string{"read", "stored", "duplicate", "replaced", "deleted", "expired", "invalid", "refused", "ephemeral", "failed"} {
		if rows[k] != fx.counts[k] {
			t.Errorf("summary %s = %d, want %d", k, rows[k], fx.counts[k])
		}
	}
	if !maps.Equal(reasons, fx.reasons) {
		t.Errorf("invalid by reason:\n got %v\nwant %v", reasons, fx.reasons)
	}
	if got := reportedLines(stderr); !maps.Equal(got, fx.badLines) {
		t.Errorf("reported bad lines %v, want %v", slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(fx.badLines)))
	}
	if t.Failed() {
		t.Fatalf("import output:\n%s", out)
	}

	p := startRelayd(t, "-data", data, "-config", cfg)
	served := reqAll(t, p.url)
	sameIDs(t, "REQ after import", idsOf(t, served), fx.kept)
	t.Run("locked", func(t *testing.T) {
		for _, tc := range []struct {
			args []string
			alt  string
		}{
			{[]string{"import", fx.path}, "relayd import -url ws://"},
			{[]string{"export"}, "relayd export -url ws://"},
			{[]string{"fsck"}, ""},
			{[]string{"delete", "-filter", "{}"}, ""},
		} {
			args := append([]string{tc.args[0], "-data", data, "-config", cfg}, tc.args[1:]...)
			code, _, stderr := relaydRun(args...)
			lines := strings.Split(strings.TrimSpace(stderr), "\n")
			if code != 1 || len(lines) != 1 || !strings.Contains(stderr, "is in use by another relayd (pid ") ||
				!strings.Contains(stderr, tc.alt) {
				t.Errorf("%s while relayd runs: exit %d, stderr:\n%s", tc.args[0], code, stderr)
			}
		}
	})
	t.Run("export -url", func(t *testing.T) {
		got := exportLines(t, "-url", p.url, "-page", "317")
		if !slices.Equal(got, served) {
			t.Errorf("export -url differs from REQ: %d lines vs %d", len(got), len(served))
		}
	})
	stopRelayd(t, p)

	exported := exportLines(t, "-data", data, "-config", cfg)
	if !slices.Equal(exported, served) {
		t.Fatalf("export differs from REQ: %d lines vs %d", len(exported), len(served))
	}
	t.Run("export -filter", func(t *testing.T) {
		got := exportLines(t, "-data", data, "-filter", `{"kinds":[0,3,10002]}`)
		var want []string
		for _, l := range served {
			if strings.HasPrefix(l, `{"kind":0,`) || strings.HasPrefix(l, `{"kind":3,`) || strings.HasPrefix(l, `{"kind":10002,`) {
				want = append(want, l)
			}
		}
		if !slices.Equal(got, want) || len(want) != 36 {
			t.Errorf("export -filter: %d lines, want %d (36)", len(got), len(want))
		}
	})
	t.Run("stats", func(t *testing.T) { checkStats(t, data, fx.kept) })
	t.Run("delete", func(t *testing.T) { checkDelete(t, data, fx, served) })
	t.Run("compact", func(t *testing.T) {
		before := exportLines(t, "-data", data)
		code, out, stderr := relaydRun("compact", "-data", data)
		if code != 0 || !regexp.MustCompile(`(?m)^before .*sst.*vlog.*\nafter `).MatchString(out) {
			t.Fatalf("compact: exit %d\n%s%s", code, out, stderr)
		}
		if after := exportLines(t, "-data", data); !slices.Equal(after, before) {
			t.Errorf("compact changed the events: %d lines, was %d", len(after), len(before))
		}
		fsckClean(t, data)
	})
	t.Run("fsck", func(t *testing.T) { checkFsck(t, data) })
}

func fsckClean(t *testing.T, data string) {
	t.Helper()
	code, out, stderr := relaydRun("fsck", "-data", data)
	if code != 0 || !strings.Contains(out, ": no problems") {
		t.Fatalf("fsck: exit %d\n%s%s", code, out, stderr)
	}
}

func checkStats(t *testing.T, data string, kept map[string]*nostr.Event) {
	code, out, stderr := relaydRun("stats", "-data", data, "-json", "-top", "0")
	if code != 0 {
		t.Fatalf("stats: exit %d\n%s", code, stderr)
	}
	var st statsJSON
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("stats -json: %v\n%s", err, out)
	}
	kinds, authors := map[int]int64{}, map[string]bool{}
	for _, ev := range kept {
		kinds[ev.Kind]++
		authors[ev.PubKey] = true
	}
	got := map[int]int64{}
	for _, k := range st.Kinds {
		got[k.Kind] = k.Events
	}
	var ages int64
	for _, a := range st.Ages {
		ages += a.Events
	}
	if st.Events != int64(len(kept)) || st.Authors != int64(len(authors)) || !maps.Equal(got, kinds) || ages != st.Events {
		t.Errorf("stats: %d events, %d authors, kinds %v, ages sum %d; want %d, %d, %v", st.Events, st.Authors, got, ages,
			len(kept), len(authors), kinds)
	}
	if st.Disk["vlog"] == 0 || st.Disk["total"] != st.Disk["sst"]+st.Disk["vlog"]+st.Disk["other"] {
		t.Errorf("stats disk: %v", st.Disk)
	}
	code, out, _ = relaydRun("stats", "-data", data, "-top", "2")
	if code != 0 || !strings.Contains(out, "(top 2)") || !strings.Contains(out, fmt.Sprintf("events   %d", len(kept))) {
		t.Errorf("stats text: exit %d\n%s", code, out)
	}
}

// checkDelete: -dry-run counts and changes nothing; delete removes the
// author's events with every index entry (fsck finds none left over).
func checkDelete(t *testing.T, data string, fx *fixture, served []string) {
	var victim string
	want := 0
	for _, ev := range fx.kept {
		if victim == "" {
			victim = ev.PubKey
		}
		if ev.PubKey == victim {
			want++
		}
	}
	filter := `{"authors":["` + victim + `"]}`
	code, out, stderr := relaydRun("delete", "-data", data, "-filter", filter, "-dry-run")
	if code != 0 || out != fmt.Sprintf("would delete %d events (dry run)\n", want) {
		t.Fatalf("delete -dry-run: exit %d: %q %s, want %d", code, out, stderr, want)
	}
	if got := exportLines(t, "-data", data); !slices.Equal(got, served) {
		t.Fatal("delete -dry-run changed the store")
	}
	code, out, stderr = relaydRun("delete", "-data", data, "-filter", filter)
	if code != 0 || out != fmt.Sprintf("deleted %d events\n", want) {
		t.Fatalf("delete: exit %d: %q %s, want %d", code, out, stderr, want)
	}
	var rest []string
	for _, l := range served {
		if !strings.Contains(l, `"pubkey":"`+victim+`"`) {
			rest = append(rest, l)
		}
	}
	if got := exportLines(t, "-data", data); !slices.Equal(got, rest) {
		t.Errorf("after delete: %d events, want %d", len(got), len(rest))
	}
	fsckClean(t, data)
	if code, _, stderr := relaydRun("delete", "-data", data); code != 2 {
		t.Errorf("delete without -filter: exit %d, want 2: %s", code, stderr)
	}
}
