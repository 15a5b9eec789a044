package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/relaydtest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// TestAdminCommand: relayd admin against a running relay: keys from a file
// (hex or nsec) or RELAYD_ADMIN_KEY, a table for lists, "key: value" for
// objects, "ok" for true, -json raw, and clear errors.
func TestAdminCommand(t *testing.T) {
	// NIP-19's example nsec and its hex.
	const nsec = "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5"
	admin := wsc.Key{SK: "67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa"}
	admin.PK, _ = nostr.GetPublicKey(admin.SK)
	stranger := wsc.NewKey()
	cfg := relaydtest.Default("")
	cfg.AdminPubkeys = []string{admin.PK}
	r := relaydtest.Start(t, cfg)
	c := wsc.Dial(t, r.URL)
	ev := wsc.NewKey().Sign(t, 1, "spam", nostr.Now())
	if ok := c.Publish(ev); !ok.Accepted {
		t.Fatal(ok)
	}
	dir := t.TempDir()
	keyFile := filepath.Join(dir, "admin.key")
	os.WriteFile(keyFile, []byte(admin.SK+"\n"), 0o600)
	nsecFile := filepath.Join(dir, "admin.nsec")
	os.WriteFile(nsecFile, []byte(nsec+"\n"), 0o600)
	strangerFile := filepath.Join(dir, "stranger.key")
	os.WriteFile(strangerFile, []byte(stranger.SK), 0o600)

	tests := []struct {
		name     string
		env      string
		args     []string
		code     int
		out, err string // exact stdout; a substring of stderr
	}{
		{"banevent", "", []string{"-url", r.URL, "-key-file", keyFile, "banevent", ev.ID, "illegal content"}, 0, "ok\n", ""},
		{"table", "", []string{"-url", r.URL, "-key-file", nsecFile, "listbannedevents"}, 0,
			"ID                                                                REASON\n" + ev.ID + "  illegal content\n", ""},
		{"-json", "", []string{"-url", r.URL, "-key-file", keyFile, "-json", "listbannedevents"}, 0,
			`[{"id":"` + ev.ID + `","reason":"illegal content"}]` + "\n", ""},
		{"list of strings", admin.SK, []string{"-url", r.URL, "supportedmethods"}, 0,
			"allowevent\nbanevent\nchangerelaydescription\nchangerelayicon\nchangerelayname\nlistbannedevents\nstats\nsupportedmethods\n", ""},
		{"changerelayname", admin.SK, []string{"-url", r.URL, "changerelayname", "Renamed"}, 0, "ok\n", ""},
		{"not authorised", "", []string{"-url", r.URL, "-key-file", strangerFile, "stats"}, 1, "",
			"not authorised: is your pubkey in admin_pubkeys? (yours is " + stranger.PK},
		{"method error", admin.SK, []string{"-url", r.URL, "banevent", "nothex"}, 1, "", "banevent: invalid params"},
		{"unknown method", admin.SK, []string{"-url", r.URL, "nosuchmethod"}, 1, "", "nosuchmethod: unknown method"},
		{"no key", "", []string{"-url", r.URL, "stats"}, 2, "", "no admin key"},
		{"bad key", "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6", []string{"-url", r.URL, "stats"}, 2, "",
			"not 64 hex digits or an nsec"},
		{"no method", admin.SK, []string{"-url", r.URL}, 2, "", "usage: relayd admin"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("RELAYD_ADMIN_KEY", tc.env)
			var out, errb bytes.Buffer
			code := adminCommand(tc.args, &out, &errb)
			if code != tc.code || out.String() != tc.out || !strings.Contains(errb.String(), tc.err) {
				t.Fatalf("got %d, stdout %q, stderr %q; want %d, %q, stderr with %q", code, out.String(), errb.String(), tc.code, tc.out, tc.err)
			}
		})
	}
	var out bytes.Buffer
	t.Setenv("RELAYD_ADMIN_KEY", admin.SK)
	if code := adminCommand([]string{"-url", r.URL, "stats"}, &out, &bytes.Buffer{}); code != 0 ||
		!strings.Contains(out.String(), "connections:") || !strings.Contains(out.String(), "events:") {
		t.Fatalf("stats: %d %q", code, out.String())
	}
}

func Test_adminParams(t *testing.T) {
	tests := []struct{ arg, want string }{
		{"abc", `"abc"`},
		{"4", `4`},
		{"-1", `-1`},
		{"true", `true`},
		{`{"purge": true}`, `{"purge":true}`},
		{"[1,2]", `[1,2]`},
		{"{not json", `"{not json"`},
		{"3bf0c63f", `"3bf0c63f"`},
		{"1234567890123456", `"1234567890123456"`}, // too long for an integer: an id-like string
	}
	for _, tc := range tests {
		t.Run(tc.arg, func(t *testing.T) {
			b, err := json.Marshal(adminParams([]string{tc.arg})[0])
			if err != nil || string(b) != tc.want {
				t.Fatalf("got %s %v, want %s", b, err, tc.want)
			}
		})
	}
}

// TestImportRefusesBannedEvents: an id banned over NIP-86 is refused by
// relayd import too (the store refuses it, whatever the source).
func TestImportRefusesBannedEvents(t *testing.T) {
	admin := wsc.NewKey()
	data := filepath.Join(t.TempDir(), "data")
	cfg := relaydtest.Default("")
	cfg.DataDir = data
	cfg.AdminPubkeys = []string{admin.PK}
	r := relaydtest.Start(t, cfg)
	k := wsc.NewKey()
	banned, other := k.Sign(t, 1, "banned", nostr.Now()), k.Sign(t, 1, "other", nostr.Now())
	t.Setenv("RELAYD_ADMIN_KEY", admin.SK)
	if code := adminCommand([]string{"-url", r.URL, "banevent", banned.ID, "x"}, &bytes.Buffer{}, &bytes.Buffer{}); code != 0 {
		t.Fatalf("banevent: exit %d", code)
	}
	r.Stop()

	dump := filepath.Join(t.TempDir(), "dump.jsonl")
	var b bytes.Buffer
	for _, ev := range []*nostr.Event{banned, other} {
		j, _ := ev.MarshalJSON()
		b.Write(append(j, '\n'))
	}
	os.WriteFile(dump, b.Bytes(), 0o644)
	code, out, stderr := relaydRun("import", "-data", data, dump)
	if code != 0 {
		t.Fatalf("import: exit %d\n%s\n%s", code, out, stderr)
	}
	rows, reasons := summary(t, out)
	if rows["stored"] != 1 || rows["refused"] != 1 || reasons["operator: blocked: this event is banned by the relay operator"] != 1 {
		t.Fatalf("import summary: rows %v, reasons %v; want 1 stored, 1 refused as banned\n%s", rows, reasons, out)
	}
}
