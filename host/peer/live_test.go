package peer_test

import (
	"encoding/json"
	"sync"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/peer"
	"github.com/relayd/relayd/host/reconcile"
	"github.com/relayd/relayd/host/relay"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// TestLiveReconnects: a peer that drops the live subscription after one
// event is resubscribed after a backoff, with since reaching back to when
// the first subscription was lost (minus the slack); the events of both
// subscriptions are stored, and the loss counts as one error.
func TestLiveReconnects(t *testing.T) {
	k := wsc.NewKey()
	evs := []*nostr.Event{k.Sign(t, 1, "first", nostr.Now()), k.Sign(t, 1, "second", nostr.Now())}
	var mu sync.Mutex
	var sinces []int64
	empty := reconcile.NewSet(0)
	empty.Seal()
	h := startHostile(t, func(c hconn) {
		resp, _ := reconcile.NewResponder(empty, reconcile.MinFrameSize)
		for {
			b, err := c.read()
			if err != nil {
				return
			}
			switch label, arr := msg(b); {
			case label == "NEG-OPEN" && len(arr) == 4:
				out, _ := resp.Reconcile(str(arr, 3))
				c.write(`["NEG-MSG",` + string(arr[1]) + `,"` + out + `"]`)
			case label == "REQ" && str(arr, 1) == "sync-live":
				var f nostr.Filter
				json.Unmarshal(arr[2], &f)
				mu.Lock()
				n := len(sinces)
				sinces = append(sinces, int64(*f.Since))
				mu.Unlock()
				if n >= len(evs) {
					continue
				}
				eb, _ := evs[n].MarshalJSON()
				c.write(`["EOSE","sync-live"]`)
				c.write(`["EVENT","sync-live",` + string(eb) + `]`)
				if n == 0 {
					return // drop the first subscription
				}
			}
		}
	})
	l := startLocal(t)
	opts := testOptions(&logBuffer{})
	opts.LiveSlack, opts.LiveIdle = 30*time.Second, time.Minute
	g := peer.NewGroup([]peer.Config{{URL: h.url, Dir: peer.Down, Live: true}}, opts)
	start := time.Now().Unix()
	g.Start(t.Context(), l.r, l.st)
	sub := wsc.Dial(t, l.url)
	sub.Send("REQ", "all", nostr.Filter{Kinds: []int{1}})
	got := map[string]bool{}
	for len(got) < 2 {
		msg := sub.Read()
		if wsc.Label(msg) == "EVENT" {
			got[wsc.Event(t, msg).ID] = true
		}
	}
	end := time.Now().Unix()
	if !got[evs[0].ID] || !got[evs[1].ID] {
		t.Fatalf("got %v, want both events", got)
	}
	g.Close() // every event answered, every count made
	s := g.Peers()[0].Stats()
	if s.Errors.Load() != 1 || s.In[relay.OutcomeStored].Load() != 2 {
		t.Errorf("errors %d, stored %d; want 1 and 2", s.Errors.Load(), s.In[relay.OutcomeStored].Load())
	}
	mu.Lock()
	defer mu.Unlock()
	// Both reach back 30 s from a moment between the start and the end.
	if len(sinces) != 2 || sinces[0] < start-31 || sinces[0] > end-30 || sinces[1] < sinces[0] || sinces[1] > end-30 {
		t.Errorf("since of the subscriptions %v; want within %d..%d, in order", sinces, start-31, end-30)
	}
}
