package main

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// runPlugin runs `relayd plugin args...` with input on stdin.
func runPlugin(input string, args ...string) (code int, stdout, stderr string) {
	var out, errb bytes.Buffer
	stdin = strings.NewReader(input)
	defer func() { stdin = os.Stdin }()
	code = run(append([]string{"plugin"}, args...), &out, &errb)
	return code, out.String(), errb.String()
}

// buildWasm builds the Go plugin in dir to out with the wasip1 toolchain.
func buildWasm(t *testing.T, dir, out string) {
	t.Helper()
	cmd := exec.Command(goTool(), "build", "-buildmode=c-shared", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("building %s: %v\n%s", dir, err, b)
	}
}

func goTool() string {
	if p := filepath.Join(runtime.GOROOT(), "bin", "go"); fileExists(p) {
		return p
	}
	return "go"
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }

func writeFile(t *testing.T, path, body string) string {
	t.Helper()
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestPluginUsage(t *testing.T) {
	dir := t.TempDir()
	notWasm := writeFile(t, filepath.Join(dir, "plugin.txt"), "x")
	tests := []struct {
		args   []string
		code   int
		stdout string
		stderr string
	}{
		{nil, 2, "", "usage: relayd plugin <command>"},
		{[]string{"help"}, 0, "usage: relayd plugin <command>", ""},
		{[]string{"frobnicate"}, 2, "", `unknown command "frobnicate"`},
		{[]string{"check"}, 2, "", "relayd plugin check: want one FILE.wasm"},
		{[]string{"check", "a.wasm", "b.wasm"}, 2, "", "want one FILE.wasm"},
		{[]string{"check", "-nope", "a.wasm"}, 2, "", "flag provided but not defined: -nope"},
		{[]string{"check", filepath.Join(dir, "missing.wasm")}, 1, "", "no such file or directory"},
		{[]string{"check", notWasm}, 1, "", "want a NAME.wasm file"},
		{[]string{"test"}, 2, "", "relayd plugin test: want FILE.wasm [FIXTURES.jsonl]"},
		{[]string{"test", "a.wasm", "-update"}, 2, "", "relayd plugin test: -update needs -expect GOLDEN"},
		{[]string{"bench"}, 2, "", "relayd plugin bench: want FILE.wasm [FIXTURES.jsonl]"},
		{[]string{"bench", "-time", "0s", "a.wasm"}, 2, "", "-time must be positive"},
		{[]string{"bench", filepath.Join(dir, "missing.wasm")}, 1, "", "no such file or directory"},
		{[]string{"sdk", "x"}, 2, "", "relayd plugin sdk: takes no arguments"},
		{[]string{"sdk", "-dir", dir}, 1, "", "go.mod: no such file or directory"},
		{[]string{"test", "a.wasm", "-log", "loud"}, 2, "", "-log: slog: level string"},
		{[]string{"test", "-authed", "npub1x", "a.wasm"}, 2, "", `-authed: want a 64-character hex pubkey or "author"`},
		{[]string{"test", filepath.Join(dir, "missing.wasm")}, 1, "", "no such file or directory"},
		{[]string{"new"}, 2, "", "relayd plugin new: want one NAME"},
		{[]string{"new", "Bad-Name"}, 2, "", `name "Bad-Name": want lower case words`},
		{[]string{"new", "no-"}, 2, "", `name "no-": want lower case words`},
		{[]string{"new", "no--buy"}, 2, "", `name "no--buy": want lower case words`},
		{[]string{"new", "-dir", dir, strings.Repeat("a", 41)}, 2, "", "at most 40 characters"},
		{[]string{"new", "x", "-dir"}, 2, "", "flag needs an argument: -dir"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, stdout, stderr := runPlugin("", tc.args...)
			if code != tc.code || !strings.Contains(stdout, tc.stdout) || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, want %d\nstdout %q, want it to contain %q\nstderr %q, want it to contain %q",
					code, tc.code, stdout, tc.stdout, stderr, tc.stderr)
			}
		})
	}
}

// TestPluginCheckAndTest builds the auth and spam plugins once and runs
// `plugin check` and `plugin test` on them.
func TestPluginCheckAndTest(t *testing.T) {
	dir := t.TempDir()
	auth := filepath.Join(dir, "auth.wasm")
	spam := filepath.Join(dir, "spam.wasm")
	buildWasm(t, "../../plugins/auth", auth)
	buildWasm(t, "../../plugins/spam", spam)
	t.Run("check", func(t *testing.T) { testCheck(t, dir, auth) })
	t.Run("check durable state", func(t *testing.T) { testCheckDB(t, dir) })
	t.Run("test", func(t *testing.T) { testReplay(t, dir, auth, spam) })
}

