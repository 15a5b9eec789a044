package server_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/server"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// guest returns the path of a WAT test guest built by
// host/wasmhost/testdata/gen.sh.
func guest(name string) string {
	return filepath.Join("..", "wasmhost", "testdata", "wat", name+".wasm")
}

// waitFor fails the test unless ch yields within a generous bound (a guard
// against a hang, not a timing assertion).
func waitFor[T any](t *testing.T, ch <-chan T, what string) T {
	t.Helper()
	select {
	case v := <-ch:
		return v
	case <-time.After(60 * time.Second):
		t.Fatalf("%s: not within 60 s", what)
	}
	var zero T
	return zero
}

// TestRunListensBeforePluginsLoad (issue 7, item 10d): with a plugin whose
// _initialize spins (for longer than the test), relayd listens
// anyway, answers NIP-11 and /metrics, refuses EVENT, AUTH, REQ and COUNT
// with "error: starting", and shuts down promptly when ctx ends. Before
// the fix the listener opened only after every plugin loaded, and ctx was
// not looked at meanwhile.
func TestRunListensBeforePluginsLoad(t *testing.T) {
	plugins := t.TempDir()
	// The load is held by _initialize spinning until the init timeout,
	// max(1 s, 20 × timeout_ms) = 100 s: far longer than the test.
	relaydtest.CopyPlugin(t, plugins, "slowinit", guest("initloop"), "timeout_ms = 5000\npool = 1\n")
	cfg := config.Default()
	cfg.Listen = "127.0.0.1:0"
	cfg.DataDir = t.TempDir()
	cfg.PluginDir = plugins
	cfg.ShutdownTimeout = config.Duration{Duration: time.Second}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	log := slog.New(slog.DiscardHandler)
	if os.Getenv("RELAYD_TEST_LOG") != "" {
		log = slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	listening, ready := make(chan string, 1), make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, cfg, log, server.Hooks{Listening: listening, Ready: ready, Version: "test"})
	}()
	var addr string
	select {
	case addr = <-listening:
	case err := <-done:
		t.Fatalf("relayd stopped: %v", err)
	case <-time.After(60 * time.Second):
		t.Fatal("relayd did not listen while its plugin was loading")
	}
	url := "ws://" + addr

	c := wsc.Dial(t, url)
	k := wsc.NewKey()
	if ok := c.Publish(k.Sign(t, 1, "too early", nostr.Now())); ok.Accepted || ok.Reason != "error: starting" {
		t.Fatalf("EVENT: got %v, want OK false error: starting", ok)
	}
	if ok := c.Auth(k.SK, url); ok.Accepted || ok.Reason != "error: starting" {
		t.Fatalf("AUTH: got %v, want OK false error: starting", ok)
	}
	for _, label := range []string{"REQ", "COUNT"} {
		c.Send(label, "s", nostr.Filter{})
		if m := c.Expect("CLOSED"); wsc.Str(m, 1) != "s" || wsc.Str(m, 2) != "error: starting" {
			t.Fatalf("%s: got %s, want CLOSED s error: starting", label, m)
		}
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/", nil)
	req.Header.Set("Accept", "application/nostr+json")
	if body := get(t, req); !strings.Contains(body, `"supported_nips"`) {
		t.Fatalf("NIP-11 while starting: %s", body)
	}
	req, _ = http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
	if body := get(t, req); !strings.Contains(body, "relayd_starting 1") {
		t.Fatalf("/metrics while starting lacks relayd_starting 1:\n%s", body)
	}
	select {
	case <-ready:
		t.Fatal("ready while the plugin was still in _initialize")
	default:
	}

	cancel()
	if err := waitFor(t, done, "shutdown while a plugin loads"); err != nil {
		t.Fatalf("Run: %v", err)
	}
}

func get(t *testing.T, req *http.Request) string {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("%s: %s %s", req.URL, resp.Status, b)
	}
	return string(b)
}

// TestSlowWasmDeliverHookSlowsOnlyItsSession (issue 7, item 2) with a real
// plugin: its deliver hook spins for the subscription "slow" until a kind
// 7777 event releases it. Meanwhile the publisher gets its OKs, another
// subscriber gets the events and a new REQ gets EOSE; then the slow
// session gets everything, in order.
func TestSlowWasmDeliverHookSlowsOnlyItsSession(t *testing.T) {
	plugins := t.TempDir()
	relaydtest.CopyPlugin(t, plugins, "slowdeliver", guest("slowdeliver"), "timeout_ms = 60000\npool = 4\n")
	r := relaydtest.Start(t, relaydtest.Default(plugins))
	slow, fast, pub := wsc.Dial(t, r.URL), wsc.Dial(t, r.URL), wsc.Dial(t, r.URL)
	release := func() { pub.Publish(wsc.NewKey().Sign(t, 7777, "go", nostr.Now())) }
	t.Cleanup(release) // lets a failing test's relay shut down
	slow.Req("slow", nostr.Filter{Kinds: []int{1}})
	fast.Req("fast", nostr.Filter{Kinds: []int{1}})
	k := wsc.NewKey()
	var evs []*nostr.Event
	for i := range 3 {
		ev := k.Sign(t, 1, fmt.Sprint("live ", i), nostr.Now())
		evs = append(evs, ev)
		if ok := pub.Publish(ev); !ok.Accepted {
			t.Fatalf("publish %d: %v", i, ok)
		}
		if got := wsc.Event(t, fast.Expect("EVENT")); got.ID != ev.ID {
			t.Fatalf("fast subscriber got %q, want %q", got.Content, ev.Content)
		}
	}
	if got := wsc.Dial(t, r.URL).Req("new", nostr.Filter{Authors: []string{k.PK}}); len(got) != len(evs) {
		t.Fatalf("new REQ got %d events, want %d", len(got), len(evs))
	}
	release()
	for i, want := range evs {
		if got := wsc.Event(t, slow.Expect("EVENT")); got.ID != want.ID {
			t.Fatalf("slow delivery %d: got %q, want %q", i, got.Content, want.Content)
		}
	}
}
