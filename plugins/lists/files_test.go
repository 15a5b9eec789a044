package main

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/wsclient"
	"github.com/relayd/relayd/sdk/abi"
	"github.com/relayd/relayd/sdk/sdktest"
)

// readmeFiles returns the list files of README.md's examples: the
// ```text NAME blocks, by name.
func readmeFiles(t testing.TB) map[string]string {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, m := range regexp.MustCompile("(?s)```text (\\S+)\n(.*?)```").FindAllStringSubmatch(string(b), -1) {
		out[m[1]] = m[2]
	}
	if len(out) == 0 {
		t.Fatal("README.md has no list files")
	}
	return out
}

// listFiles are list files in every format the plugin reads: comments,
// blank lines, trailing comments, CRLF line ends, npubs.
var listFiles = map[string]string{
	"deny-pk.txt":  "# spam bots\n\n" + npubA + "  # 2025-03-01\r\n",
	"allow-pk.txt": hexA + "\n" + strings.ToUpper(hexB) + "\n" + member1,
	"deny-ip.txt":  "192.0.2.0/24\n  2001:db8:bad::/48\n",
	"allow-ip.txt": "10.0.0.0/8 # office\n",
	"deny-kind.txt": "4\n" +
		"20000-29999\n",
	"allow-kind.txt": "0\n1\n30000-39999\n",
}

// TestListsFiles checks that the entries of list files are merged with the
// inline ones.
func TestListsFiles(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		checks   []check
	}{
		{"deny files", `
[config]
pubkey_deny = ["` + hexB + `"]
pubkey_deny_file = "deny-pk.txt"
ip_deny = ["198.51.100.1"]
ip_deny_file = "deny-ip.txt"
kind_deny = [7]
kind_deny_file = "deny-kind.txt"`, []check{
			{"author in the file", pre(alice, 1, hexA), pkBlocked},
			{"author inline", pre(alice, 1, hexB), pkBlocked},
			{"auth as an author in the file", auth(alice, hexA), pkBlocked},
			{"other author", pre(alice, 1, pkA), ok},
			{"network in the file", conn(bad4), ipBlocked},
			{"v6 network in the file", req(bad6), ipBlocked},
			{"address inline", conn(sdktest.Session{ID: 8, IP: "198.51.100.1"}), ipBlocked},
			{"kind in the file", pre(alice, 4, pkA), kindRefused(4)},
			{"kind range in the file", pre(alice, 25000, pkA), kindRefused(25000)},
			{"kind inline", pre(alice, 7, pkA), kindRefused(7)},
			{"kind", pre(alice, 1, pkA), ok},
		}},
		{"allow files", `
[config]
pubkey_allow_file = "allow-pk.txt"
ip_allow = ["fd00::/8"]
ip_allow_file = "allow-ip.txt"
kind_allow = [3]
kind_allow_file = "allow-kind.txt"`, []check{
			{"member in the file", post(lan, 1, hexA), ok},
			{"upper-case hex in the file", post(lan, 1, hexB), ok},
			{"last line without a newline", post(lan, 1, member1), ok},
			{"stranger", post(lan, 1, member2), pkNotListed},
			{"network in the file", conn(lan), ok},
			{"network inline", conn(lan6), ok},
			{"outside", conn(alice), ipNotListed},
			{"kind inline", pre(lan, 3, hexA), ok},
			{"kind range in the file", pre(lan, 30023, hexA), ok},
			{"kind not allowed", pre(lan, 7, hexA), kindRefused(7)},
		}},
		{"files setting is not enough", "files = [\"deny-pk.txt\"]\n", []check{
			{"listed file unused", pre(alice, 1, hexA), ok},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) { runChecks(t, tc.settings, listFiles, tc.checks) })
	}
}

