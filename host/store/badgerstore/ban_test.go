package badgerstore

import (
	"context"
	"encoding/hex"
	"errors"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/store"
)

func idOf(t testing.TB, e testEvent) [32]byte {
	t.Helper()
	b, err := hex.DecodeString(e.ev.ID)
	if err != nil {
		t.Fatal(err)
	}
	return [32]byte(b)
}

// TestBanEvent: a ban deletes the stored event and refuses it from then
// on, across a reopen, until it is lifted; other events are untouched.
func TestBanEvent(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pk := randHex32()
	a, b, c := makeEvent(pk, 1, 100, nil, "a"), makeEvent(pk, 1, 101, nil, "b"), makeEvent(pk, 1, 102, nil, "c")
	for _, e := range []testEvent{a, b} {
		if err := s.Save(ctx, e.ev, e.raw); err != nil {
			t.Fatal(err)
		}
	}
	steps := []struct {
		name        string
		do          func() (bool, error)
		wantFound   bool
		save        testEvent
		wantSaveErr error
	}{
		{"ban a stored event deletes it", func() (bool, error) { return s.BanEvent(ctx, idOf(t, a), "spam") }, true, a, store.ErrBanned},
		{"ban an event not stored yet", func() (bool, error) { return s.BanEvent(ctx, idOf(t, c), "") }, false, c, store.ErrBanned},
		{"ban again", func() (bool, error) { return s.BanEvent(ctx, idOf(t, a), "spam, really") }, false, a, store.ErrBanned},
		{"allow lifts it", func() (bool, error) { return s.AllowEvent(ctx, idOf(t, c)) }, true, c, nil},
		{"allow what is not banned", func() (bool, error) { return s.AllowEvent(ctx, idOf(t, c)) }, false, b, store.ErrDuplicate},
	}
	for _, st := range steps {
		found, err := st.do()
		if err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		if found != st.wantFound {
			t.Errorf("%s: got %v, want %v", st.name, found, st.wantFound)
		}
		if err := s.Save(ctx, st.save.ev, st.save.raw); !errors.Is(err, st.wantSaveErr) {
			t.Errorf("%s: save: got %v, want %v", st.name, err, st.wantSaveErr)
		}
	}
	if n := count(t, s, nostr.Filter{}); n != 2 { // b and c
		t.Errorf("stored: got %d, want 2", n)
	}
	if n := s.EventCount(); n != 2 {
		t.Errorf("EventCount: got %d, want 2", n)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer s.Close()
	bans, err := s.BannedEvents(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(bans) != 1 || bans[0].ID != idOf(t, a) || bans[0].Reason != "spam, really" {
		t.Errorf("bans after reopen: got %+v, want a with its last reason", bans)
	}
	if err := s.Save(ctx, a.ev, a.raw); !errors.Is(err, store.ErrBanned) {
		t.Errorf("save after reopen: got %v, want ErrBanned", err)
	}
	if n := count(t, s, nostr.Filter{}); n != 2 {
		t.Errorf("stored after reopen: got %d, want 2", n)
	}
	if n := s.EventCount(); n != 2 {
		t.Errorf("EventCount after reopen: got %d, want 2", n)
	}
	var problems []Problem
	if _, err := s.Check(ctx, func(p Problem) { problems = append(problems, p) }); err != nil || len(problems) > 0 {
		t.Errorf("fsck with bans: %v %v", problems, err)
	}
}

// TestHostSetting: host settings are durable and separate from events.
func TestHostSetting(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if _, found, err := s.HostSetting("nip11.name"); err != nil || found {
		t.Fatalf("unset: got found %v, %v", found, err)
	}
	for _, v := range []string{"first", "second"} {
		if err := s.SetHostSetting(ctx, "nip11.name", v); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	v, found, err := s.HostSetting("nip11.name")
	if err != nil || !found || v != "second" {
		t.Errorf("after reopen: got %q %v %v, want second", v, found, err)
	}
	if n := count(t, s, nostr.Filter{}); n != 0 {
		t.Errorf("events: got %d, want 0", n)
	}
}
