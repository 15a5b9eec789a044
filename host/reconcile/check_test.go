package reconcile_test

import (
	"encoding/hex"
	"errors"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr/nip77/negentropy"
	"github.com/nbd-wtf/go-nostr/nip77/negentropy/storage/vector"

	"github.com/relayd/relayd/host/reconcile"
)

// engineMessages returns real messages of a reconciliation between two
// sets of items, both directions, from go-nostr's engine.
func engineMessages(t testing.TB) []string {
	t.Helper()
	a, b := randomItems(1, 500, 100), randomItems(2, 300, 100)
	b = append(b, a[:200]...)
	va, vb := vector.New(), vector.New()
	for _, it := range a {
		va.Insert(it.Timestamp, it.ID)
	}
	for _, it := range b {
		vb.Insert(it.Timestamp, it.ID)
	}
	va.Seal()
	vb.Seal()
	client, server := negentropy.New(va, 4096), negentropy.New(vb, 4096)
	go func() {
		for range client.Haves {
		}
	}()
	go func() {
		for range client.HaveNots {
		}
	}()
	msgs := []string{client.Start()}
	for {
		out, err := server.Reconcile(msgs[len(msgs)-1])
		if err != nil {
			t.Fatal(err)
		}
		msgs = append(msgs, out)
		if out, err = client.Reconcile(out); err != nil {
			t.Fatal(err)
		}
		if out == "" {
			return msgs
		}
		msgs = append(msgs, out)
	}
}

func TestCheckAcceptsEngineMessages(t *testing.T) {
	msgs := engineMessages(t)
	if len(msgs) < 4 {
		t.Fatalf("only %d messages: the sets reconciled too easily to test", len(msgs))
	}
	for i, m := range msgs {
		if err := reconcile.Check(m); err != nil {
			t.Errorf("message %d (%d bytes): %v", i, len(m)/2, err)
		}
	}
}

func TestCheckRejects(t *testing.T) {
	tests := []struct {
		name string
		msg  string
	}{
		{"empty", ""},
		{"odd", "610"},
		{"not hex", "61zz"},
		{"timestamp varint unterminated", "6180"},
		{"varint over 8 bytes", "61ffffffffffffffffffff"},
		{"bound length over 8 bytes", "6100ffffffffffffffff7f00"},
		{"bound over 32 bytes", "610021" + strings.Repeat("00", 33) + "00"},
		{"bound id cut", "61000500"},
		{"no mode", "610000"},
		{"unknown mode", "61000003"},
		{"mode varint huge", "610000ffffffff7f"},
		{"fingerprint cut", "61000001" + strings.Repeat("ab", 15)},
		{"id list count huge", "610000028fffffff7f"},
		{"id list cut", "6100000202" + strings.Repeat("ab", 63)},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := reconcile.Check(tc.msg); !errors.Is(err, reconcile.ErrMalformed) {
				t.Fatalf("Check(%s) = %v, want ErrMalformed", tc.msg, err)
			}
			r, err := reconcile.NewResponder(sealed(), reconcile.MinFrameSize)
			if err != nil {
				t.Fatal(err)
			}
			if _, err := r.Reconcile(tc.msg); !errors.Is(err, reconcile.ErrMalformed) {
				t.Fatalf("Responder.Reconcile(%s) = %v, want ErrMalformed", tc.msg, err)
			}
		})
	}
}

func TestCheckAccepts(t *testing.T) {
	tests := []struct {
		name string
		msg  string
	}{
		{"version only", "61"},
		{"other version", "62ffff"},
		{"skip", "61000000"},
		{"empty id list", "6100000200"},
		{"one id", "6100000201" + strings.Repeat("ab", 32)},
		{"fingerprint", "61000001" + strings.Repeat("ab", 16)},
		{"full bound", "610520" + strings.Repeat("cd", 32) + "00"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := reconcile.Check(tc.msg); err != nil {
				t.Fatalf("Check(%s) = %v", tc.msg, err)
			}
		})
	}
}

// sealed is a small sealed set.
func sealed() *reconcile.Set {
	s := reconcile.NewSet(0)
	for _, it := range randomItems(3, 40, 10) {
		s.Add(it.Timestamp, it.ID)
	}
	s.Seal()
	return s
}

// FuzzCheck holds Check to its promise: a message it accepts never makes
// go-nostr's engine panic, as a relay (server) or as a client, and a
// Responder never panics at all. The raw engine allocates a map as large
// as an id list's count says, so an unchecked "610000028fffffff7f" asks
// it for billions of entries. Seeds are in testdata/fuzz/FuzzCheck.
func FuzzCheck(f *testing.F) {
	for _, m := range engineMessages(f) {
		b, _ := hex.DecodeString(m)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		msg := hex.EncodeToString(b)
		r, _ := reconcile.NewResponder(sealed(), reconcile.MinFrameSize)
		r.Reconcile(msg)
		if reconcile.Check(msg) != nil {
			return
		}
		for _, client := range []bool{false, true} {
			func() {
				defer func() {
					if p := recover(); p != nil {
						t.Fatalf("engine (client %v) panicked on a checked message %s: %v", client, msg, p)
					}
				}()
				neg := negentropy.New(sealed(), reconcile.MinFrameSize)
				quit := make(chan struct{})
				defer close(quit)
				if client {
					neg.Start()
					for _, ch := range []chan string{neg.Haves, neg.HaveNots} {
						go func() {
							for {
								select {
								case <-ch:
								case <-quit:
									return
								}
							}
						}()
					}
				}
				neg.Reconcile(msg)
			}()
		}
	})
}
