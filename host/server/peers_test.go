package server_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/server"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// TestPeersWaitForPlugins: [[sync]] peers start only once the plugins are
// loaded, so that no event from a peer passes before the policy chain is
// in place. With a plugin whose _initialize never returns, the relay
// serves (and refuses with "error: starting"), lists the peer on /metrics,
// and shuts down without ever connecting to it.
func TestPeersWaitForPlugins(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var dials atomic.Int64
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			dials.Add(1)
			c.Close()
		}
	}()
	plugins := t.TempDir()
	relaydtest.CopyPlugin(t, plugins, "slowinit", guest("initloop"), "timeout_ms = 5000\npool = 1\n")
	cfg := config.Default()
	cfg.Listen, cfg.DataDir, cfg.PluginDir = "127.0.0.1:0", t.TempDir(), plugins
	cfg.ShutdownTimeout = config.Duration{Duration: time.Second}
	cfg.Sync = []config.SyncPeer{{URL: "ws://" + ln.Addr().String(), Live: true}}
	if err := cfg.Validate(); err != nil {
		t.Fatal(err)
	}
	var logs syncLog
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	listening := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- server.Run(ctx, cfg, slog.New(slog.NewTextHandler(&logs, nil)), server.Hooks{Listening: listening, Version: "test"})
	}()
	addr := waitFor(t, listening, "listening")
	c := wsc.Dial(t, "ws://"+addr)
	if ok := c.Publish(wsc.NewKey().Sign(t, 1, "too early", nostr.Now())); ok.Reason != "error: starting" {
		t.Fatalf("EVENT: got %v, want error: starting", ok)
	}
	req, _ := http.NewRequest(http.MethodGet, "http://"+addr+"/metrics", nil)
	if body := get(t, req); !strings.Contains(body, `relayd_sync_syncs_total{peer="0",url="ws://`+ln.Addr().String()+`"} 0`) {
		t.Fatalf("/metrics does not list the peer:\n%s", body)
	}
	cancel()
	if err := waitFor(t, done, "shutdown"); err != nil {
		t.Fatal(err)
	}
	if n := dials.Load(); n != 0 || strings.Contains(logs.String(), "sync peer started") {
		t.Fatalf("%d connections to the peer before the plugins loaded; logs:\n%s", n, logs.String())
	}
}

type syncLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