// testCheckDB: check says whether a plugin uses durable state and shows
// its limits, defaults applied.
func testCheckDB(t *testing.T, dir string) {
	strikes := filepath.Join(dir, "strikes.wasm")
	buildWasm(t, "../../examples/policies/strikes", strikes)
	limits := writeFile(t, filepath.Join(dir, "strikes-limits.toml"), "db_max_keys = 5\n[config]\nwords = [\"x\"]\n")
	words := writeFile(t, filepath.Join(dir, "strikes-words.toml"), "[config]\nwords = [\"x\"]\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"not used", []string{filepath.Join(dir, "auth.wasm")}, "db:         not used (db_max_keys 100000, db_max_bytes 67108864)\n"},
		{"used", []string{"-config", words, strikes}, "db:         used (db_max_keys 100000, db_max_bytes 67108864)\n"},
		{"limits set", []string{"-config", limits, strikes}, "db:         used (db_max_keys 5, db_max_bytes 67108864)\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runPlugin("", append([]string{"check"}, tc.args...)...)
			if code != 0 || !strings.Contains(stdout, tc.want) {
				t.Errorf("exit %d; stdout lacks %q:\n%s%s", code, tc.want, stdout, stderr)
			}
		})
	}
}

func testCheck(t *testing.T, dir, auth string) {
	junk := writeFile(t, filepath.Join(dir, "junk.wasm"), "not wasm at all")
	empty := writeFile(t, filepath.Join(dir, "empty.wasm"), "\x00asm\x01\x00\x00\x00")
	publish := writeFile(t, filepath.Join(dir, "publish.toml"), "order = 1\n[config]\npublish_auth = true\n")
	typo := writeFile(t, filepath.Join(dir, "typo.toml"), "[config]\npublish_auht = true\n")
	badSetting := writeFile(t, filepath.Join(dir, "bad.toml"), "order = 1\ntimeout = 5\n")
	besideDir := filepath.Join(dir, "beside")
	os.Mkdir(besideDir, 0o755)
	beside := filepath.Join(besideDir, "auth.wasm")
	b, _ := os.ReadFile(auth)
	os.WriteFile(beside, b, 0o644)
	writeFile(t, filepath.Join(besideDir, "auth.toml"), "[config]\nread_auth = true\ndm_kinds = []\n")
	writeFile(t, filepath.Join(dir, "list.txt"), "abc")
	withFiles := writeFile(t, filepath.Join(dir, "files.toml"), "files = [\"list.txt\"]\n")
	missingFile := writeFile(t, filepath.Join(dir, "missing.toml"), "files = [\"list.txt\", \"gone.txt\"]\n")
	tests := []struct {
		name string
		args []string
		code int
		want []string // lines or fragments of stdout
	}{
		{"defaults", []string{auth}, 0, []string{"plugin:     auth\n", "settings:   none (relay defaults)\n", "abi:        1\n",
			"hooks:      req, count, deliver\n", "imports:    relayd_v1: features, get, hook_kinds, ", "ok: the relay would load this plugin\n"}},
		{"config flag after the file", []string{auth, "-config", publish}, 0, []string{"settings:   " + publish + "\n",
			"hooks:      event_pre, req, count, deliver\n", `limitation: {"auth_required":true}` + "\n", "ok:"}},
		{"settings beside the wasm", []string{beside}, 0, []string{"settings:   " + filepath.Join(besideDir, "auth.toml") + "\n",
			"hooks:      req, count\n"}},
		{"config the plugin refuses", []string{"-config", typo, auth}, 1, []string{
			`problem:    plugin init failed: auth: config: json: unknown field "publish_auht"` + "\n",
			"FAIL: the relay would not load this plugin\n"}},
		{"settings the relay refuses", []string{"-config", badSetting, auth}, 1, []string{
			"problem:    " + badSetting + ": unknown settings [timeout]\n", "FAIL:"}},
		{"listed files, beside the wasm", []string{auth, "-config", withFiles}, 0, []string{
			"files:      list.txt (3 bytes, sha256 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad)\n", "ok:"}},
		{"listed file missing", []string{auth, "-config", missingFile}, 1, []string{
			`problem:    file "gone.txt": open ` + filepath.Join(dir, "gone.txt") + ": no such file or directory\n", "FAIL:"}},
		{"not wasm", []string{junk}, 1, []string{"problem:    compile:", "FAIL:"}},
		{"no exports", []string{empty}, 1, []string{"hooks:      none\n", "problem:", "FAIL:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runPlugin("", append([]string{"check"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\n%s%s", code, tc.code, stdout, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stdout, w) {
					t.Errorf("stdout lacks %q:\n%s", w, stdout)
				}
			}
		})
	}
	code, stdout, _ := runPlugin("", "check", "-json", "-config", publish, auth)
	var rep struct {
		Name, SettingsFile string
		ABIVersion         int
		Hooks              []string
		Limitation         map[string]any
		OK                 bool
	}
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil || code != 0 {
		t.Fatalf("-json: exit %d, %v:\n%s", code, err, stdout)
	}
	if rep.Name != "auth" || rep.SettingsFile != publish || rep.ABIVersion != 1 || !rep.OK ||
		strings.Join(rep.Hooks, ",") != "event_pre,req,count,deliver" || rep.Limitation["auth_required"] != true {
		t.Errorf("-json report %+v", rep)
	}
}

