package main

import (
	"encoding/json"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/scrape"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// raiseFDLimit raises the soft open-files limit to at least n (the child
// relayd inherits it); it fails if the hard limit is lower.
func raiseFDLimit(t *testing.T, n uint64) {
	t.Helper()
	var lim syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	if lim.Cur >= n {
		return
	}
	if lim.Max < n {
		t.Fatalf("open files hard limit %d is below the %d this test needs", lim.Max, n)
	}
	old := lim
	lim.Cur = n
	if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &lim); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { syscall.Setrlimit(syscall.RLIMIT_NOFILE, &old) })
}

// waitLogLine waits until p's log has a line containing every one of
// parts (the line is the signal; 30 s is a guard against a hang).
func waitLogLine(t *testing.T, p *proc, parts ...string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		for _, line := range strings.Split(p.logs.String(), "\n") {
			all := true
			for _, s := range parts {
				all = all && strings.Contains(line, s)
			}
			if all {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no log line with %q:\n%s", parts, p.logs.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestRelaydSIGHUPConfig500Clients (issue 9, item 3): a SIGHUP that
// changes name and max_content_bytes while 500 clients are connected and
// subscribed drops none: each receives the next live event, NIP-11 shows
// the new name, and an EVENT over the new limit gets the new refusal.
//
// relayd.toml is a symlink to a file in another directory, whose changes
// the file watcher (on the symlink's directory) does not see: the change
// is applied by the SIGHUP alone.
func TestRelaydSIGHUPConfig500Clients(t *testing.T) {
	const n = 500
	raiseFDLimit(t, 4*n)
	real := filepath.Join(t.TempDir(), "real.toml")
	if err := os.WriteFile(real, []byte("name = \"before\"\nmax_content_bytes = 1000\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := filepath.Join(t.TempDir(), "relayd.toml")
	if err := os.Symlink(real, cfg); err != nil {
		t.Fatal(err)
	}
	p := startRelayd(t, "-data", t.TempDir(), "-config", cfg)

	clients := make([]*wsc.Client, n)
	for i := range clients {
		clients[i] = wsc.Dial(t, p.url)
		clients[i].Send("REQ", "live", nostr.Filter{Kinds: []int{1}})
	}
	for _, c := range clients {
		c.Expect("EOSE")
	}
	pub := wsc.Dial(t, p.url)
	k := wsc.NewKey()
	long := strings.Repeat("x", 500)
	publishToAll(t, pub, clients, k.Sign(t, 1, long, nostr.Now()))

	if err := os.WriteFile(real, []byte("name = \"after\"\nmax_content_bytes = 100\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	p.cmd.Process.Signal(syscall.SIGHUP)
	waitLogLine(t, p, `msg="config reloaded"`, "trigger=SIGHUP", `changed="[name max_content_bytes]"`)

	if name := nip11Name(t, p.url); name != "after" {
		t.Fatalf("NIP-11 name %q after SIGHUP, want after", name)
	}
	if ok := pub.Publish(k.Sign(t, 1, long, nostr.Now())); ok.Accepted || ok.Reason != "invalid: content is longer than 100 bytes" {
		t.Fatalf("EVENT over the new limit: got %v, want the new refusal", ok)
	}
	publishToAll(t, pub, clients, k.Sign(t, 1, "short", nostr.Now()))
	page := scrape.Get(t, "http"+strings.TrimPrefix(p.url, "ws")+"/metrics")
	if v, _ := page.Value("relayd_connections"); v != n+1 {
		t.Fatalf("relayd_connections = %v, want %d", v, n+1)
	}
	if strings.Contains(p.logs.String(), "closing connection") {
		t.Fatalf("a connection was closed:\n%s", p.logs.String())
	}
}

// publishToAll publishes ev and checks that every client receives it live.
func publishToAll(t *testing.T, pub *wsc.Client, clients []*wsc.Client, ev *nostr.Event) {
	t.Helper()
	if ok := pub.Publish(ev); !ok.Accepted {
		t.Fatalf("publish: %v", ok)
	}
	for i, c := range clients {
		if got := wsc.Event(t, c.Expect("EVENT")); got.ID != ev.ID {
			t.Fatalf("client %d got %s, want %s", i, got.ID, ev.ID)
		}
	}
}

// nip11Name fetches the relay's NIP-11 name.
func nip11Name(t *testing.T, wsURL string) string {
	t.Helper()
	req, _ := http.NewRequest("GET", "http"+strings.TrimPrefix(wsURL, "ws"), nil)
	req.Header.Set("Accept", "application/nostr+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info struct{ Name string }
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	return info.Name
}
