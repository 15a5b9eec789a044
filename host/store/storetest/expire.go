package storetest

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/store"
)

func expiresAt(unix int64) nostr.Tags {
	return nostr.Tags{{"expiration", strconv.FormatInt(unix, 10)}}
}

func (h harness) testExpiration(t *testing.T) {
	s := h.open(t)
	k := newKey(t)
	now := time.Now().Unix()
	t.Run("past expiration is refused", func(t *testing.T) {
		wantSaveErr(t, s, k.signAt(t, 1, now-10, expiresAt(now-1), "late"), store.ErrExpired)
		wantIDs(t, s, nostr.Filter{Authors: []string{k.pk}})
	})
	t.Run("hidden once expired", func(t *testing.T) {
		// The only test that waits on the wall clock: an event cannot be saved
		// already expired, and Query must hide it without DeleteExpired.
		exp := time.Now().Unix() + 2
		e := k.signAt(t, 1, exp-10, expiresAt(exp), "soon")
		keep := k.signAt(t, 1, exp-10, nil, "forever")
		mustSave(t, s, e, keep)
		wantIDs(t, s, nostr.Filter{Authors: []string{k.pk}}, e, keep)
		for time.Now().Unix() < exp {
			time.Sleep(50 * time.Millisecond)
		}
		wantIDs(t, s, nostr.Filter{Authors: []string{k.pk}}, keep)
		wantIDs(t, s, nostr.Filter{IDs: []string{e.ev.ID}})
		n, err := s.DeleteExpired(context.Background(), time.Now().Unix())
		if err != nil || n != 1 {
			t.Errorf("DeleteExpired: got %d, %v, want 1, nil", n, err)
		}
	})
}

func (h harness) testDeleteExpired(t *testing.T) {
	s := h.open(t)
	k := newKey(t)
	now := time.Now().Unix()
	e100 := k.signAt(t, 1, now, expiresAt(now+100), "e100")
	e200 := k.signAt(t, 1, now, expiresAt(now+200), "e200")
	r100 := k.signAt(t, 10002, now, expiresAt(now+100), "replaceable")
	forever := k.signAt(t, 1, now, nil, "forever")
	mustSave(t, s, e100, e200, r100, forever)
	tests := []struct {
		name string
		at   int64
		want int
		left []signed
	}{
		{"nothing yet", now + 99, 0, []signed{e100, e200, r100, forever}},
		{"at the expiration second", now + 100, 2, []signed{e200, forever}},
		{"again is a no-op", now + 150, 0, []signed{e200, forever}},
		{"the rest", now + 1000, 1, []signed{forever}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			n, err := s.DeleteExpired(context.Background(), tc.at)
			if err != nil || n != tc.want {
				t.Fatalf("got %d, %v, want %d, nil", n, err, tc.want)
			}
			wantIDs(t, s, nostr.Filter{Authors: []string{k.pk}}, tc.left...)
		})
	}
	// The slot of an expired replaceable event is free again.
	mustSave(t, s, k.signAt(t, 10002, now-5, nil, "older but alive"))
}