func testReplay(t *testing.T, dir, auth, spam string) {
	now := nostr.Now()
	alice, bob := wsc.NewKey(), wsc.NewKey()
	line := func(ev *nostr.Event) string { b, _ := json.Marshal(ev); return string(b) }
	strfry := func(ev *nostr.Event, extra string) string {
		return `{"type":"new","event":` + line(ev) + `,"receivedAt":1700000000,` + extra + `}`
	}
	links := "https://a.example https://b.example https://c.example"
	hello := alice.Sign(t, 1, "hello", now)
	scam := alice.Sign(t, 1, "FREE AIRDROP", now)
	badID := alice.Sign(t, 1, "original", now)
	badID.Content = "tampered"
	badSig := alice.Sign(t, 1, "signed", now)
	badSig.Sig = strings.Repeat("0", 128)
	newLinks := bob.Sign(t, 1, links, now)
	oldLinks := alice.Sign(t, 1, links, now+1)
	var flood []string
	var floodIDs []string
	for range 6 {
		ev := wsc.NewKey().Sign(t, 1, "Win a brand new phone, reply with your address!", now)
		flood = append(flood, line(ev))
		floodIDs = append(floodIDs, ev.ID)
	}
	spamCfg := writeFile(t, filepath.Join(dir, "spam-words.toml"), "[config]\nkeywords = [\"airdrop\"]\n")
	events := writeFile(t, filepath.Join(dir, "events.jsonl"), line(hello)+"\n\n"+line(scam)+"\n")
	publish := writeFile(t, filepath.Join(dir, "publish-only.toml"), "[config]\npublish_auth = true\ndm_kinds = []\n")

	tests := []struct {
		name   string
		args   []string
		input  string
		code   int
		stdout []string // exact lines
		stderr string
	}{
		{"plain and strfry lines", []string{spam, "-config", spamCfg},
			strings.Join([]string{line(hello), line(scam), line(badID), line(badSig),
				strfry(newLinks, `"sourceType":"IP4","sourceInfo":"203.0.113.7"`), line(oldLinks)}, "\n"), 0,
			[]string{hello.ID + " accept", scam.ID + " reject blocked: content matches a blocked word",
				badID.ID + " reject invalid: event id does not match its content", badSig.ID + " reject invalid: bad signature",
				newLinks.ID + " reject blocked: too many links for a new account (max 2)",
				oldLinks.ID + " accept"}, // alice's first note was stored: she is known
			"6 calls: 2 accept, 2 reject, 0 shadowReject, 0 rateLimited, 0 rewrite, 0 drop, 2 invalid, 0 error, 0 failed lines"},
		{"flood across pubkeys", []string{spam}, strings.Join(flood, "\n"), 0,
			append(addSuffix(floodIDs[:5], " accept"), floodIDs[5]+" reject blocked: the same content was posted by too many accounts"), ""},
		{"skip-verify", []string{"-skip-verify", spam}, line(badSig), 0, []string{badSig.ID + " accept"}, ""},
		{"events file", []string{spam, events, "-config", spamCfg}, "", 0,
			[]string{hello.ID + " accept", scam.ID + " reject blocked: content matches a blocked word"}, ""},
		{"bad lines", []string{spam}, "{not json\n" + `{"type":"old","event":{}}` + "\n" + `{"kind":1}` + "\n" + line(hello), 1,
			[]string{hello.ID + " accept"}, "line 1: not JSON"},
		{"unauthenticated", []string{auth, "-config", publish}, line(hello), 0,
			[]string{hello.ID + " reject auth-required: publishing requires authentication"}, ""},
		{"authed as author", []string{auth, "-config", publish, "-authed", "author"}, line(hello), 0,
			[]string{hello.ID + " accept"}, ""},
		{"strfry authed and import", []string{auth, "-config", publish},
			strfry(hello, `"sourceType":"IP6","sourceInfo":"2001:db8::1","authed":"`+bob.PK+`"`) + "\n" +
				strfry(scam, `"sourceType":"Import","sourceInfo":""`) + "\n" +
				strfry(newLinks, `"sourceType":"IP4","sourceInfo":"203.0.113.9"`), 0,
			[]string{hello.ID + " accept", scam.ID + " accept",
				newLinks.ID + " reject auth-required: publishing requires authentication"}, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := runPlugin(tc.input, append([]string{"test"}, tc.args...)...)
			if code != tc.code {
				t.Errorf("exit %d, want %d; stderr:\n%s", code, tc.code, stderr)
			}
			if got, want := strings.TrimSuffix(stdout, "\n"), strings.Join(tc.stdout, "\n"); got != want {
				t.Errorf("stdout:\n%s\nwant:\n%s", got, want)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q lacks %q", stderr, tc.stderr)
			}
		})
	}
}

func addSuffix(ss []string, suffix string) []string {
	out := make([]string, len(ss))
	for i, s := range ss {
		out[i] = s + suffix
	}
	return out
}
