package peer_test

import (
	"encoding/binary"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/peer"
	"github.com/relayd/relayd/host/reconcile"
	"github.com/relayd/relayd/host/relay"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// testOptions are short bounds, so that a hostile peer is detected and
// retried many times in a test.
func testOptions(logs *logBuffer) peer.Options {
	return peer.Options{
		Logger:      logs.logger(),
		Conn:        reconcile.Options{ReadTimeout: 300 * time.Millisecond, MaxMessageBytes: 1 << 20},
		Rate:        2000,
		SyncTimeout: 5 * time.Second,
		LiveIdle:    300 * time.Millisecond,
		BackoffMin:  5 * time.Millisecond, BackoffMax: 50 * time.Millisecond,
		LogEvery: time.Hour, // one error line per peer in a test
	}
}

// fakeSet is a negentropy set of n made-up events.
func fakeSet(n int) *reconcile.Set {
	set := reconcile.NewSet(n)
	for i := range n {
		var id [32]byte
		binary.BigEndian.PutUint64(id[:], uint64(i+1))
		set.AddBytes(nostr.Timestamp(1000+i), id)
	}
	set.Seal()
	return set
}

// badEvent is a signed event whose content was changed afterwards: its id
// no longer matches.
func badEvent(t *testing.T, k wsc.Key, i int) string {
	ev := k.Sign(t, 1, "note", nostr.Now())
	ev.Content = strings.Repeat("x", i%50)
	b, _ := ev.MarshalJSON()
	return string(b)
}

// TestHostilePeer: a sync peer (dir both, live) that sends garbage, huge
// frames, invalid events without end, results without EOSE, or nothing at
// all is survived: the local relay serves a client throughout, the peer's
// counters rise, one error line is logged however many errors there were,
// memory stays bounded, and the peer stops promptly on Close.
func TestHostilePeer(t *testing.T) {
	k := wsc.NewKey()
	tests := []struct {
		name   string
		handle func(c hconn)
		done   func(s *peer.Stats) bool
		cause  []string // the last error names one of these
	}{
		{"garbage", func(c hconn) {
			for {
				if _, err := c.read(); err != nil {
					return
				}
				for i := 0; i < 1100; i++ {
					if c.write("\x00not json{[") != nil || ws.WriteFrame(c, ws.NewBinaryFrame([]byte{0xff, 0xfe, byte(i)})) != nil {
						return
					}
				}
			}
		}, func(s *peer.Stats) bool { return s.Errors.Load() >= 4 },
			[]string{"malformed message", "too many messages that are not the session's"}},
		{"huge frame", func(c hconn) {
			if _, err := c.read(); err != nil {
				return
			}
			// Claims 8 GiB, then sends nothing more.
			ws.WriteHeader(c, ws.Header{Fin: true, OpCode: ws.OpText, Length: 8 << 30})
			c.read()
		}, func(s *peer.Stats) bool { return s.Errors.Load() >= 4 }, []string{"relay message too large: over 1048576 bytes"}},
		{"invalid events without end", func(c hconn) {
			for {
				b, err := c.read()
				if err != nil {
					return
				}
				switch label, arr := msg(b); {
				case label == "NEG-OPEN":
					c.write(`["NEG-ERR",` + string(arr[1]) + `,"blocked: not today"]`)
				case label == "REQ":
					c.write(`["EOSE",` + string(arr[1]) + `]`)
					for i := 0; ; i++ {
						if c.write(`["EVENT",`+string(arr[1])+`,`+badEvent(t, k, i)+`]`) != nil {
							return
						}
					}
				}
			}
		}, func(s *peer.Stats) bool { return s.In[relay.OutcomeInvalid].Load() >= 3000 && s.Errors.Load() >= 2 },
			[]string{"blocked: not today"}},
		{"results without EOSE", func(c hconn) {
			set := fakeSet(5)
			resp, _ := reconcile.NewResponder(set, reconcile.MinFrameSize)
			for {
				b, err := c.read()
				if err != nil {
					return
				}
				switch label, arr := msg(b); {
				case label == "NEG-OPEN" && len(arr) == 4:
					out, err := resp.Reconcile(str(arr, 3))
					if err != nil {
						return
					}
					c.write(`["NEG-MSG",` + string(arr[1]) + `,"` + out + `"]`)
				case label == "REQ" && str(arr, 1) != "sync-live":
					for i := 0; ; i++ {
						ev := k.Sign(t, 1, "unasked", nostr.Now())
						b, _ := ev.MarshalJSON()
						if c.write(`["EVENT",`+string(arr[1])+`,`+string(b)+`]`) != nil {
							return
						}
					}
				}
			}
		}, func(s *peer.Stats) bool { return s.Errors.Load() >= 3 && s.Dropped.Load() >= 200 },
			[]string{"too many messages: 74 messages for a REQ of 5 ids, and no EOSE"}},
		{"silence", func(c hconn) {
			for {
				if _, err := c.read(); err != nil {
					return
				}
			}
		}, func(s *peer.Stats) bool { return s.Errors.Load() >= 3 }, []string{"nothing from the relay in 300ms"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := startHostile(t, tc.handle)
			l := startLocal(t)
			logs := &logBuffer{}
			g := peer.NewGroup([]peer.Config{{URL: h.url, Dir: peer.Both, Live: true}}, testOptions(logs))
			runtime.GC()
			var before runtime.MemStats
			runtime.ReadMemStats(&before)
			g.Start(t.Context(), l.r, l.st)
			s := g.Peers()[0].Stats()
			c := wsc.Dial(t, l.url)
			for i := 0; !tc.done(s); i++ {
				// The relay keeps serving its clients meanwhile.
				ev := k.Sign(t, 1, "client note", nostr.Now())
				if ok := c.Publish(ev); !ok.Accepted {
					t.Fatalf("publish %d: %v", i, ok)
				}
				if got := c.Req("r", nostr.Filter{IDs: []string{ev.ID}}); len(got) != 1 {
					t.Fatalf("REQ %d: got %d events, want 1", i, len(got))
				}
			}
			g.Close()
			st := g.SyncPeers()[0]
			if !slices.ContainsFunc(tc.cause, func(c string) bool { return strings.Contains(st.LastError, c) }) {
				t.Errorf("last error %q, want one naming %q", st.LastError, tc.cause)
			}
			var peak, after runtime.MemStats
			runtime.ReadMemStats(&peak)
			runtime.GC()
			runtime.ReadMemStats(&after)
			t.Logf("errors %d, invalid in %d, dropped %d; heap reserved +%d MiB, live +%d MiB",
				s.Errors.Load(), s.In[relay.OutcomeInvalid].Load(), s.Dropped.Load(),
				(int64(peak.HeapSys)-int64(before.HeapSys))>>20, (int64(after.HeapAlloc)-int64(before.HeapAlloc))>>20)
			if grew := int64(peak.HeapSys) - int64(before.HeapSys); grew > 1<<30 {
				t.Errorf("the heap grew by %d MiB while the peer attacked", grew>>20)
			}
			if kept := int64(after.HeapAlloc) - int64(before.HeapAlloc); kept > 32<<20 {
				t.Errorf("%d MiB more live heap after the peer stopped", kept>>20)
			}
			if n := strings.Count(logs.String(), "level=WARN"); n != 1 {
				t.Errorf("%d warning lines for %d errors, want 1 (LogEvery is an hour):\n%s", n, s.Errors.Load(), logs.String())
			}
		})
	}
}
