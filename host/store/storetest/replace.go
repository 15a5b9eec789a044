package storetest

import (
	"strconv"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/store"
)

// slotCase is one order of saves into a replaceable or addressable slot: each
// step saves an event and expects an error (nil for stored); keep lists the
// steps whose events the slot holds at the end.
type slotCase struct {
	name  string
	steps []slotStep
	keep  []int
}

type slotStep struct {
	e    signed
	want error
}

func (h harness) runSlotCases(t *testing.T, tests []slotCase, slot nostr.Filter) {
	t.Helper()
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := h.open(t)
			for _, st := range tc.steps {
				wantSaveErr(t, s, st.e, st.want)
			}
			var keep []signed
			for _, i := range tc.keep {
				keep = append(keep, tc.steps[i].e)
			}
			wantIDs(t, s, slot, keep...)
		})
	}
}

// lowHigh returns two events at the same created_at, the lower id first.
func lowHigh(t *testing.T, k key, kind int, at int64, tags nostr.Tags) (signed, signed) {
	a := k.sign(t, kind, at, tags, "a")
	b := k.sign(t, kind, at, tags, "b")
	if b.ev.ID < a.ev.ID {
		a, b = b, a
	}
	return a, b
}

func (h harness) testReplaceable(t *testing.T) {
	for _, kind := range []int{0, 3, 10002, 19999} {
		t.Run(kindName(kind), func(t *testing.T) {
			alice, bob := newKey(t), newKey(t)
			v1 := alice.sign(t, kind, 10, nil, "v1")
			v2 := alice.sign(t, kind, 20, nil, "v2")
			low, high := lowHigh(t, alice, kind, 30, nil)
			other := bob.sign(t, kind, 5, nil, "bob")
			// Replaceable kinds ignore d tags: these share one slot.
			d1 := alice.sign(t, kind, 40, nostr.Tags{{"d", "one"}}, "d1")
			d2 := alice.sign(t, kind, 50, nostr.Tags{{"d", "two"}}, "d2")
			tests := []slotCase{
				{"newer replaces older", []slotStep{{v1, nil}, {v2, nil}}, []int{1}},
				{"older is refused", []slotStep{{v2, nil}, {v1, store.ErrReplaced}}, []int{0}},
				{"replaced one cannot come back", []slotStep{{v1, nil}, {v2, nil}, {v1, store.ErrReplaced}}, []int{1}},
				{"tie: lower id replaces higher", []slotStep{{high, nil}, {low, nil}}, []int{1}},
				{"tie: higher id is refused", []slotStep{{low, nil}, {high, store.ErrReplaced}}, []int{0}},
				{"same event twice", []slotStep{{v1, nil}, {v1, store.ErrDuplicate}}, []int{0}},
				{"authors have separate slots", []slotStep{{v2, nil}, {other, nil}}, []int{0, 1}},
				{"d tag is ignored", []slotStep{{d1, nil}, {d2, nil}}, []int{1}},
			}
			h.runSlotCases(t, tests, nostr.Filter{Kinds: []int{kind}})
		})
	}
}

func (h harness) testAddressable(t *testing.T) {
	for _, kind := range []int{30000, 30023, 39999} {
		t.Run(kindName(kind), func(t *testing.T) {
			alice, bob := newKey(t), newKey(t)
			dx := nostr.Tags{{"d", "x"}}
			v1 := alice.sign(t, kind, 10, dx, "v1")
			v2 := alice.sign(t, kind, 20, dx, "v2")
			low, high := lowHigh(t, alice, kind, 30, dx)
			y := alice.sign(t, kind, 5, nostr.Tags{{"d", "y"}}, "y")
			other := bob.sign(t, kind, 5, dx, "bob")
			noD1 := alice.sign(t, kind, 10, nil, "no d")
			noD2 := alice.sign(t, kind, 20, nostr.Tags{{"d", ""}}, "empty d")
			twoD := alice.sign(t, kind, 40, nostr.Tags{{"d", "x"}, {"d", "y"}}, "first d counts")
			tests := []slotCase{
				{"newer replaces older", []slotStep{{v1, nil}, {v2, nil}}, []int{1}},
				{"older is refused", []slotStep{{v2, nil}, {v1, store.ErrReplaced}}, []int{0}},
				{"tie: lower id replaces higher", []slotStep{{high, nil}, {low, nil}}, []int{1}},
				{"tie: higher id is refused", []slotStep{{low, nil}, {high, store.ErrReplaced}}, []int{0}},
				{"d tags have separate slots", []slotStep{{v1, nil}, {y, nil}}, []int{0, 1}},
				{"authors have separate slots", []slotStep{{v1, nil}, {other, nil}}, []int{0, 1}},
				{"no d tag is the empty d", []slotStep{{noD1, nil}, {noD2, nil}}, []int{1}},
				{"first d tag counts", []slotStep{{v1, nil}, {y, nil}, {twoD, nil}}, []int{1, 2}},
			}
			h.runSlotCases(t, tests, nostr.Filter{Kinds: []int{kind}})
		})
	}
}

func kindName(kind int) string {
	return "kind " + strconv.Itoa(kind)
}
