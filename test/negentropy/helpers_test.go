// Package negentropy_test checks NIP-77 end to end: a real relayd (badger
// on disk, WASM plugins) over real websockets, reconciled by go-nostr's
// own nip77 client and by host/reconcile.
package negentropy_test

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/reconcile"
	"github.com/relayd/relayd/internal/testing/plugintest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

func TestMain(m *testing.M) { plugintest.Main(m) }

// notes signs n kind-1 notes of k, one second apart from base.
func notes(t testing.TB, k wsc.Key, tag string, n int, base nostr.Timestamp) []*nostr.Event {
	t.Helper()
	evs := make([]*nostr.Event, n)
	for i := range evs {
		evs[i] = k.Sign(t, 1, fmt.Sprintf("%s %d", tag, i), base+nostr.Timestamp(i))
	}
	return evs
}

// publish sends evs to the relay pipelined and fails unless each is
// stored.
func publish(t testing.TB, url string, evs []*nostr.Event) {
	t.Helper()
	c := wsc.Dial(t, url)
	errc := make(chan error, 1)
	go func() {
		for _, ev := range evs {
			b, _ := json.Marshal([]any{"EVENT", ev})
			if _, err := c.NC.Write(wsc.Frame(b)); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for range evs {
		if ok := c.ReadOK(); !ok.Accepted {
			t.Fatalf("publish: %v", ok)
		}
	}
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// relayIDs returns the sorted ids of the relay's events matching f (at
// most 5000, the default max_limit).
func relayIDs(t testing.TB, url string, f nostr.Filter) []string {
	t.Helper()
	f.Limit = 5000
	var out []string
	for _, ev := range wsc.Dial(t, url).Req("ids", f) {
		out = append(out, ev.ID)
	}
	slices.Sort(out)
	return out
}

// idsOf returns the sorted ids of the events of the lists.
func idsOf(lists ...[]*nostr.Event) []string {
	var out []string
	for _, l := range lists {
		for _, ev := range l {
			out = append(out, ev.ID)
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// memStore is a nostr.RelayStore in memory: the local side of go-nostr's
// NegentropySync.
type memStore struct {
	mu  sync.Mutex
	evs map[string]*nostr.Event
}

func newMemStore(lists ...[]*nostr.Event) *memStore {
	s := &memStore{evs: map[string]*nostr.Event{}}
	for _, l := range lists {
		for _, ev := range l {
			s.evs[ev.ID] = ev
		}
	}
	return s
}

func (s *memStore) Publish(_ context.Context, ev nostr.Event) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.evs[ev.ID] = &ev
	return nil
}

func (s *memStore) QuerySync(_ context.Context, f nostr.Filter) ([]*nostr.Event, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []*nostr.Event
	for _, ev := range s.evs {
		if f.Matches(ev) {
			out = append(out, ev)
		}
	}
	return out, nil
}

func (s *memStore) QueryEvents(ctx context.Context, f nostr.Filter) (chan *nostr.Event, error) {
	evs, _ := s.QuerySync(ctx, f)
	ch := make(chan *nostr.Event, len(evs))
	for _, ev := range evs {
		ch <- ev
	}
	close(ch)
	return ch, nil
}

func (s *memStore) ids() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for id := range s.evs {
		out = append(out, id)
	}
	slices.Sort(out)
	return out
}

// setOf is a sealed reconcile.Set of evs.
func setOf(t testing.TB, lists ...[]*nostr.Event) *reconcile.Set {
	t.Helper()
	s := reconcile.NewSet(0)
	for _, l := range lists {
		for _, ev := range l {
			if err := s.Add(ev.CreatedAt, ev.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	s.Seal()
	return s
}

// dial opens a reconcile.Conn to url for the test.
func dial(t testing.TB, url string) (*reconcile.Conn, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	t.Cleanup(cancel)
	c, err := reconcile.Dial(ctx, url, reconcile.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, ctx
}
