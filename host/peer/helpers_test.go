package peer_test

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/relay"
	"github.com/relayd/relayd/host/store/badgerstore"
)

// local is a real relay on badger, served on 127.0.0.1.
type local struct {
	url string
	r   *relay.Relay
	st  *badgerstore.Store
}

func startLocal(t *testing.T) *local {
	t.Helper()
	st, err := badgerstore.Open(t.TempDir(), badgerstore.Options{DiskReserve: -1})
	if err != nil {
		t.Fatal(err)
	}
	r, err := relay.New(relay.Options{}, st, &policy.Holder{})
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go r.Serve(ln)
	t.Cleanup(func() {
		ln.Close()
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		r.Shutdown(ctx)
		st.Close()
	})
	return &local{url: "ws://" + ln.Addr().String(), r: r, st: st}
}

// hostile is a websocket server that answers as handle says.
type hostile struct {
	url   string
	mu    sync.Mutex
	conns []net.Conn
	wg    sync.WaitGroup
}

// hconn is one connection to a hostile server.
type hconn struct{ net.Conn }

// read returns the client's next text message.
func (c hconn) read() ([]byte, error) { return wsutil.ReadClientText(c) }

// write sends one text message.
func (c hconn) write(s string) error { return wsutil.WriteServerText(c, []byte(s)) }

// msg splits a client message into its label and elements.
func msg(b []byte) (string, []json.RawMessage) {
	var arr []json.RawMessage
	var label string
	if json.Unmarshal(b, &arr) != nil || len(arr) == 0 || json.Unmarshal(arr[0], &label) != nil {
		return "", nil
	}
	return label, arr
}

func str(arr []json.RawMessage, i int) string {
	var s string
	if i < len(arr) {
		json.Unmarshal(arr[i], &s)
	}
	return s
}

// startHostile serves websocket upgrades with handle, one goroutine per
// connection; anything else (NIP-11) gets the connection closed.
func startHostile(t *testing.T, handle func(c hconn)) *hostile {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	h := &hostile{url: "ws://" + ln.Addr().String()}
	go func() {
		for {
			nc, err := ln.Accept()
			if err != nil {
				return
			}
			h.mu.Lock()
			h.conns = append(h.conns, nc)
			h.mu.Unlock()
			h.wg.Add(1)
			go func() {
				defer h.wg.Done()
				defer nc.Close()
				if _, err := ws.Upgrade(nc); err != nil {
					return
				}
				handle(hconn{nc})
			}()
		}
	}()
	t.Cleanup(func() {
		ln.Close()
		h.mu.Lock()
		for _, c := range h.conns {
			c.Close()
		}
		h.mu.Unlock()
		h.wg.Wait()
	})
	return h
}

// logBuffer collects log lines.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

func (l *logBuffer) logger() *slog.Logger {
	return slog.New(slog.NewTextHandler(l, &slog.HandlerOptions{Level: slog.LevelInfo}))
}
