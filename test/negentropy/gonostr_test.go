//go:build !race

package negentropy_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip77"

	"github.com/relayd/relayd/internal/testing/relaydtest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// This file is built without the race detector only: go-nostr v0.52.3's
// NegentropySync races with itself (idlistpool.giveback appends to the
// pool without its lock; Relay.Connect's writer and close share a field),
// which -race reports as a failure of this test. `make test` runs it in
// its race-free pass.

// TestGoNostrClient: go-nostr's own NIP-77 client (nip77.NegentropySync)
// against a running relayd on badger, both directions of difference.
// go-nostr's client reads only the differences of the direction it syncs
// and hangs once the other direction passes 64, so the one-way cases keep
// that side under 64; Both reads both and runs to thousands.
func TestGoNostrClient(t *testing.T) {
	tests := []struct {
		name                          string
		dir                           nip77.Direction
		relayOnly, localOnly, shared  int
		wantRelayHas, wantLocalHasAll bool
	}{
		{"down", nip77.Down, 40, 20, 30, false, true},
		{"up", nip77.Up, 20, 40, 30, true, false},
		{"both", nip77.Both, 30, 30, 30, true, true},
		{"both, thousands", nip77.Both, 1500, 1500, 1000, true, true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := relaydtest.Start(t, relaydtest.Default(""))
			k := wsc.NewKey()
			base := nostr.Now() - 100000
			relayOnly := notes(t, k, "relay", tc.relayOnly, base)
			localOnly := notes(t, k, "local", tc.localOnly, base+5)
			shared := notes(t, k, "shared", tc.shared, base+10)
			publish(t, r.URL, append(slices.Clone(relayOnly), shared...))
			local := newMemStore(localOnly, shared)
			filter := nostr.Filter{Kinds: []int{1}, Authors: []string{k.PK}}
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
			defer cancel()
			if err := nip77.NegentropySync(ctx, local, r.URL, filter, tc.dir); err != nil {
				t.Fatal(err)
			}
			all := idsOf(relayOnly, localOnly, shared)
			wantRelay := idsOf(relayOnly, shared)
			if tc.wantRelayHas {
				wantRelay = all
			}
			wantLocal := idsOf(localOnly, shared)
			if tc.wantLocalHasAll {
				wantLocal = all
			}
			if got := relayIDs(t, r.URL, filter); !slices.Equal(got, wantRelay) {
				t.Errorf("relay has %d events, want %d", len(got), len(wantRelay))
			}
			if got := local.ids(); !slices.Equal(got, wantLocal) {
				t.Errorf("local store has %d events, want %d", len(got), len(wantLocal))
			}
		})
	}
}
