package reconcile

import (
	"maps"
	"slices"
	"sync"
	"sync/atomic"

	"github.com/nbd-wtf/go-nostr/nip77/negentropy"
)

// drain reads the engine's two difference channels while it runs. The
// engine sends to them, 64 deep, from inside Reconcile: unread, they
// block it for good (go-nostr's NegentropySync reads only the channel of
// its direction, so it hangs once the other one holds 64 ids).
type drain struct {
	have, need map[string]struct{}
	overflow   atomic.Bool
	quit       chan struct{}
	wg         sync.WaitGroup
	once       sync.Once
}

// startDrain starts reading neg's channels, keeping at most limit ids per
// direction; past it, overflow is set and further ids are dropped.
func startDrain(neg *negentropy.Negentropy, limit int) *drain {
	d := &drain{have: map[string]struct{}{}, need: map[string]struct{}{}, quit: make(chan struct{})}
	d.wg.Add(2)
	go d.run(neg.Haves, d.have, limit)
	go d.run(neg.HaveNots, d.need, limit)
	return d
}

func (d *drain) run(ch <-chan string, into map[string]struct{}, limit int) {
	defer d.wg.Done()
	for {
		select {
		case id, ok := <-ch:
			if !ok {
				return
			}
			if _, dup := into[id]; !dup && len(into) >= limit {
				d.overflow.Store(true)
				continue
			}
			into[id] = struct{}{}
		case <-d.quit:
			return
		}
	}
}

// wait waits for the engine to close both channels (it does when the
// reconciliation is complete) and returns the ids, sorted.
func (d *drain) wait() (have, need []string) {
	d.wg.Wait()
	have, need = slices.Sorted(maps.Keys(d.have)), slices.Sorted(maps.Keys(d.need))
	d.have, d.need = nil, nil
	return have, need
}

// stop ends the readers; call it once the engine no longer runs.
func (d *drain) stop() {
	d.once.Do(func() { close(d.quit) })
}
