package storetest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"strings"
	"sync"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/store"
)

func (h harness) testRoundTrip(t *testing.T) {
	alice := newKey(t)
	indented := alice.sign(t, 1, 1, nostr.Tags{{"t", "x"}}, "spaces")
	var buf bytes.Buffer
	if err := json.Indent(&buf, indented.raw, "", "  "); err != nil {
		t.Fatal(err)
	}
	indented.raw = buf.Bytes()
	tests := []struct {
		name string
		e    signed
	}{
		{"plain", alice.sign(t, 1, 2, nil, "hello")},
		{"not canonical JSON", indented},
		{"escapes and unicode", alice.sign(t, 1, 3, nostr.Tags{{"e", strings.Repeat("0", 64), "wss://r"}},
			"\"quoted\"\n\ttab \\ back \u2028 ünïcödé 🎉 <&>")},
		{"500 KB content", alice.sign(t, 1, 4, nil, strings.Repeat("0123456789 ünï ", 500_000/17))},
	}
	s := h.open(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := bytes.Clone(tc.e.raw)
			if err := s.Save(context.Background(), tc.e.ev, in); err != nil {
				t.Fatalf("save: %v", err)
			}
			// The store keeps its own copy: the caller may reuse its buffer.
			clear(in)
			wantRaw(t, s, tc.e)
			// And raw handed to fn belongs to the caller.
			clear(query(t, s, nostr.Filter{IDs: []string{tc.e.ev.ID}}, 1)[0])
			wantRaw(t, s, tc.e)
		})
	}
}

func (h harness) testDuplicate(t *testing.T) {
	alice := newKey(t)
	tests := []struct {
		name string
		e    signed
	}{
		{"regular", alice.sign(t, 1, 1, nil, "a")},
		{"replaceable", alice.sign(t, 0, 1, nil, "{}")},
		{"addressable", alice.sign(t, 30023, 1, nostr.Tags{{"d", "x"}}, "a")},
		{"deletion", alice.sign(t, 5, 1, nostr.Tags{{"e", strings.Repeat("1", 64)}}, "")},
	}
	s := h.open(t)
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			mustSave(t, s, tc.e)
			wantSaveErr(t, s, tc.e, store.ErrDuplicate)
			wantIDs(t, s, nostr.Filter{IDs: []string{tc.e.ev.ID}}, tc.e)
		})
	}
}

func (h harness) testEphemeral(t *testing.T) {
	s := h.open(t)
	e := newKey(t).sign(t, 20001, 1, nil, "typing")
	wantSaveErr(t, s, e, store.ErrEphemeral)
	res := make(chan error, 1)
	s.Submit(e.ev, e.raw, func(err error) { res <- err })
	if err := <-res; !errors.Is(err, store.ErrEphemeral) {
		t.Errorf("submit: got %v, want %v", err, store.ErrEphemeral)
	}
	wantIDs(t, s, nostr.Filter{})
}

// testSubmitOrder checks that done callbacks run in submission order, also
// when some writes are refused.
func (h harness) testSubmitOrder(t *testing.T) {
	s := h.open(t)
	alice := newKey(t)
	var es []signed
	for i := range 300 {
		switch {
		case i%10 == 9:
			es = append(es, es[i-5]) // duplicate
		case i%50 == 25:
			es = append(es, alice.sign(t, 20000, int64(i), nil, "")) // ephemeral
		default:
			es = append(es, alice.sign(t, 1, int64(i), nil, ""))
		}
	}
	var (
		mu   sync.Mutex
		got  []int
		errs = make([]error, len(es))
		all  = make(chan struct{})
	)
	for i, e := range es {
		s.Submit(e.ev, e.raw, func(err error) {
			mu.Lock()
			defer mu.Unlock()
			got = append(got, i)
			errs[i] = err
			if len(got) == len(es) {
				close(all)
			}
		})
	}
	<-all
	for i := range got {
		if got[i] != i {
			t.Fatalf("callback %d was for submission %d", i, got[i])
		}
	}
	for i, err := range errs {
		var want error
		switch {
		case i%10 == 9:
			want = store.ErrDuplicate
		case i%50 == 25:
			want = store.ErrEphemeral
		}
		if !errors.Is(err, want) {
			t.Errorf("submission %d: got %v, want %v", i, err, want)
		}
	}
}

// testConcurrentSave saves from many goroutines at once; two of them race to
// save the same events, and exactly one must win each.
func (h harness) testConcurrentSave(t *testing.T) {
	const workers, perWorker = 8, 40
	s := h.open(t)
	batches := make([][]signed, workers)
	for w := range batches {
		k := newKey(t)
		for i := range perWorker {
			batches[w] = append(batches[w], k.sign(t, 1, int64(i), nostr.Tags{{"t", "load"}}, "x"))
		}
	}
	batches = append(batches, batches[0]) // a second writer racing on worker 0's events
	errs := make([][]error, len(batches))
	var wg sync.WaitGroup
	for w, batch := range batches {
		errs[w] = make([]error, len(batch))
		wg.Go(func() {
			for i, e := range batch {
				errs[w][i] = save(s, e)
			}
		})
	}
	wg.Wait()
	for w := 1; w < workers; w++ {
		for i, err := range errs[w] {
			if err != nil {
				t.Errorf("worker %d event %d: %v", w, i, err)
			}
		}
	}
	for i := range perWorker {
		a, b := errs[0][i], errs[workers][i]
		if !(a == nil && errors.Is(b, store.ErrDuplicate) || b == nil && errors.Is(a, store.ErrDuplicate)) {
			t.Errorf("racing saves of event %d: got %v and %v, want one nil and one ErrDuplicate", i, a, b)
		}
	}
	if n := count(t, s, nostr.Filter{Tags: nostr.TagMap{"t": {"load"}}}); n != workers*perWorker {
		t.Errorf("count: got %d, want %d", n, workers*perWorker)
	}
}

func (h harness) testClose(t *testing.T) {
	s := h.open(t)
	alice := newKey(t)
	// Close flushes what was submitted before it.
	var acked, failed int
	for i := range 100 {
		e := alice.sign(t, 1, int64(i), nil, "")
		s.Submit(e.ev, e.raw, func(err error) {
			if err != nil {
				failed++
			}
			acked++
		})
	}
	if err := s.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if acked != 100 || failed != 0 {
		t.Errorf("after close: %d callbacks with %d errors, want 100 and 0", acked, failed)
	}

	e := alice.sign(t, 1, 1000, nil, "late")
	ctx := context.Background()
	done := make(chan error, 1)
	s.Submit(e.ev, e.raw, func(err error) { done <- err })
	_, countErr := s.Count(ctx, nostr.Filter{})
	_, expErr := s.DeleteExpired(ctx, base)
	tests := []struct {
		name string
		err  error
	}{
		{"Save", save(s, e)},
		{"Submit", <-done},
		{"Query", s.Query(ctx, nostr.Filter{}, 10, func([]byte) bool { return true })},
		{"Count", countErr},
		{"DeleteExpired", expErr},
		{"Close", s.Close()},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if !errors.Is(tc.err, store.ErrClosed) {
				t.Errorf("got %v, want %v", tc.err, store.ErrClosed)
			}
		})
	}
}
