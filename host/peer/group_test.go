package peer_test

import (
	"testing"
	"time"

	"github.com/relayd/relayd/host/peer"
)

func TestPeerStatusState(t *testing.T) {
	at := time.Date(2026, 12, 3, 19, 30, 0, 0, time.UTC)
	tests := []struct {
		name string
		s    peer.PeerStatus
		want string
	}{
		{"new", peer.PeerStatus{Dir: "down"}, "down, never synced"},
		{"live", peer.PeerStatus{Dir: "both", Live: true, LiveConnected: true, LastSync: at, Syncs: 12},
			"both, live connected, last sync 2026-12-03 19:30:00 UTC (12 syncs)"},
		{"failing", peer.PeerStatus{Dir: "up", Errors: 2, LastError: "sync failed: timed out"},
			"up, never synced, 2 errors (last: sync failed: timed out)"},
		{"live down", peer.PeerStatus{Dir: "down", Live: true}, "down, live not connected, never synced"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.s.State(); got != tc.want {
				t.Fatalf("got %q, want %q", got, tc.want)
			}
		})
	}
}
