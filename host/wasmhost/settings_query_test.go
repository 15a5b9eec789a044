package wasmhost

import (
	"testing"
	"time"
)

// Test_queryTick checks the store_query and tick settings: defaults,
// values, the Manager's defaults and the bounds.
func Test_queryTick(t *testing.T) {
	tests := []struct {
		name     string
		s, def   Settings
		want     queryLimits
		every    time.Duration
		deadline time.Duration
		err      string
	}{
		{name: "defaults", want: queryLimits{1000, 4 << 20, time.Second}, every: time.Minute, deadline: 30 * time.Second},
		{name: "set", s: Settings{QueryMaxEvents: 5, QueryMaxBytes: 100, QueryTimeoutMS: 20, TickMS: 10, TickTimeoutMS: 7},
			want: queryLimits{5, 100, 20 * time.Millisecond}, every: 10 * time.Millisecond, deadline: 7 * time.Millisecond},
		{name: "manager defaults", def: Settings{QueryMaxEvents: 7, TickMS: 5},
			want: queryLimits{7, 4 << 20, time.Second}, every: 10 * time.Millisecond, deadline: 30 * time.Second},
		{name: "tick too often", s: Settings{TickMS: 5}, err: "tick_ms 5: under 10"},
		{name: "too many events", s: Settings{QueryMaxEvents: 100001}, err: "query_max_events 100001: over 100000"},
		{name: "bytes under a header", s: Settings{QueryMaxBytes: 4}, err: "query_max_bytes 4: under 8"},
		{name: "negative", s: Settings{QueryTimeoutMS: -1}, err: "query_timeout_ms -1: want a positive number"},
		{name: "long tick", s: Settings{TickTimeoutMS: 600001}, err: "tick_timeout_ms 600001: over 600000"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := tc.s.resolve(tc.def, 1)
			if tc.err != "" {
				if err == nil || err.Error() != tc.err {
					t.Fatalf("got %v, want %s", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if r.query != tc.want || r.tickEvery != tc.every || r.tickTime != tc.deadline {
				t.Errorf("got %+v, every %v, deadline %v; want %+v, %v, %v", r.query, r.tickEvery, r.tickTime, tc.want, tc.every, tc.deadline)
			}
		})
	}
}
