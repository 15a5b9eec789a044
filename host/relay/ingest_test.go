package relay_test

import (
	"errors"
	"fmt"
	"strings"
	"sync"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/limits"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/relay"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// ingestAll submits evs through a new ingester and returns the results in
// the order the callbacks ran.
func ingestAll(t *testing.T, tr *testRelay, opts relay.IngestOptions, evs []*nostr.Event) []relay.IngestResult {
	t.Helper()
	g := tr.r.NewIngester(opts)
	var mu sync.Mutex
	var got []relay.IngestResult
	var order []int
	for i, ev := range evs {
		raw, _ := ev.MarshalJSON()
		g.Submit(ev, raw, int64(1000+i), func(res relay.IngestResult) {
			mu.Lock()
			got = append(got, res)
			order = append(order, i)
			mu.Unlock()
		})
	}
	g.Close()
	for i, n := range order {
		if n != i {
			t.Fatalf("result %d was for event %d: callbacks out of submission order %v", i, n, order)
		}
	}
	if len(got) != len(evs) {
		t.Fatalf("%d results for %d events", len(got), len(evs))
	}
	return got
}

// TestIngestOutcomes: events from elsewhere get the relay's own checks, the
// policies with their source and no session, and the store's rules, and
// each answer says which.
func TestIngestOutcomes(t *testing.T) {
	type seen struct {
		source     policy.Source
		info       string
		receivedAt int64
		session    bool
	}
	var mu sync.Mutex
	var inputs []seen
	tr := start(t, relay.Options{Limits: lim(func(l *limits.Limits) { l.MaxContentBytes = 100 })},
		enforce(&fnPolicy{name: "nolikes", event: func(in *policy.EventInput) policy.Verdict {
			mu.Lock()
			inputs = append(inputs, seen{in.Source, in.SourceInfo, in.ReceivedAt, in.Session != nil})
			mu.Unlock()
			if in.Event.Kind == 7 {
				return policy.RejectWith(policy.PrefixBlocked, "no likes from imports")
			}
			return policy.Verdict{}
		}}))
	k, other := wsc.NewKey(), wsc.NewKey()
	base := now() - 1000
	note := k.Sign(t, 1, "hello", base)
	badSig := k.Sign(t, 1, "sig", base)
	badSig.Sig = strings.Repeat("0", 128)
	badID := k.Sign(t, 1, "id", base)
	badID.Content = "changed"
	profileNew := k.Sign(t, 0, `{"name":"new"}`, base+10)
	profileOld := k.Sign(t, 0, `{"name":"old"}`, base)
	doomed := k.Sign(t, 1, "doomed", base)
	deletion := k.Sign(t, 5, "", base+1, nostr.Tag{"e", doomed.ID})
	notTheirs := other.Sign(t, 5, "", base+2, nostr.Tag{"e", note.ID})
	evs := []*nostr.Event{
		note,
		note,
		badSig,
		badID,
		k.Sign(t, 1, "gone", base, nostr.Tag{"expiration", "1000"}),
		k.Sign(t, 22242, "", base),
		k.Sign(t, 1, strings.Repeat("x", 101), base),
		profileNew,
		profileOld,
		doomed,
		deletion,
		doomed,
		notTheirs,
		k.Sign(t, 7, "+", base),
		k.Sign(t, 20001, "typing", base),
	}
	want := []struct {
		o      relay.Outcome
		reason string
	}{
		{relay.OutcomeStored, ""},
		{relay.OutcomeDuplicate, "duplicate: already have this event"},
		{relay.OutcomeInvalid, "invalid: bad signature"},
		{relay.OutcomeInvalid, "invalid: event id does not match its content"},
		{relay.OutcomeExpired, "invalid: event is expired"},
		{relay.OutcomeInvalid, "invalid: AUTH events are sent with AUTH, not EVENT"},
		{relay.OutcomeInvalid, "invalid: content is longer than 100 bytes"},
		{relay.OutcomeStored, ""},
		{relay.OutcomeReplaced, "duplicate: a newer version of this event is stored"},
		{relay.OutcomeStored, ""},
		{relay.OutcomeStored, ""},
		{relay.OutcomeDeleted, "blocked: this event was deleted by its author"},
		{relay.OutcomeStored, ""},
		{relay.OutcomeRefused, "blocked: no likes from imports"},
		{relay.OutcomeEphemeral, ""},
	}
	got := ingestAll(t, tr, relay.IngestOptions{Source: policy.SourceImport, SourceInfo: "dump.jsonl", Workers: 3, Window: 4}, evs)
	for i, w := range want {
		if got[i].Outcome != w.o || got[i].Reason != w.reason {
			t.Errorf("event %d: got %v %q, want %v %q", i, got[i].Outcome, got[i].Reason, w.o, w.reason)
		}
	}
	if got[13].Policy != "nolikes" {
		t.Errorf("refusal names policy %q, want nolikes", got[13].Policy)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(inputs) == 0 {
		t.Fatal("the event policy never ran")
	}
	for _, in := range inputs {
		if in.source != policy.SourceImport || in.info != "dump.jsonl" || in.session || in.receivedAt < 1000 {
			t.Fatalf("policy saw %+v, want source Import, info dump.jsonl, no session, received_at set", in)
		}
	}
	// The store kept what the outcomes say: note, the newer profile, the
	// deletion request (doomed is gone); the foreign deletion is stored but
	// took nothing.
	c := wsc.Dial(t, tr.url)
	stored := c.Req("all", nostr.Filter{Authors: []string{k.PK, other.PK}})
	ids := map[string]bool{}
	for _, ev := range stored {
		ids[ev.ID] = true
	}
	for _, ev := range []*nostr.Event{note, profileNew, deletion, notTheirs} {
		if !ids[ev.ID] {
			t.Errorf("%s (kind %d) not stored", ev.ID, ev.Kind)
		}
	}
	if len(stored) != 4 {
		t.Errorf("%d events stored, want 4", len(stored))
	}
}

// TestIngestSkipVerify: a trusted dump skips the id and signature checks,
// and nothing else.
func TestIngestSkipVerify(t *testing.T) {
	tr := start(t, relay.Options{})
	k := wsc.NewKey()
	bad := k.Sign(t, 1, "trusted", now())
	bad.Sig = strings.Repeat("1", 128)
	got := ingestAll(t, tr, relay.IngestOptions{Source: policy.SourceImport, SkipVerify: true},
		[]*nostr.Event{bad, k.Sign(t, 1, "old", now(), nostr.Tag{"expiration", "10"})})
	if got[0].Outcome != relay.OutcomeStored || got[1].Outcome != relay.OutcomeExpired {
		t.Fatalf("got %+v, want stored then expired", got)
	}
}

// TestIngestOrderUnderSlowCheck: results, store order and broadcasts keep
// the submission order although a slow policy call holds the first event
// while other workers check the ones after it.
func TestIngestOrderUnderSlowCheck(t *testing.T) {
	const n = 50
	passed := make(chan struct{}, n)
	tr := start(t, relay.Options{}, enforce(&fnPolicy{name: "gate", eventPre: func(in *policy.EventInput) policy.Verdict {
		if in.Event.Content == "first" {
			for range n - 1 {
				<-passed // every later event has been checked
			}
			return policy.Verdict{}
		}
		passed <- struct{}{}
		return policy.Verdict{}
	}}))
	sub := wsc.Dial(t, tr.url)
	sub.Req("live", nostr.Filter{Kinds: []int{1}})
	k := wsc.NewKey()
	evs := []*nostr.Event{k.Sign(t, 1, "first", now())}
	for i := 1; i < n; i++ {
		evs = append(evs, k.Sign(t, 1, fmt.Sprint("later ", i), now()))
	}
	got := ingestAll(t, tr, relay.IngestOptions{Source: policy.SourceSync, Workers: 4, Window: n}, evs)
	for i, res := range got {
		if res.Outcome != relay.OutcomeStored {
			t.Fatalf("event %d: %+v", i, res)
		}
	}
	for i, ev := range evs {
		live := wsc.Event(t, sub.Expect("EVENT"))
		if live.ID != ev.ID {
			t.Fatalf("broadcast %d is %s, want %s (submission order)", i, live.ID, ev.ID)
		}
	}
}

// TestIngestBroadcastsOnlyAdmitted: live subscribers get the stored and
// ephemeral events, not the refused ones.
func TestIngestBroadcastsOnlyAdmitted(t *testing.T) {
	tr := start(t, relay.Options{})
	sub := wsc.Dial(t, tr.url)
	sub.Req("live", nostr.Filter{})
	k := wsc.NewKey()
	bad := k.Sign(t, 1, "bad", now())
	bad.Sig = strings.Repeat("2", 128)
	stored, eph := k.Sign(t, 1, "ok", now()), k.Sign(t, 20001, "eph", now())
	ingestAll(t, tr, relay.IngestOptions{Source: policy.SourceSync}, []*nostr.Event{bad, stored, eph})
	for _, want := range []*nostr.Event{stored, eph} {
		if got := wsc.Event(t, sub.Expect("EVENT")); got.ID != want.ID {
			t.Fatalf("live event %s, want %s", got.ID, want.ID)
		}
	}
}

// TestIngestAfterClose: a late event is answered, not lost or hung.
func TestIngestAfterClose(t *testing.T) {
	tr := start(t, relay.Options{})
	g := tr.r.NewIngester(relay.IngestOptions{})
	g.Close()
	ev := wsc.NewKey().Sign(t, 1, "late", now())
	raw, _ := ev.MarshalJSON()
	var res relay.IngestResult
	g.Submit(ev, raw, 0, func(r relay.IngestResult) { res = r })
	if res.Outcome != relay.OutcomeFailed || !errors.Is(res.Err, relay.ErrIngesterClosed) {
		t.Fatalf("got %+v, want ErrIngesterClosed", res)
	}
}