// TestListsFilesHooks: a list that is only in a file registers the hooks
// and the NIP-11 keys the same list would inline.
func TestListsFilesHooks(t *testing.T) {
	const ev = 1 << abi.HookEventPre
	tests := []struct {
		name       string
		settings   string
		hooks      abi.HookMask
		restricted bool
	}{
		{"pubkey_deny_file", "[config]\npubkey_deny_file = \"deny-pk.txt\"", ev | 1<<abi.HookAuth, false},
		{"pubkey_allow_file", "[config]\npubkey_allow_file = \"allow-pk.txt\"", 1 << abi.HookEvent, true},
		{"ip_allow_file", "[config]\nip_allow_file = \"allow-ip.txt\"", ev | 1<<abi.HookConnect | 1<<abi.HookReq | 1<<abi.HookCount, true},
		{"kind_deny_file", "[config]\nkind_deny_file = \"deny-kind.txt\"", ev, false},
		{"empty file", "[config]\nkind_deny_file = \"empty.txt\"", 0, false},
	}
	files := map[string]string{"empty.txt": "# nothing yet\n\n"}
	for name, body := range listFiles {
		files[name] = body
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := plugintest.Native(t, tc.settings, sdktest.Options{Files: files, NoDB: true})
			if got := h.Hooks(); got != tc.hooks {
				t.Errorf("hooks: got %b, want %b", got, tc.hooks)
			}
			lim, err := h.Limitation()
			if err != nil {
				t.Fatal(err)
			}
			if got := lim["restricted_writes"] == true; got != tc.restricted {
				t.Errorf("limitation: got %v, want restricted_writes %v", lim, tc.restricted)
			}
		})
	}
}

func TestListsBadFiles(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		files    map[string]string
		want     string
	}{
		{"file not listed", "[config]\npubkey_deny_file = \"deny.txt\"", nil,
			`pubkey_deny_file: "deny.txt" is not in the host setting "files": add files = ["deny.txt"] to lists.toml`},
		{"bad pubkey", "[config]\npubkey_deny_file = \"deny.txt\"", map[string]string{"deny.txt": "# ok\n" + hexA + "\n\nabc # typo\n"},
			`deny.txt:4: pubkey "abc": want 64 hex characters or an npub`},
		{"nsec", "[config]\npubkey_allow_file = \"allow.txt\"",
			map[string]string{"allow.txt": "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5"},
			`allow.txt:1: pubkey "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5": want 64 hex characters or an npub`},
		{"two pubkeys on a line", "[config]\npubkey_deny_file = \"deny.txt\"", map[string]string{"deny.txt": hexA + " " + hexB},
			`deny.txt:1: pubkey "` + hexA + " " + hexB + `": want 64 hex characters or an npub`},
		{"bad prefix", "[config]\nip_allow_file = \"ips.txt\"", map[string]string{"ips.txt": "10.0.0.0/8\r\n10.0.0.0/40\r\n"},
			`ips.txt:2: "10.0.0.0/40": want an IP address or a CIDR prefix`},
		{"quoted address", "[config]\nip_deny_file = \"ips.txt\"", map[string]string{"ips.txt": `"192.0.2.1"`},
			`ips.txt:1: "\"192.0.2.1\"": want an IP address or a CIDR prefix`},
		{"bad kind", "[config]\nkind_deny_file = \"kinds.txt\"", map[string]string{"kinds.txt": "4\nfour\n"},
			`kinds.txt:2: kind "four": want a kind (7) or a range (30000-39999)`},
		{"reversed range", "[config]\nkind_allow_file = \"kinds.txt\"", map[string]string{"kinds.txt": "9-1"},
			`kinds.txt:1: kind "9-1": want a kind (7) or a range (30000-39999)`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := sdktest.New(sdktest.Options{Name: pluginName, Config: plugintest.ConfigJSON(t, tc.settings), Files: tc.files})
			if err := h.Init(); err == nil || err.Error() != tc.want {
				t.Errorf("got error %v, want %q", err, tc.want)
			}
		})
	}
}

// TestListsFilesHost loads list files through the real host: the relay
// refuses a list file that is not in "files", or that is missing, and
// names it.
func TestListsFilesHost(t *testing.T) {
	tests := []struct {
		name     string
		settings string
		want     []string // substrings of the load error
	}{
		{"loads", "files = [\"deny-pk.txt\"]\n[config]\npubkey_deny_file = \"deny-pk.txt\"", nil},
		{"not in files", "[config]\npubkey_deny_file = \"deny-pk.txt\"",
			[]string{"plugin[lists1]", `pubkey_deny_file: "deny-pk.txt" is not in the host setting "files"`}},
		{"missing", "files = [\"gone.txt\"]\n[config]\nip_deny_file = \"gone.txt\"",
			[]string{"plugin[lists1]", `file "gone.txt"`, "no such file"}},
		{"bad line", "files = [\"bad.txt\"]\n[config]\nkind_deny_file = \"bad.txt\"",
			[]string{"plugin[lists1]", `bad.txt:2: kind "x"`}},
	}
	files := map[string]string{"deny-pk.txt": listFiles["deny-pk.txt"], "bad.txt": "4\nx\n"}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := plugintest.Manager(t, pluginName, plugintest.Options{Files: files}, tc.settings)
			if tc.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				v := m.Holder().Load().EventPre(context.Background(), eventFrom(hexA))
				if v.Reason() != "blocked: this pubkey is blocked" {
					t.Errorf("event from a pubkey in the file: got %q", v.Reason())
				}
				return
			}
			if err == nil {
				t.Fatal("got nil error")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
		})
	}
}

