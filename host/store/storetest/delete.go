package storetest

import (
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/store"
)

// delCase is a sequence of saves followed by the events a query for all
// events must return.
type delCase struct {
	name  string
	steps []slotStep
	want  []signed
}

func (h harness) runDelCases(t *testing.T, tests []delCase) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := h.open(t)
			for _, st := range tc.steps {
				wantSaveErr(t, s, st.e, st.want)
			}
			wantIDs(t, s, nostr.Filter{}, tc.want...)
			for _, e := range tc.want {
				wantRaw(t, s, e)
			}
		})
	}
}

func eTags(es ...signed) nostr.Tags {
	var tags nostr.Tags
	for _, e := range es {
		tags = append(tags, nostr.Tag{"e", e.ev.ID})
	}
	return tags
}

func (h harness) testDeleteByID(t *testing.T) {
	alice, bob := newKey(t), newKey(t)
	n1 := alice.sign(t, 1, 10, nil, "n1")
	n2 := alice.sign(t, 1, 11, nil, "n2")
	n3 := alice.sign(t, 1, 12, nil, "n3")
	m := bob.sign(t, 1, 10, nil, "m")
	del := alice.sign(t, 5, 20, eTags(n1), "")
	delMany := alice.sign(t, 5, 20, append(eTags(n1, n2), nostr.Tag{"e", strings.Repeat("0", 64)}), "")
	delBob := alice.sign(t, 5, 20, eTags(m), "not yours")
	delDel := alice.sign(t, 5, 30, eTags(del), "")
	bad := alice.sign(t, 5, 20, nostr.Tags{{"e", "xyz"}, {"e"}, {"a", "nonsense"}}, "")
	r1 := alice.sign(t, 0, 10, nil, "{}")
	r2 := alice.sign(t, 0, 30, nil, "{}")
	delR1 := alice.sign(t, 5, 20, eTags(r1), "")
	a1 := alice.sign(t, 30023, 10, nostr.Tags{{"d", "x"}}, "a1")
	delA1 := alice.sign(t, 5, 20, eTags(a1), "")
	tests := []delCase{
		{"author deletes own event", []slotStep{{n1, nil}, {n2, nil}, {del, nil}}, []signed{n2, del}},
		{"deleted event cannot come back", []slotStep{{n1, nil}, {del, nil}, {n1, store.ErrDeleted}}, []signed{del}},
		{"deletion before the event", []slotStep{{del, nil}, {n1, store.ErrDeleted}}, []signed{del}},
		{"several e tags", []slotStep{{n1, nil}, {n2, nil}, {n3, nil}, {delMany, nil}}, []signed{n3, delMany}},
		{"other author's event is kept", []slotStep{{m, nil}, {delBob, nil}}, []signed{m, delBob}},
		{"other author's event can still arrive", []slotStep{{delBob, nil}, {m, nil}}, []signed{m, delBob}},
		{"deleting a deletion has no effect", []slotStep{{n1, nil}, {del, nil}, {delDel, nil}, {n1, store.ErrDeleted}},
			[]signed{del, delDel}},
		{"malformed tags are skipped", []slotStep{{n1, nil}, {bad, nil}}, []signed{n1, bad}},
		{"replaceable by id", []slotStep{{r1, nil}, {delR1, nil}, {r1, store.ErrDeleted}, {r2, nil}}, []signed{delR1, r2}},
		{"addressable by id", []slotStep{{a1, nil}, {delA1, nil}, {a1, store.ErrDeleted}}, []signed{delA1}},
	}
	h.runDelCases(t, tests)
}

func (h harness) testDeleteByAddress(t *testing.T) {
	alice, bob := newKey(t), newKey(t)
	dx := nostr.Tags{{"d", "x"}}
	addrX := nostr.Tags{{"a", "30023:" + alice.pk + ":x"}}
	v10 := alice.sign(t, 30023, 10, dx, "v10")
	v15 := alice.sign(t, 30023, 15, dx, "v15")
	v20 := alice.sign(t, 30023, 20, dx, "v20")
	v30 := alice.sign(t, 30023, 30, dx, "v30")
	y5 := alice.sign(t, 30023, 5, nostr.Tags{{"d", "y"}}, "y5")
	bobX := bob.sign(t, 30023, 10, dx, "bob's x")
	del20 := alice.sign(t, 5, 20, addrX, "")
	del10 := alice.sign(t, 5, 10, addrX, "")
	bobDel := bob.sign(t, 5, 20, addrX, "not yours")
	r10 := alice.sign(t, 10002, 10, nil, "")
	r30 := alice.sign(t, 10002, 30, nil, "")
	delR := alice.sign(t, 5, 20, nostr.Tags{{"a", "10002:" + alice.pk + ":"}}, "")
	both := alice.sign(t, 5, 20, append(eTags(y5), addrX...), "")
	tests := []delCase{
		{"removes the version at the address", []slotStep{{v10, nil}, {del20, nil}}, []signed{del20}},
		{"refuses older versions", []slotStep{{v10, nil}, {del20, nil}, {v15, store.ErrDeleted}}, []signed{del20}},
		{"refuses the same created_at", []slotStep{{del20, nil}, {v20, store.ErrDeleted}}, []signed{del20}},
		{"accepts newer versions", []slotStep{{v10, nil}, {del20, nil}, {v30, nil}}, []signed{del20, v30}},
		{"keeps a newer stored version", []slotStep{{v30, nil}, {del20, nil}}, []signed{v30, del20}},
		{"before the event arrives", []slotStep{{del20, nil}, {v10, store.ErrDeleted}, {v30, nil}}, []signed{del20, v30}},
		{"other d tags are kept", []slotStep{{y5, nil}, {v10, nil}, {del20, nil}}, []signed{y5, del20}},
		{"other authors at that d are kept", []slotStep{{bobX, nil}, {v10, nil}, {del20, nil}}, []signed{bobX, del20}},
		{"other author's request is ignored", []slotStep{{v10, nil}, {bobDel, nil}, {v15, nil}}, []signed{v15, bobDel}},
		{"an older request does not lower the bar", []slotStep{{del20, nil}, {del10, nil}, {v15, store.ErrDeleted}},
			[]signed{del20, del10}},
		{"replaceable address", []slotStep{{r10, nil}, {delR, nil}, {r10, store.ErrDeleted}, {r30, nil}}, []signed{delR, r30}},
		{"e and a tags together", []slotStep{{y5, nil}, {v10, nil}, {both, nil}}, []signed{both}},
	}
	h.runDelCases(t, tests)
}
