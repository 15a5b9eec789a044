package assemblyscript

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/store/badgerstore"
	"github.com/relayd/relayd/host/wasmhost"
	"github.com/relayd/relayd/internal/testing/asbuild"
	"github.com/relayd/relayd/internal/testing/relaydtest"
)

// loadNew builds testdata/sdknew and loads it on a real badger store
// holding three kind-1 events ("note 0 xxx…" newest), each over 2 KiB so
// that two overflow the SDK's 4 KiB query buffer.
func loadNew(t *testing.T) (*wasmhost.Manager, policy.Policy) {
	t.Helper()
	dir := t.TempDir()
	st, err := badgerstore.Open(t.TempDir(), badgerstore.Options{DiskReserve: 1 << 20, MemTableSize: 4 << 20, BlockCacheSize: 1 << 20, IndexCacheSize: 1 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	for i := range 3 {
		ev := &nostr.Event{PubKey: strings.Repeat("a", 64), CreatedAt: nostr.Timestamp(1700000000 - i), Kind: 1,
			Tags: nostr.Tags{}, Content: fmt.Sprintf("note %d %s", i, strings.Repeat("x", 2500)), Sig: strings.Repeat("f", 128)}
		ev.ID = ev.GetID()
		raw, _ := ev.MarshalJSON()
		if err := st.Save(context.Background(), ev, raw); err != nil {
			t.Fatal(err)
		}
	}
	relaydtest.CopyPlugin(t, dir, "sdknew", asbuild.Build(t, "testdata/sdknew"), "pool = 1\nquery_max_events = 2\ntick_ms = 3600000\n")
	m, err := wasmhost.NewManager(wasmhost.Options{Dir: dir, Store: st, Logger: slog.New(slog.DiscardHandler)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if err := m.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m, m.Holder().Load().Entries()[0].Policy
}

// TestStoreQuery: storeQuery through the real host on badger: the events
// newest first, read whole past the SDK's first buffer (the retry), the
// host's cut (query_max_events = 2) as truncated, a filter's own limit not.
func TestStoreQuery(t *testing.T) {
	_, p := loadNew(t)
	tests := []struct{ filter, want string }{
		{`{"kinds":[1]}`, "2 true|note 0 xxxxx|note 1 xxxxx"},
		{`{"kinds":[1],"limit":1}`, "1 false|note 0 xxxxx"},
		{`{"kinds":[7]}`, "0 false"},
		{`[1]`, "error -4"},
	}
	for _, tc := range tests {
		t.Run(tc.filter, func(t *testing.T) {
			v, err := call(p, "query", tc.filter, 1)
			if err != nil {
				t.Fatal(err)
			}
			if v.Message != tc.want {
				t.Errorf("got %q, want %q", v.Message, tc.want)
			}
		})
	}
}

// TestManage: the methods onManage declared are served, with the result,
// true, or the handler's refusal.
func TestManage(t *testing.T) {
	m, _ := loadNew(t)
	if got := m.ManageMethods(); !slices.Equal(got, []string{"echo", "nop"}) {
		t.Fatalf("methods %v, want [echo nop]", got)
	}
	tests := []struct {
		method, params, want, refusal string
	}{
		{"echo", `["gm \"nostr\""]`, `"gm \"nostr\""`, ""},
		{"nop", `[]`, `true`, ""},
		{"echo", `[1]`, "", "want a string param"},
	}
	for _, tc := range tests {
		t.Run(tc.method+tc.params, func(t *testing.T) {
			res, err := m.Manage(context.Background(), tc.method, json.RawMessage(tc.params))
			var me *wasmhost.MethodError
			switch {
			case tc.refusal != "":
				if !errors.As(err, &me) || me.Message != tc.refusal {
					t.Errorf("got %s, %v; want the refusal %q", res, err, tc.refusal)
				}
			case err != nil || string(res) != tc.want:
				t.Errorf("got %s, %v; want %s", res, err, tc.want)
			}
		})
	}
}

// TestTick: the relay calls the onTick handler once the plugin loads; it
// writes shared state the test reads.
func TestTick(t *testing.T) {
	m, _ := loadNew(t)
	sp := m.SharedState("sdknew")
	deadline := time.Now().Add(time.Minute) // the tick instance compiles on a loaded machine
	for {
		var got string
		_ = sp.KVGet([]byte("ticked"), time.Now().UnixNano(), func(v []byte) { got = string(v) })
		if got == "yes" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal("no tick wrote \"ticked\" within a minute")
		}
		time.Sleep(10 * time.Millisecond)
	}
}
