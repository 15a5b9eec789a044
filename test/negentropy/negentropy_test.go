package negentropy_test

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/reconcile"
	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/wasmbuild"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// TestClientSyncsWithRelayd: host/reconcile against relayd with thousands
// of differences each way, then the work `relayd sync` does on the same
// connection (REQ by ids in batches, EVENTs counted by their OKs), and a
// second reconciliation that finds nothing left.
func TestClientSyncsWithRelayd(t *testing.T) {
	r := relaydtest.Start(t, relaydtest.Default(""))
	k := wsc.NewKey()
	base := nostr.Now() - 100000
	relayOnly, localOnly, shared := notes(t, k, "relay", 2500, base), notes(t, k, "local", 2500, base+3), notes(t, k, "shared", 1000, base+7)
	publish(t, r.URL, append(slices.Clone(relayOnly), shared...))
	filter := nostr.Filter{Kinds: []int{1}, Authors: []string{k.PK}}
	c, ctx := dial(t, r.URL)
	res, err := c.Reconcile(ctx, filter, setOf(t, localOnly, shared))
	if err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(res.Need, idsOf(relayOnly)) || !slices.Equal(res.Have, idsOf(localOnly)) {
		t.Fatalf("need %d have %d, want %d and %d", len(res.Need), len(res.Have), len(relayOnly), len(localOnly))
	}
	t.Logf("%d events each side, %d differences each way: %d rounds, %d bytes sent, %d received",
		len(relayOnly)+len(shared), len(relayOnly), res.Rounds, res.BytesSent, res.BytesReceived)

	got := download(t, ctx, c, res.Need)
	if !slices.Equal(idsOf(got), res.Need) {
		t.Fatalf("downloaded %d events, want %d", len(got), len(res.Need))
	}
	byID := map[string]*nostr.Event{}
	for _, ev := range localOnly {
		byID[ev.ID] = ev
	}
	upload(t, ctx, c, res.Have, byID)
	again, err := c.Reconcile(ctx, filter, setOf(t, localOnly, shared, got))
	if err != nil {
		t.Fatal(err)
	}
	if len(again.Have)+len(again.Need) != 0 {
		t.Fatalf("after the sync: have %d need %d, want none", len(again.Have), len(again.Need))
	}
}

// download fetches ids by REQ, 500 a batch.
func download(t *testing.T, ctx context.Context, c *reconcile.Conn, ids []string) []*nostr.Event {
	t.Helper()
	var out []*nostr.Event
	for i := 0; i < len(ids); i += 500 {
		batch := ids[i:min(i+500, len(ids))]
		sub := "dl" + strconv.Itoa(i)
		msg, _ := json.Marshal([]any{"REQ", sub, nostr.Filter{IDs: batch, Limit: len(batch)}})
		if err := c.Send(ctx, msg); err != nil {
			t.Fatal(err)
		}
		for done := false; !done; {
			m, err := c.Receive(ctx)
			if err != nil {
				t.Fatal(err)
			}
			var arr []json.RawMessage
			json.Unmarshal(m, &arr)
			switch wsc.Label(arr) {
			case "EVENT":
				out = append(out, wsc.Event(t, arr))
			case "EOSE":
				done = true
			default:
				t.Fatalf("got %s", m)
			}
		}
	}
	return out
}

// upload publishes the events of ids, all in flight, and counts the OKs.
func upload(t *testing.T, ctx context.Context, c *reconcile.Conn, ids []string, byID map[string]*nostr.Event) {
	t.Helper()
	for _, id := range ids {
		msg, _ := json.Marshal([]any{"EVENT", byID[id]})
		if err := c.Send(ctx, msg); err != nil {
			t.Fatal(err)
		}
	}
	for stored := 0; stored < len(ids); stored++ {
		m, err := c.Receive(ctx)
		if err != nil {
			t.Fatal(err)
		}
		var arr []json.RawMessage
		json.Unmarshal(m, &arr)
		var accepted bool
		if wsc.Label(arr) != "OK" || json.Unmarshal(arr[2], &accepted) != nil || !accepted {
			t.Fatalf("got %s, want OK true", m)
		}
	}
}

// TestAntiscrapeGuardsNegentropy: the antiscrape plugin (real WASM) that
// refuses and clamps REQ filters does the same to NEG-OPEN filters, so
// negentropy is no way around it.
func TestAntiscrapeGuardsNegentropy(t *testing.T) {
	wasm := wasmbuild.Build(t, "../../plugins/antiscrape")
	r := plugintest.Start(t, "antiscrape", wasm, "order = 20\n")
	k := wsc.NewKey()
	evs := notes(t, k, "note", 300, nostr.Now()-1000)
	publish(t, r.URL, evs)
	c, ctx := dial(t, r.URL)

	_, err := c.Reconcile(ctx, nostr.Filter{}, setOf(t))
	var re *reconcile.RelayError
	if !errors.As(err, &re) || re.Label != "NEG-ERR" || re.Reason != "blocked: empty filters are not allowed; name kinds, authors, ids or tags" {
		t.Fatalf("empty filter: got %v, want the plugin's refusal", err)
	}
	req := wsc.Dial(t, r.URL).Req("feed", nostr.Filter{Kinds: []int{1}})
	res, err := c.Reconcile(ctx, nostr.Filter{Kinds: []int{1}}, setOf(t))
	if err != nil {
		t.Fatal(err)
	}
	if len(req) != 100 || !slices.Equal(res.Need, idsOf(req)) {
		t.Fatalf("kind-only filter: REQ got %d events, NEG offered %d ids; want the same 100 (clamped)", len(req), len(res.Need))
	}
	res, err = c.Reconcile(ctx, nostr.Filter{Kinds: []int{1}, Authors: []string{k.PK}}, setOf(t))
	if err != nil || len(res.Need) != len(evs) {
		t.Fatalf("selective filter: %v, %d ids, want all %d", err, len(res.Need), len(evs))
	}
}

// TestConfig: relayd.toml's negentropy settings reach the relay: 77 in
// NIP-11 and sessions by default; neither with negentropy = false; the
// event bound from max_negentropy_events.
func TestConfig(t *testing.T) {
	tests := []struct {
		name    string
		enabled bool
		max     int
		negErr  string
	}{
		{"default", true, 0, ""},
		{"disabled", false, 0, "blocked: negentropy (NIP-77) is disabled on this relay"},
		{"small bound", true, 2, "blocked: too many events; narrow the filter"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cfg := relaydtest.Default("")
			cfg.Negentropy = tc.enabled
			if tc.max > 0 {
				cfg.MaxNegentropyEvents = tc.max
			}
			r := relaydtest.Start(t, cfg)
			if got := slices.Contains(plugintest.NIP11(t, r.URL).SupportedNIPs, 77); got != tc.enabled {
				t.Fatalf("77 in supported_nips: %v, want %v", got, tc.enabled)
			}
			k := wsc.NewKey()
			publish(t, r.URL, notes(t, k, "n", 3, nostr.Now()-10))
			c, ctx := dial(t, r.URL)
			res, err := c.Reconcile(ctx, nostr.Filter{Authors: []string{k.PK}}, setOf(t))
			var re *reconcile.RelayError
			switch {
			case tc.negErr == "" && (err != nil || len(res.Need) != 3):
				t.Fatalf("got %v, %v; want 3 ids", res, err)
			case tc.negErr != "" && (!errors.As(err, &re) || re.Reason != tc.negErr):
				t.Fatalf("got %v, want NEG-ERR %q", err, tc.negErr)
			}
		})
	}
}
