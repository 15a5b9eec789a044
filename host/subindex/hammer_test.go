package subindex_test

import (
	"fmt"
	"math/rand/v2"
	"sync"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/subindex"
)

// TestHammer runs Add, Remove, RemoveSession and Match from several
// goroutines at once (run it with -race). Subscriptions of the stable
// sessions are never removed, so every Match must report each of them
// exactly when it matches.
func TestHammer(t *testing.T) {
	const (
		stable     = 10
		iterations = 2000
	)
	ix := subindex.New[int]()
	for i := range stable {
		ix.Add(uint64(1000+i), "stable", nostr.Filters{{Kinds: []int{1}}, {Tags: nostr.TagMap{"t": {"v0", "v1"}}}}, -1-i)
	}
	var wg sync.WaitGroup
	for w := range 2 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 1))
			for range iterations {
				session := uint64(r.IntN(50))
				switch r.IntN(4) {
				case 0, 1:
					ix.Add(session, fmt.Sprint(r.IntN(3)), nostr.Filters{randomFilter(r), randomFilter(r)}, int(session))
				case 2:
					ix.Remove(session, fmt.Sprint(r.IntN(3)))
				default:
					ix.RemoveSession(session)
				}
			}
		})
	}
	errs := make(chan error, 2)
	for w := range 2 {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 2))
			for range iterations {
				ev := randomEvent(r)
				want := 0
				if ev.Kind == 1 || ev.Tags.ContainsAny("t", []string{"v0", "v1"}) {
					want = stable
				}
				seen := map[int]bool{}
				ix.Match(ev, func(v int) {
					if v < 0 {
						if seen[v] {
							errs <- fmt.Errorf("subscription %d reported twice", v)
						}
						seen[v] = true
					}
				})
				if len(seen) != want {
					errs <- fmt.Errorf("Match(%v) reported %d stable subscriptions, want %d", ev, len(seen), want)
					return
				}
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	if n := ix.Len(); n < stable {
		t.Fatalf("Len = %d, want at least %d", n, stable)
	}
}