// eventFrom is a kind 1 import from pk, for calls straight into a chain.
func eventFrom(pk string) *policy.EventInput {
	ev := &nostr.Event{ID: strings.Repeat("e", 64), PubKey: pk, CreatedAt: 1700000000, Kind: 1, Tags: nostr.Tags{},
		Sig: strings.Repeat("f", 128)}
	raw, _ := ev.MarshalJSON()
	return &policy.EventInput{Event: ev, Raw: raw, Source: policy.SourceImport}
}

// TestListsFilesE2E edits a list file under a running relayd while a
// connection stays open: a pubkey added to the file, by rename and by an
// in-place append, is refused on that connection; a bad line is refused
// with the file and line in the log, and the previous list stays in force
// until the file is fixed.
func TestListsFilesE2E(t *testing.T) {
	k1, k2, k3, k4 := wsclient.NewKey(), wsclient.NewKey(), wsclient.NewKey(), wsclient.NewKey()
	dir := t.TempDir()
	deny := filepath.Join(dir, "deny.txt")
	if err := os.WriteFile(deny, []byte("# banned\n"+k1.PK+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	relaydtest.CopyPlugin(t, dir, pluginName, plugintest.Build(t), "files = [\"deny.txt\"]\n[config]\npubkey_deny_file = \"deny.txt\"\n")
	cfg := relaydtest.Default(dir)
	cfg.DataDir = "" // a temporary one
	r := relaydtest.Start(t, cfg)
	if logs := r.Logs(); !strings.Contains(logs, "files=[deny.txt]") || strings.Contains(logs, "failed to load") {
		t.Fatalf("plugin did not load with its file:\n%s", logs)
	}
	c := wsclient.Dial(t, r.URL)
	const blocked = "blocked: this pubkey is blocked"
	n := 0
	publish := func(k wsclient.Key) wsclient.OK {
		t.Helper()
		n++
		return c.Publish(k.Sign(t, 1, "note "+strconv.Itoa(n), nostr.Now()))
	}
	expect := func(what string, k wsclient.Key, refused bool) {
		t.Helper()
		if got := publish(k); got.Accepted == refused || refused && got.Reason != blocked {
			t.Errorf("%s: got %v, want refused %v", what, got, refused)
		}
	}
	// waitRefused publishes as k until the relay refuses it.
	waitRefused := func(what string, k wsclient.Key) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for {
			got := publish(k)
			if !got.Accepted && got.Reason == blocked {
				return
			}
			if !got.Accepted || time.Now().After(deadline) {
				t.Fatalf("%s: got %v, want %q in time\n%s", what, got, blocked, r.Logs())
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	expect("pubkey in the file at start", k1, true)
	expect("pubkey not in the file", k2, false)

	writeFile(t, deny, "# banned\n"+k1.PK+"\n"+k2.PK+"\n") // temp + rename
	waitRefused("pubkey added by rename", k2)

	appendTo(t, deny, k3.PK+"\n")
	waitRefused("pubkey appended in place", k3)
	expect("first pubkey still refused", k1, true)

	appendTo(t, deny, k4.PK+"\nnot-a-pubkey\n") // lines 5 and 6
	r.WaitLog(t, `deny.txt:6: pubkey \"not-a-pubkey\"`, 10*time.Second)
	if !strings.Contains(r.Logs(), `msg="wasm plugin failed to load" plugin=lists`) {
		t.Errorf("the refused load is not logged for plugin lists:\n%s", r.Logs())
	}
	expect("after the bad edit, the previous list", k3, true)
	expect("after the bad edit, the pubkey beside the bad line", k4, false)

	writeFile(t, deny, "# banned\n"+k1.PK+"\n"+k2.PK+"\n"+k3.PK+"\n"+k4.PK+"\n")
	waitRefused("pubkey of the fixed file", k4)
	expect("earlier pubkey after the fix", k2, true)
}

// appendTo appends s to the file at path in place, as `echo >>` does.
func appendTo(t *testing.T, path, s string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteString(s); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
}
