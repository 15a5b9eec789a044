package relay_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/limits"
	"github.com/relayd/relayd/host/relay"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// TestRelayReconfigure: Reconfigure changes NIP-11 and the limits of the
// next message on open connections, which stay open and subscribed; an
// invalid change is refused whole; max_message_bytes keeps its value.
func TestRelayReconfigure(t *testing.T) {
	opts := relay.Options{Name: "one", Limits: lim(func(l *limits.Limits) { l.MaxContentBytes = 1000 })}
	tr := start(t, opts)
	sub, pub := wsc.Dial(t, tr.url), wsc.Dial(t, tr.url)
	k := wsc.NewKey()
	sub.Req("live", nostr.Filter{Kinds: []int{1}})
	long := strings.Repeat("x", 500)
	if ok := pub.Publish(k.Sign(t, 1, long, now())); !ok.Accepted {
		t.Fatalf("before: got %v, want accepted", ok)
	}
	sub.Expect("EVENT")

	opts.Name = "two"
	opts.Limits = lim(func(l *limits.Limits) { l.MaxContentBytes, l.MaxMessageBytes = 100, 4096 })
	if err := tr.r.Reconfigure(opts); err != nil {
		t.Fatal(err)
	}
	info := fetchInfo(t, tr.url)
	if info.Name != "two" || info.Limitation["max_content_length"] != float64(100) {
		t.Fatalf("NIP-11 after: name %q, limitation %v", info.Name, info.Limitation)
	}
	if got := info.Limitation["max_message_length"]; got != float64(limits.Default().MaxMessageBytes) {
		t.Fatalf("max_message_length: got %v, want the value the relay started with", got)
	}
	ok := pub.Publish(k.Sign(t, 1, long, now()))
	if ok.Accepted || ok.Reason != "invalid: content is longer than 100 bytes" {
		t.Fatalf("after: got %v, want the new refusal", ok)
	}
	short := k.Sign(t, 1, "short", now())
	if ok := pub.Publish(short); !ok.Accepted {
		t.Fatalf("after: got %v, want accepted", ok)
	}
	if ev := wsc.Event(t, sub.Expect("EVENT")); ev.ID != short.ID {
		t.Fatalf("subscriber got %s, want %s", ev.ID, short.ID)
	}

	bad := opts
	bad.Name = "three"
	bad.Limits.DefaultLimit = bad.Limits.MaxLimit + 1
	if err := tr.r.Reconfigure(bad); err == nil || !strings.Contains(err.Error(), "default_limit") {
		t.Fatalf("got %v, want an error naming default_limit", err)
	}
	if info := fetchInfo(t, tr.url); info.Name != "two" {
		t.Fatalf("a refused change applied: name %q", info.Name)
	}
}

// TestRelayReconfigureProxies: trusted_proxies apply to the next request.
func TestRelayReconfigureProxies(t *testing.T) {
	opts := relay.Options{}
	tr := start(t, opts)
	metrics := func() int {
		req, _ := http.NewRequest("GET", "http"+strings.TrimPrefix(tr.url, "ws")+"/metrics", nil)
		req.Header.Set("X-Forwarded-For", "127.0.0.1")
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if got := metrics(); got != http.StatusForbidden {
		t.Fatalf("forwarded by an unknown proxy: got %d, want 403", got)
	}
	opts.TrustedProxies = []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}
	if err := tr.r.Reconfigure(opts); err != nil {
		t.Fatal(err)
	}
	if got := metrics(); got != http.StatusOK {
		t.Fatalf("forwarded by a trusted proxy for a local client: got %d, want 200", got)
	}
}

// TestRelayReconfigureRelayURL: relay_url applies to the next AUTH.
func TestRelayReconfigureRelayURL(t *testing.T) {
	opts := relay.Options{}
	tr := start(t, opts)
	const url = "wss://relay.example.com"
	k := wsc.NewKey()
	if ok := wsc.Dial(t, tr.url).Auth(k.SK, url); ok.Accepted {
		t.Fatalf("before: AUTH for %s accepted without relay_url: %v", url, ok)
	}
	opts.RelayURL = url
	if err := tr.r.Reconfigure(opts); err != nil {
		t.Fatal(err)
	}
	if ok := wsc.Dial(t, tr.url).Auth(k.SK, url); !ok.Accepted {
		t.Fatalf("after: AUTH for %s: %v", url, ok)
	}
	opts.RelayURL = "https://not-a-relay"
	if err := tr.r.Reconfigure(opts); err == nil {
		t.Fatal("a relay_url that is not ws:// or wss:// was accepted")
	}
}
