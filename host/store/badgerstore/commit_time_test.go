package badgerstore

import (
	"strconv"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"
)

// Test_onCommitOncePerTransaction: Options.OnCommit hears of every
// committed transaction exactly once, also when batches too large for one
// transaction are split by commitSaves calling itself.
func Test_onCommitOncePerTransaction(t *testing.T) {
	var calls int // the writer goroutine's; read after submitAll returns
	s := openTest(t, Options{MemTableSize: 1 << 20, OnCommit: func(d time.Duration) {
		if d <= 0 {
			t.Errorf("commit took %v", d)
		}
		calls++
	}})
	pk := randHex32()
	var es []testEvent
	for i := range 300 {
		var tags nostr.Tags
		for j := range 50 {
			tags = append(tags, nostr.Tag{"t", strconv.Itoa(i*100 + j)})
		}
		es = append(es, makeEvent(pk, 1, int64(1000+i), tags, ""))
	}
	for i, err := range submitAll(s, es, 4) {
		if err != nil {
			t.Fatalf("event %d: %v", i, err)
		}
	}
	if n := s.commits.Load(); uint64(calls) != n || n < 2 {
		t.Fatalf("OnCommit called %d times for %d commits (want equal, and a split batch)", calls, n)
	}
}
