package badgerstore

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"strings"
	"sync"
	"testing"

	"github.com/nbd-wtf/go-nostr"
)

// The internal tests and benchmarks use unsigned events with correct ids:
// the store never checks signatures, and signing would dominate the
// benchmarks.

func randHex32() string {
	var b [32]byte
	if _, err := rand.Read(b[:]); err != nil {
		panic(err)
	}
	return hex.EncodeToString(b[:])
}

type testEvent struct {
	ev  *nostr.Event
	raw []byte
}

func makeEvent(pk string, kind int, createdAt int64, tags nostr.Tags, content string) testEvent {
	if tags == nil {
		tags = nostr.Tags{}
	}
	ev := &nostr.Event{PubKey: pk, CreatedAt: nostr.Timestamp(createdAt), Kind: kind, Tags: tags, Content: content}
	ev.ID = ev.GetID()
	ev.Sig = strings.Repeat("0", 128)
	raw, err := json.Marshal(ev)
	if err != nil {
		panic(err)
	}
	return testEvent{ev: ev, raw: raw}
}

func openTest(t testing.TB, opts Options) *Store {
	t.Helper()
	s, err := Open(t.TempDir(), opts)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

// submitAll submits es from workers goroutines and waits for every
// callback. It returns the results by index.
func submitAll(s *Store, es []testEvent, workers int) []error {
	errs := make([]error, len(es))
	var wg sync.WaitGroup
	wg.Add(len(es))
	var sub sync.WaitGroup
	for w := range workers {
		sub.Go(func() {
			for i := w; i < len(es); i += workers {
				s.Submit(es[i].ev, es[i].raw, func(err error) {
					errs[i] = err
					wg.Done()
				})
			}
		})
	}
	sub.Wait()
	wg.Wait()
	return errs
}

func count(t testing.TB, s *Store, f nostr.Filter) int64 {
	t.Helper()
	n, err := s.Count(context.Background(), f)
	if err != nil {
		t.Fatalf("count: %v", err)
	}
	return n
}
