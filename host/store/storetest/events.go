package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"slices"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/store"
)

// base is the created_at the fixtures count from: far from "now", so that no
// fixture is touched by NIP-40 checks unless it says so.
const base = 1_700_000_000

// key is a test identity.
type key struct{ sk, pk string }

func newKey(t *testing.T) key {
	t.Helper()
	sk := nostr.GeneratePrivateKey()
	pk, err := nostr.GetPublicKey(sk)
	if err != nil {
		t.Fatalf("public key: %v", err)
	}
	return key{sk: sk, pk: pk}
}

// signed is an event together with the raw JSON the suite saves.
type signed struct {
	ev  *nostr.Event
	raw []byte
}

// sign builds and signs an event of k; at is an offset from base.
func (k key) sign(t *testing.T, kind int, at int64, tags nostr.Tags, content string) signed {
	t.Helper()
	ev := &nostr.Event{
		PubKey:    k.pk,
		CreatedAt: nostr.Timestamp(base + at),
		Kind:      kind,
		Tags:      tags,
		Content:   content,
	}
	if ev.Tags == nil {
		ev.Tags = nostr.Tags{}
	}
	if err := ev.Sign(k.sk); err != nil {
		t.Fatalf("sign: %v", err)
	}
	raw, err := json.Marshal(ev)
	if err != nil {
		t.Fatalf("marshal: %v", err)
	}
	return signed{ev: ev, raw: raw}
}

// signAt is sign with an absolute created_at.
func (k key) signAt(t *testing.T, kind int, createdAt int64, tags nostr.Tags, content string) signed {
	t.Helper()
	return k.sign(t, kind, createdAt-base, tags, content)
}

func save(s store.Store, e signed) error {
	return s.Save(context.Background(), e.ev, e.raw)
}

func mustSave(t *testing.T, s store.Store, es ...signed) {
	t.Helper()
	for _, e := range es {
		if err := save(s, e); err != nil {
			t.Fatalf("save kind %d at %d: %v", e.ev.Kind, e.ev.CreatedAt, err)
		}
	}
}

func wantSaveErr(t *testing.T, s store.Store, e signed, want error) {
	t.Helper()
	if err := save(s, e); !errors.Is(err, want) {
		t.Fatalf("save kind %d at %d: got %v, want %v", e.ev.Kind, e.ev.CreatedAt, err, want)
	}
}

// query returns the raw events Query yields for f, in order.
func query(t *testing.T, s store.Store, f nostr.Filter, limit int) [][]byte {
	t.Helper()
	var out [][]byte
	err := s.Query(context.Background(), f, limit, func(raw []byte) bool {
		out = append(out, raw)
		return true
	})
	if err != nil {
		t.Fatalf("query %v: %v", f, err)
	}
	return out
}

// queryIDs returns the ids of the events Query yields for f, in order.
func queryIDs(t *testing.T, s store.Store, f nostr.Filter, limit int) []string {
	t.Helper()
	var ids []string
	for _, raw := range query(t, s, f, limit) {
		var ev struct {
			ID string `json:"id"`
		}
		if err := json.Unmarshal(raw, &ev); err != nil {
			t.Fatalf("query %v returned invalid JSON %q: %v", f, raw, err)
		}
		ids = append(ids, ev.ID)
	}
	return ids
}

func count(t *testing.T, s store.Store, f nostr.Filter) int64 {
	t.Helper()
	n, err := s.Count(context.Background(), f)
	if err != nil {
		t.Fatalf("count %v: %v", f, err)
	}
	return n
}

// ordered returns the ids of es in query order: created_at descending, then
// id ascending.
func ordered(es ...signed) []string {
	es = slices.Clone(es)
	slices.SortFunc(es, func(a, b signed) int {
		if store.Before(a.ev.CreatedAt, a.ev.ID, b.ev.CreatedAt, b.ev.ID) {
			return -1
		}
		return 1
	})
	ids := make([]string, len(es))
	for i, e := range es {
		ids[i] = e.ev.ID
	}
	return ids
}

// wantIDs checks that a query for f returns exactly es, in query order.
func wantIDs(t *testing.T, s store.Store, f nostr.Filter, es ...signed) {
	t.Helper()
	got := queryIDs(t, s, f, 1000)
	if want := ordered(es...); !slices.Equal(got, want) {
		t.Errorf("query %v:\n got %v\nwant %v", f, got, want)
	}
	if n := count(t, s, f); n != int64(len(es)) {
		t.Errorf("count %v: got %d, want %d", f, n, len(es))
	}
}

func wantRaw(t *testing.T, s store.Store, e signed) {
	t.Helper()
	got := query(t, s, nostr.Filter{IDs: []string{e.ev.ID}}, 10)
	if len(got) != 1 || !bytes.Equal(got[0], e.raw) {
		t.Fatalf("query id %s: got %d events, want the saved raw JSON (%d bytes) back", e.ev.ID, len(got), len(e.raw))
	}
}

func ts(at int64) *nostr.Timestamp {
	v := nostr.Timestamp(base + at)
	return &v
}
