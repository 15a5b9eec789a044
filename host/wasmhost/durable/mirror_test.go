package durable_test

import (
	"context"
	"testing"
	"time"

	"github.com/relayd/relayd/host/wasmhost/durable"
	"github.com/relayd/relayd/sdk/abi"
)

// recorder is a durable.Mirror that keeps what it is handed, as the
// cluster's publisher queue would (host/cluster/sharedstate runs the real
// one against NATS); refuse makes it full.
type recorder struct {
	seqs   []uint64
	refuse bool
}

func (r *recorder) Publish(seq uint64, _ string, _ []byte, _ bool) bool {
	if r.refuse {
		return false
	}
	r.seqs = append(r.seqs, seq)
	return true
}

// TestMirrorOrder drives a Space's cluster mirror by hand, step by step,
// through the cases of "Cluster mirror": an older entry never undoes an
// own write, an entry held back while an own write is unacknowledged is
// applied if the log has it later, a full mirror refuses the write.
func TestMirrorOrder(t *testing.T) {
	d := &disk{}
	d.free.Store(1 << 40)
	st := openStore(t, t.TempDir(), d)
	defer st.Close()
	sp := newSpace(t, st, durable.Limits{})
	defer func() {
		// Bounded: a failed step may leave a write unacknowledged.
		c, cancel := context.WithTimeout(ctx, time.Second)
		defer cancel()
		sp.Close(c)
	}()
	rec := &recorder{}
	sp.SetMirror(rec)
	get := func() string {
		buf := make([]byte, 16)
		n := sp.Get([]byte("k"), buf)
		if n < 0 {
			return "<none>"
		}
		return string(buf[:n])
	}
	steps := []struct {
		name string
		do   func()
		want string
	}{
		{"own write", func() { sp.Put([]byte("k"), []byte("mine"), 0) }, "mine"},
		{"older entry while unacknowledged: held back", func() { sp.Apply("k", []byte("old"), false, 5) }, "mine"},
		{"acknowledged at 7: the held entry (5) is older", func() { sp.Acked(1, "k", 7) }, "mine"},
		{"a stale entry (6) after the ack", func() { sp.Apply("k", []byte("stale"), false, 6) }, "mine"},
		{"own echo (7)", func() { sp.Apply("k", []byte("mine"), false, 7) }, "mine"},
		{"a later entry (9)", func() { sp.Apply("k", []byte("theirs"), false, 9) }, "theirs"},
		{"own write again", func() { sp.Put([]byte("k"), []byte("mine2"), 0) }, "mine2"},
		{"later entry (12) while unacknowledged: held back", func() { sp.Apply("k", []byte("later"), false, 12) }, "mine2"},
		{"acknowledged at 11: the held entry (12) wins", func() { sp.Acked(2, "k", 11) }, "later"},
		{"a deletion (13)", func() { sp.Apply("k", nil, true, 13) }, "<none>"},
	}
	for _, s := range steps {
		s.do()
		if got := get(); got != s.want {
			t.Fatalf("%s: k = %q, want %q", s.name, got, s.want)
		}
	}
	rec.refuse = true
	if e := sp.Put([]byte("k"), []byte("x"), 0); e != abi.ErrUnavailable || get() != "<none>" {
		t.Fatalf("write refused by a full mirror: %v, k = %q", e, get())
	}
}
