package state_test

import (
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/relayd/relayd/host/wasmhost/state"
)

const sec = int64(time.Second)

func TestTake(t *testing.T) {
	tests := []struct {
		name      string
		at        int64 // seconds since start
		cost      int64
		wantWait  time.Duration
		wantError error
	}{
		{"full bucket", 0, 2, 0, nil},
		{"second take", 0, 1, 0, nil},
		{"empty", 0, 1, 500 * time.Millisecond, nil},
		{"refilled half", 0, 2, time.Second, nil},
		{"after one second", 1, 2, 0, nil},
		{"cost over burst", 1, 4, 0, state.ErrInvalid},
		{"zero cost", 1, 0, 0, state.ErrInvalid},
		{"long idle caps at burst", 100, 3, 0, nil},
		{"then empty", 100, 1, 500 * time.Millisecond, nil},
	}
	s := state.New(state.Limits{})
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wait, err := s.Take([]byte("k"), tc.cost, 2, 3, tc.at*sec)
			if wait != tc.wantWait || !errors.Is(err, tc.wantError) {
				t.Errorf("got %v, %v, want %v, %v", wait, err, tc.wantWait, tc.wantError)
			}
		})
	}
	if _, err := s.Take([]byte("k"), 1, 0, 3, 0); !errors.Is(err, state.ErrInvalid) {
		t.Errorf("zero rate: got %v, want ErrInvalid", err)
	}
}

func TestCounterTTL(t *testing.T) {
	s := state.New(state.Limits{})
	k := []byte("c")
	steps := []struct {
		name  string
		at    int64
		delta int64
		want  int64
	}{
		{"create", 0, 5, 5},
		{"add", 1, -2, 3},
		{"ttl is set at creation", 9, 1, 4},
		{"expired restarts", 10, 1, 1},
	}
	for _, st := range steps {
		got, err := s.CounterAdd(k, st.delta, 10*time.Second, st.at*sec)
		if err != nil || got != st.want {
			t.Errorf("%s: got %d, %v, want %d", st.name, got, err, st.want)
		}
	}
	if got, _ := s.CounterGet([]byte("absent"), 0); got != 0 {
		t.Errorf("absent: got %d, want 0", got)
	}
}

func TestKV(t *testing.T) {
	s := state.New(state.Limits{MaxValueLen: 8})
	get := func(key string, now int64) (string, error) {
		var out string
		err := s.KVGet([]byte(key), now, func(v []byte) { out = string(v) })
		return out, err
	}
	must := func(name string, err, want error) {
		t.Helper()
		if !errors.Is(err, want) {
			t.Errorf("%s: got %v, want %v", name, err, want)
		}
	}
	must("set", s.KVSet([]byte("a"), []byte("1"), time.Second, 0), nil)
	must("cas absent on present", s.KVCAS([]byte("a"), nil, true, []byte("2"), 0, 0), state.ErrMismatch)
	must("cas wrong old", s.KVCAS([]byte("a"), []byte("x"), false, []byte("2"), 0, 0), state.ErrMismatch)
	must("cas", s.KVCAS([]byte("a"), []byte("1"), false, []byte("2"), time.Second, 0), nil)
	if v, err := get("a", 0); v != "2" || err != nil {
		t.Errorf("get: got %q, %v, want 2", v, err)
	}
	if _, err := get("a", sec); !errors.Is(err, state.ErrNotFound) {
		t.Errorf("expired: got %v, want ErrNotFound", err)
	}
	must("cas absent after expiry", s.KVCAS([]byte("a"), nil, true, []byte("3"), 0, sec), nil)
	must("too large", s.KVSet([]byte("b"), []byte("123456789"), 0, 0), state.ErrTooLarge)
	must("delete", s.KVDelete([]byte("a"), sec), nil)
	must("delete again", s.KVDelete([]byte("a"), sec), state.ErrNotFound)
}

func TestEviction(t *testing.T) {
	s := state.New(state.Limits{MaxKeys: 160})
	for i := range 10000 {
		if _, err := s.CounterAdd([]byte(strconv.Itoa(i)), 1, 0, 0); err != nil {
			t.Fatal(err)
		}
	}
	st := s.Stats()
	if st.Counters > 160 || st.Evicted != uint64(10000-st.Counters) {
		t.Errorf("got %+v, want at most 160 counters and the rest evicted", st)
	}
	// The most recent key survives.
	if v, _ := s.CounterGet([]byte("9999"), 0); v != 1 {
		t.Errorf("newest key: got %d, want 1", v)
	}
}

// TestTakeExact hammers one bucket that does not refill in practice: the
// number of successful takes must equal the burst exactly.
func TestTakeExact(t *testing.T) {
	const burst, workers, per = 1000, 8, 400
	s := state.New(state.Limits{})
	var ok atomic.Int64
	var wg sync.WaitGroup
	for range workers {
		wg.Go(func() {
			for range per {
				if w, err := s.Take([]byte("b"), 1, 1e-9, burst, time.Now().UnixNano()); err == nil && w == 0 {
					ok.Add(1)
				}
			}
		})
	}
	wg.Wait()
	if ok.Load() != burst {
		t.Errorf("accepted: got %d, want %d", ok.Load(), burst)
	}
}
