package peer_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/relayd/relayd/host/peer"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/reconcile"
	"github.com/relayd/relayd/host/relay"
)

// TestSyncRefused: a relay that refuses the negentropy session, or does
// not know NEG-OPEN (a NOTICE, then nothing), ends the sync with an error
// that says so.
func TestSyncRefused(t *testing.T) {
	tests := []struct {
		name   string
		answer func(sub string) string
		check  func(err error) bool
	}{
		{"NEG-ERR", func(sub string) string { return `["NEG-ERR",` + sub + `,"auth-required: who are you"]` },
			func(err error) bool {
				var re *reconcile.RelayError
				return errors.As(err, &re) && re.Prefix() == "auth-required"
			}},
		{"no NIP-77", func(string) string { return `["NOTICE","ERROR: bad msg: unknown cmd"]` },
			func(err error) bool {
				return errors.Is(err, reconcile.ErrTimeout) && strings.Contains(err.Error(), "did not answer NEG-OPEN; it may not support NIP-77") &&
					strings.Contains(err.Error(), "unknown cmd")
			}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := startHostile(t, func(c hconn) {
				for {
					b, err := c.read()
					if err != nil {
						return
					}
					if label, arr := msg(b); label == "NEG-OPEN" {
						c.write(tc.answer(string(arr[1])))
					}
				}
			})
			l := startLocal(t)
			g := l.r.NewIngester(relay.IngestOptions{Source: policy.SourceSync, SourceInfo: h.url})
			defer g.Close()
			rep, err := peer.Sync(t.Context(), l.st, g, peer.Request{URL: h.url, Dir: peer.Both,
				Conn: reconcile.Options{ReadTimeout: 200 * time.Millisecond}})
			if !tc.check(err) || rep == nil || rep.Have+rep.Need != 0 {
				t.Fatalf("got %v, %+v", err, rep)
			}
		})
	}
}
