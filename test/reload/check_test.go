package reload_test

import (
	"slices"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// judge returns which of old and new give rec's answer.
func judge(rec record, old, new version) (byOld, byNew bool) {
	match := func(v version) bool {
		want := v.reasons[rec.class]
		return rec.reason == want && rec.ok == (want == "")
	}
	return match(old), match(new)
}

// checkVerdicts checks one publisher's OKs against the versions in force:
// in epoch 2k exactly vs[k]; in epoch 2k+1 vs[k] or vs[k+1], and never
// vs[k] only after an answer only vs[k+1] gives (events on a connection
// are judged in order, and a swap is atomic).
func checkVerdicts(t *testing.T, pub int, recs []record, vs []version) {
	t.Helper()
	errs := 0
	report := func(format string, args ...any) {
		if errs++; errs <= 5 {
			t.Errorf("publisher %d: "+format, append([]any{pub}, args...)...)
		}
	}
	seenNew := map[int]bool{}
	for i, rec := range recs {
		k := rec.epoch / 2
		if rec.epoch%2 == 0 {
			if byOld, _ := judge(rec, vs[k], vs[k]); !byOld {
				report("event %d (%q, phase %d) got %v %q, want %q (%s)", i, classes[rec.class].content, k, rec.ok, rec.reason, vs[k].reasons[rec.class], vs[k].name)
			}
			continue
		}
		byOld, byNew := judge(rec, vs[k], vs[k+1])
		switch {
		case !byOld && !byNew:
			report("event %d (%q, moving to phase %d) got %v %q, want %q (%s) or %q (%s)", i, classes[rec.class].content, k+1,
				rec.ok, rec.reason, vs[k].reasons[rec.class], vs[k].name, vs[k+1].reasons[rec.class], vs[k+1].name)
		case byNew && !byOld:
			seenNew[rec.epoch] = true
		case byOld && !byNew && seenNew[rec.epoch]:
			report("event %d (%q) judged by %s after an event judged by %s", i, classes[rec.class].content, vs[k].name, vs[k+1].name)
		}
	}
	if errs > 5 {
		t.Errorf("publisher %d: %d verdict errors in all", pub, errs)
	}
}

// firstNew returns when the first OK that only new gives arrived, among
// the events sent in epoch, or the zero time.
func firstNew(pubs []*publisher, epoch int, old, new version) time.Time {
	var first time.Time
	for _, p := range pubs {
		for _, rec := range p.snapshot() {
			if byOld, byNew := judge(rec, old, new); rec.epoch == epoch && byNew && !byOld && (first.IsZero() || rec.at.Before(first)) {
				first = rec.at
			}
		}
	}
	return first
}

// accepted returns the ids of p's accepted events, in publish order.
func accepted(p *publisher) []string {
	var ids []string
	for _, rec := range p.snapshot() {
		if rec.ok {
			ids = append(ids, rec.id)
		}
	}
	return ids
}

// checkDelivery checks that every subscriber got exactly the accepted
// events of each publisher, once each, in publish order.
func checkDelivery(t *testing.T, pubs []*publisher, subs []*subscriber) {
	t.Helper()
	for _, p := range pubs {
		want := accepted(p)
		for j, s := range subs {
			got := s.got[p.key.PK]
			if slices.Equal(got, want) {
				continue
			}
			i := 0
			for i < len(got) && i < len(want) && got[i] == want[i] {
				i++
			}
			t.Errorf("subscriber %d, publisher %d: got %d events, want %d; first difference at %d", j, p.n, len(got), len(want), i)
		}
		t.Logf("publisher %d: %d events, %d accepted", p.n, len(p.snapshot()), len(want))
	}
}

// checkStored asks the relay for every published id: exactly the accepted
// ones must be stored.
func checkStored(t *testing.T, url string, pubs []*publisher) {
	t.Helper()
	c := wsc.Dial(t, url)
	for _, p := range pubs {
		recs := p.snapshot()
		for start := 0; start < len(recs); start += 500 {
			chunk := recs[start:min(start+500, len(recs))]
			ids := make([]string, len(chunk))
			for i, rec := range chunk {
				ids[i] = rec.id
			}
			stored := map[string]bool{}
			for _, ev := range c.Req("stored", nostr.Filter{IDs: ids, Limit: len(ids)}) {
				stored[ev.ID] = true
			}
			for _, rec := range chunk {
				if stored[rec.id] != rec.ok {
					t.Errorf("publisher %d: event %s (OK %v %q) stored=%v", p.n, rec.id, rec.ok, rec.reason, stored[rec.id])
				}
			}
		}
	}
}
