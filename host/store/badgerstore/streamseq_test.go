package badgerstore

import (
	"errors"
	"testing"

	"github.com/relayd/relayd/host/store"
)

// TestStreamSeq checks that SubmitSeq commits the highest sequence with the
// events, refused ones included, and that it survives a reopen.
func TestStreamSeq(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if seq, err := s.StreamSeq(); err != nil || seq != 0 {
		t.Fatalf("new store: StreamSeq = %d, %v; want 0", seq, err)
	}
	pk := randHex32()
	a := makeEvent(pk, 1, 1000, nil, "a")
	b := makeEvent(pk, 1, 1001, nil, "b")
	tests := []struct {
		ev   testEvent
		seq  uint64
		want error
	}{
		{a, 3, nil},
		{b, 4, nil},
		{a, 7, store.ErrDuplicate}, // refused by a rule: the sequence still moves on
	}
	for _, tc := range tests {
		res := make(chan error, 1)
		s.SubmitSeq(tc.ev.ev, tc.ev.raw, tc.seq, func(err error) { res <- err })
		if err := <-res; !errors.Is(err, tc.want) && err != tc.want {
			t.Fatalf("seq %d: %v, want %v", tc.seq, err, tc.want)
		}
		if seq, err := s.StreamSeq(); err != nil || seq != tc.seq {
			t.Fatalf("after seq %d: StreamSeq = %d, %v", tc.seq, seq, err)
		}
	}
	// A plain Submit leaves the sequence alone.
	res := make(chan error, 1)
	c := makeEvent(pk, 1, 1002, nil, "c")
	s.Submit(c.ev, c.raw, func(err error) { res <- err })
	if err := <-res; err != nil {
		t.Fatal(err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	s, err = Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if seq, err := s.StreamSeq(); err != nil || seq != 7 {
		t.Fatalf("reopened: StreamSeq = %d, %v; want 7", seq, err)
	}
}
