package eventsig_test

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/eventsig"
)

// signed returns a note signed by sk.
func signed(t *testing.T, sk, content string) nostr.Event {
	t.Helper()
	ev := nostr.Event{Kind: 1, CreatedAt: 1700000000, Content: content, Tags: nostr.Tags{{"t", "x"}}}
	if err := ev.Sign(sk); err != nil {
		t.Fatal(err)
	}
	return ev
}

// TestCheck compares Check with go-nostr's CheckID and CheckSignature on
// good and damaged events, twice each so that the second check reads the
// pubkey cache.
func TestCheck(t *testing.T) {
	sk1, sk2 := nostr.GeneratePrivateKey(), nostr.GeneratePrivateKey()
	good := signed(t, sk1, "hello")
	other := signed(t, sk2, "world")
	flip := func(s string, i int) string {
		b := []byte(s)
		if b[i] == '0' {
			b[i] = '1'
		} else {
			b[i] = '0'
		}
		return string(b)
	}
	tests := []struct {
		name string
		edit func(*nostr.Event)
		want error
	}{
		{"good", func(*nostr.Event) {}, nil},
		{"other author", func(e *nostr.Event) { *e = other }, nil},
		{"content changed", func(e *nostr.Event) { e.Content = "hellO" }, eventsig.ErrID},
		{"uppercase id", func(e *nostr.Event) { e.ID = strings.ToUpper(e.ID) }, eventsig.ErrID},
		{"short id", func(e *nostr.Event) { e.ID = e.ID[:62] }, eventsig.ErrID},
		{"signature changed", func(e *nostr.Event) { e.Sig = flip(e.Sig, 70) }, eventsig.ErrSig},
		{"signature not hex", func(e *nostr.Event) { e.Sig = "zz" + e.Sig[2:] }, eventsig.ErrSig},
		{"signature short", func(e *nostr.Event) { e.Sig = e.Sig[:126] }, eventsig.ErrSig},
		{"other author's signature", func(e *nostr.Event) { e.Sig = other.Sig }, eventsig.ErrSig},
		{"pubkey of another author", func(e *nostr.Event) { // id recomputed, signature by sk1
			e.PubKey = other.PubKey
			e.ID = e.GetID()
		}, eventsig.ErrSig},
		{"pubkey off the curve", func(e *nostr.Event) {
			e.PubKey = strings.Repeat("f", 64)
			e.ID = e.GetID()
		}, eventsig.ErrSig},
	}
	var c eventsig.Checker
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ev := good
			tt.edit(&ev)
			for range 2 {
				if err := c.Check(&ev); !errors.Is(err, tt.want) || (tt.want == nil) != (err == nil) {
					t.Fatalf("Check = %v, want %v", err, tt.want)
				}
			}
			ok := ev.CheckID()
			if okSig, err := ev.CheckSignature(); !okSig || err != nil {
				ok = false
			}
			if ok != (tt.want == nil) {
				t.Fatalf("go-nostr says %v, Check says %v", ok, tt.want)
			}
		})
	}
}

// BenchmarkCheck compares Check (one author, so the pubkey is cached) with
// go-nostr's two checks.
func BenchmarkCheck(b *testing.B) {
	ev := nostr.Event{Kind: 1, CreatedAt: 1700000000, Content: strings.Repeat("lorem ipsum ", 40),
		Tags: nostr.Tags{{"t", "x"}, {"p", strings.Repeat("a", 64)}}}
	if err := ev.Sign(nostr.GeneratePrivateKey()); err != nil {
		b.Fatal(err)
	}
	b.Run("eventsig", func(b *testing.B) {
		var c eventsig.Checker
		for range b.N {
			if c.Check(&ev) != nil {
				b.Fatal("refused")
			}
		}
	})
	b.Run("go-nostr", func(b *testing.B) {
		for range b.N {
			if ok, _ := ev.CheckSignature(); !ev.CheckID() || !ok {
				b.Fatal("refused")
			}
		}
	})
}

// TestCheckSharedSlot checks events of two authors whose pubkeys fall in
// the same cache slot, alternately: each must be checked against its own
// key, never the one the slot held.
func TestCheckSharedSlot(t *testing.T) {
	seen := map[int]string{} // slot -> secret key
	var sk1, sk2 string
	for sk1 == "" {
		sk := nostr.GeneratePrivateKey()
		pk, err := nostr.GetPublicKey(sk)
		if err != nil {
			t.Fatal(err)
		}
		b, err := hex.DecodeString(pk[:4])
		if err != nil {
			t.Fatal(err)
		}
		slot := (int(b[0])<<8 | int(b[1])) % 4096 // as Checker.pubkey
		if other, ok := seen[slot]; ok {
			sk1, sk2 = other, sk
		}
		seen[slot] = sk
	}
	a, b := signed(t, sk1, "a"), signed(t, sk2, "b")
	var c eventsig.Checker
	for i, ev := range []nostr.Event{a, b, a, b} {
		if err := c.Check(&ev); err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
}
