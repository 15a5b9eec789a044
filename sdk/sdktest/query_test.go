//go:build !wasip1

package sdktest_test

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/sdktest"
)

// TestStoreQueryAndTick checks the fake store behind sdk.StoreQuery (match,
// order, bounds, no store) and Host.Tick, with a tick that queries.
func TestStoreQueryAndTick(t *testing.T) {
	var got []string
	var truncated bool
	var qerr error
	filter := `{"kinds":[1],"authors":["` + strings.Repeat("b", 64) + `"],"#t":["x"]}`
	sdk.OnTick(func() error {
		r, err := sdk.StoreQuery(filter)
		got, truncated, qerr = nil, r.Truncated, err
		for _, ev := range r.Events {
			got = append(got, string(ev[strings.Index(string(ev), `"content":"`)+11:][:2]))
		}
		if err != nil {
			return fmt.Errorf("query: %w", err)
		}
		return nil
	})
	t.Cleanup(func() { sdk.OnTick(nil) })
	b := strings.Repeat("b", 64)
	evs := []sdktest.Event{
		{PubKey: b, Kind: 1, CreatedAt: 10, Content: "c1", Tags: [][]string{{"t", "x"}}},
		{PubKey: b, Kind: 1, CreatedAt: 30, Content: "c3", Tags: [][]string{{"t", "x"}}},
		{PubKey: b, Kind: 1, CreatedAt: 20, Content: "c2", Tags: [][]string{{"t", "x"}}},
		{PubKey: b, Kind: 1, CreatedAt: 40, Content: "no", Tags: [][]string{{"t", "y"}}},
		{PubKey: b, Kind: 7, CreatedAt: 50, Content: "no", Tags: [][]string{{"t", "x"}}},
		{Kind: 1, CreatedAt: 60, Content: "no", Tags: [][]string{{"t", "x"}}},
	}
	tests := []struct {
		name, settings string
		events         []sdktest.Event
		want           string
		truncated      bool
		err            error
	}{
		{"match and order", "", evs, "c3 c2 c1", false, nil},
		{"max events", "query_max_events = 2\n", evs, "c3 c2", true, nil},
		{"empty store", "", []sdktest.Event{}, "", false, nil},
		{"no store", "", nil, "", false, sdk.ErrUnavailable},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := sdktest.New(sdktest.Options{Settings: tc.settings, Events: tc.events})
			err := h.Tick()
			if !errors.Is(err, tc.err) && !(tc.err != nil && err != nil && errors.Is(qerr, tc.err)) {
				t.Fatalf("tick: %v, want %v", err, tc.err)
			}
			if s := strings.Join(got, " "); s != tc.want || truncated != tc.truncated {
				t.Errorf("got %q truncated %v, want %q truncated %v", s, truncated, tc.want, tc.truncated)
			}
		})
	}
}
