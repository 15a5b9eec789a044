package plugintest

import (
	"bufio"
	"encoding/json"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/wsclient"
)

// Start runs a relayd whose plugin directory holds name.wasm (a copy of
// wasmPath) and name.toml (settings), with a temporary data directory,
// and fails the test unless the plugin loaded. The relay stops when the
// test ends.
func Start(t testing.TB, name, wasmPath, settings string) *relaydtest.Relay {
	t.Helper()
	return StartConfig(t, name, Config(t, name, wasmPath, settings))
}

// Config returns the config Start runs with: a plugin directory holding
// name.wasm (a copy of wasmPath) and name.toml (settings), and a temporary
// data directory whose compiled code is shared by the test binary. Start
// it with StartConfig, again after a Stop to restart on the same data.
func Config(t testing.TB, name, wasmPath, settings string) config.Config {
	t.Helper()
	dir := t.TempDir()
	relaydtest.CopyPlugin(t, dir, name, wasmPath, settings)
	cfg := relaydtest.Default(dir)
	cfg.DataDir = t.TempDir() // else config.Default's ./data, in the source tree
	if err := os.Symlink(sharedCache(t), filepath.Join(cfg.DataDir, "wasm-cache")); err != nil {
		t.Fatal(err)
	}
	return cfg
}

// StartConfig runs a relayd with cfg (from Config) and fails the test
// unless plugin name loaded.
func StartConfig(t testing.TB, name string, cfg config.Config) *relaydtest.Relay {
	t.Helper()
	r := relaydtest.Start(t, cfg)
	// The manager loads the directory before the relay listens.
	logs := r.Logs()
	if want := `msg="wasm plugin loaded" plugin=` + name + " "; !strings.Contains(logs, want) || strings.Contains(logs, "failed to load") {
		t.Fatalf("plugin %s did not load:\n%s", name, logs)
	}
	return r
}

// UpgradeStatus sends a websocket upgrade request to the relay at wsURL
// and returns the HTTP status and the start of the body of the answer
// (none for 101 Switching Protocols).
func UpgradeStatus(t testing.TB, wsURL string) (int, string) {
	t.Helper()
	addr := strings.TrimPrefix(wsURL, "ws://")
	nc, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
	if _, err := nc.Write([]byte(req)); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return resp.StatusCode, ""
	}
	buf := make([]byte, 512)
	n, _ := resp.Body.Read(buf)
	return resp.StatusCode, string(buf[:n])
}

// Info is the part of a NIP-11 relay information document that plugins
// change.
type Info struct {
	// SupportedNIPs is supported_nips.
	SupportedNIPs []int `json:"supported_nips"`
	// Limitation is the limitation object.
	Limitation map[string]any `json:"limitation"`
}

// NIP11 fetches the NIP-11 document of the relay at wsURL.
func NIP11(t testing.TB, wsURL string) Info {
	t.Helper()
	req, _ := http.NewRequest("GET", "http"+strings.TrimPrefix(wsURL, "ws"), nil)
	req.Header.Set("Accept", "application/nostr+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var info Info
	if err := json.NewDecoder(resp.Body).Decode(&info); err != nil {
		t.Fatal(err)
	}
	return info
}

// WantOK fails the test unless got is an OK with accepted and reason.
func WantOK(t testing.TB, got wsclient.OK, accepted bool, reason string) {
	t.Helper()
	if got.Accepted != accepted || got.Reason != reason {
		t.Errorf("got %v, want accepted=%v reason=%q", got, accepted, reason)
	}
}

// WantClosed reads the next message from c and fails the test unless it
// is a CLOSED for sub with reason.
func WantClosed(t testing.TB, c *wsclient.Client, sub, reason string) {
	t.Helper()
	msg := c.Expect("CLOSED")
	if wsclient.Str(msg, 1) != sub || wsclient.Str(msg, 2) != reason {
		t.Errorf("got CLOSED %q %q, want %q %q", wsclient.Str(msg, 1), wsclient.Str(msg, 2), sub, reason)
	}
}

// Publish is one event CheckPublishes sends: its kind and content, and the
// OK reason the relay must answer ("" means accepted).
type Publish struct {
	Name, Content string
	Kind          int
	Reason        string
}

// CheckPublishes signs each event with one new key and publishes it to the
// relay at wsURL, in order, each as a subtest: the OK must be the exact
// reason; the accepted events, and only they, must reach a live
// subscriber in order and be stored. End the list with an accepted event,
// so that a refused one delivered before it would show.
func CheckPublishes(t *testing.T, wsURL string, events []Publish) {
	t.Helper()
	sub, pub := wsclient.Dial(t, wsURL), wsclient.Dial(t, wsURL)
	k := wsclient.NewKey()
	sub.Req("live", nostr.Filter{Authors: []string{k.PK}})
	var want []string
	for _, p := range events {
		t.Run(p.Name, func(t *testing.T) {
			ev := k.Sign(t, p.Kind, p.Content, nostr.Now())
			if ok := pub.Publish(ev); ok.Accepted != (p.Reason == "") || ok.Reason != p.Reason {
				t.Errorf("got %v, want reason %q", ok, p.Reason)
			}
			if p.Reason == "" {
				want = append(want, ev.ID)
			}
		})
	}
	for _, id := range want {
		if got := wsclient.Event(t, sub.Expect("EVENT")); got.ID != id {
			t.Errorf("live event %s, want %s", got.ID, id)
		}
	}
	if stored := pub.Req("stored", nostr.Filter{Authors: []string{k.PK}}); len(stored) != len(want) {
		t.Errorf("stored %d events, want %d", len(stored), len(want))
	}
}

// CheckLoadRefused loads the plugin name from wasmPath with settings into
// a new relayd and waits for the log line saying its init refused the load
// with reason (as the relay logs it, quotes escaped).
func CheckLoadRefused(t *testing.T, name, wasmPath, settings, reason string) {
	t.Helper()
	dir := t.TempDir()
	relaydtest.CopyPlugin(t, dir, name, wasmPath, settings)
	cfg := relaydtest.Default(dir)
	cfg.DataDir = t.TempDir()
	r := relaydtest.Start(t, cfg)
	r.WaitLog(t, `msg="wasm plugin failed to load" plugin=`+name+` file=`+
		filepath.Join(dir, name+".wasm")+` err="plugin init failed: `+reason+`" running=none`, 10*time.Second)
}
