package relay_test

import (
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/relay"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// fnPolicy is a native policy built from functions; nil hooks accept.
type fnPolicy struct {
	policy.Base
	name     string
	connect  func(*policy.ConnInput) policy.Verdict
	eventPre func(*policy.EventInput) policy.Verdict
	event    func(*policy.EventInput) policy.Verdict
	filter   func(*policy.FilterInput) policy.Verdict
	auth     func(*policy.AuthInput) policy.Verdict
	deliver  func(*policy.DeliverInput) policy.Verdict
	closed   func(*policy.Session)
	err      error // returned by every hook when set
}

func (p *fnPolicy) Name() string { return p.name }

func (p *fnPolicy) Hooks() policy.HookSet {
	var hs []policy.Hook
	if p.connect != nil {
		hs = append(hs, policy.HookConnect)
	}
	if p.eventPre != nil {
		hs = append(hs, policy.HookEventPre)
	}
	if p.event != nil {
		hs = append(hs, policy.HookEvent)
	}
	if p.filter != nil {
		hs = append(hs, policy.HookReq, policy.HookCount)
	}
	if p.auth != nil {
		hs = append(hs, policy.HookAuth)
	}
	if p.deliver != nil {
		hs = append(hs, policy.HookDeliver)
	}
	if p.closed != nil {
		hs = append(hs, policy.HookClose)
	}
	return policy.Hooks(hs...)
}

func (p *fnPolicy) Connect(_ context.Context, in *policy.ConnInput) (policy.Verdict, error) {
	return p.connect(in), p.err
}
func (p *fnPolicy) EventPre(_ context.Context, in *policy.EventInput) (policy.Verdict, error) {
	return p.eventPre(in), p.err
}
func (p *fnPolicy) Event(_ context.Context, in *policy.EventInput) (policy.Verdict, error) {
	return p.event(in), p.err
}
func (p *fnPolicy) Filter(_ context.Context, in *policy.FilterInput) (policy.Verdict, error) {
	return p.filter(in), p.err
}
func (p *fnPolicy) Auth(_ context.Context, in *policy.AuthInput) (policy.Verdict, error) {
	return p.auth(in), p.err
}
func (p *fnPolicy) Deliver(_ context.Context, in *policy.DeliverInput) (policy.Verdict, error) {
	return p.deliver(in), p.err
}
func (p *fnPolicy) Close(_ context.Context, s *policy.Session) { p.closed(s) }

func enforce(p policy.Policy) policy.Entry { return policy.Entry{Policy: p} }

func TestPolicyConnectRefusesUpgrade(t *testing.T) {
	tr := start(t, relay.Options{}, enforce(&fnPolicy{name: "gate", connect: func(in *policy.ConnInput) policy.Verdict {
		if in.Session.Headers["user-agent"] == "badbot" {
			return policy.Verdict{Action: policy.RateLimited, Message: "slow down"}
		}
		return policy.Verdict{}
	}}))
	d := ws.Dialer{Header: ws.HandshakeHeaderHTTP{"User-Agent": []string{"badbot"}}}
	_, _, _, err := d.Dial(context.Background(), tr.url)
	var se ws.StatusError
	if !errors.As(err, &se) || int(se) != 429 {
		t.Fatalf("got %v, want HTTP 429", err)
	}
	wsc.Dial(t, tr.url) // others still get in
}

// TestPolicyEventPreRunsBeforeSignature: a pre-signature policy decides on
// an event whose signature is bad (it never got verified); a post-signature
// policy never sees it.
func TestPolicyEventPreRunsBeforeSignature(t *testing.T) {
	var postCalls atomic.Int32
	tr := start(t, relay.Options{},
		enforce(&fnPolicy{name: "pre", eventPre: func(in *policy.EventInput) policy.Verdict {
			if in.Event.Content == "shed" {
				return policy.Verdict{Action: policy.RateLimited, Message: "too fast"}
			}
			return policy.Verdict{}
		}}),
		enforce(&fnPolicy{name: "post", event: func(in *policy.EventInput) policy.Verdict {
			postCalls.Add(1)
			if in.Event.Content == "spam" {
				return policy.RejectWith(policy.PrefixBlocked, "no spam")
			}
			return policy.Verdict{}
		}}))
	c := wsc.Dial(t, tr.url)
	k := wsc.NewKey()
	shed := k.Sign(t, 1, "shed", now())
	shed.Sig = strings.Repeat("1", 128)
	if ok := c.Publish(shed); ok.Reason != "rate-limited: too fast" || ok.Accepted {
		t.Fatalf("pre: got %v", ok)
	}
	bad := k.Sign(t, 1, "spam", now())
	bad.Sig = strings.Repeat("1", 128)
	if ok := c.Publish(bad); !strings.HasPrefix(ok.Reason, "invalid:") {
		t.Fatalf("bad signature reached post policy: %v", ok)
	}
	if ok := c.Publish(k.Sign(t, 1, "spam", now())); ok.Reason != "blocked: no spam" {
		t.Fatalf("post: got %v", ok)
	}
	if ok := c.Publish(k.Sign(t, 1, "fine", now())); !ok.Accepted {
		t.Fatalf("fine: got %v", ok)
	}
	if n := postCalls.Load(); n != 2 {
		t.Fatalf("post policy called %d times, want 2", n)
	}
}

func TestPolicyShadowRejectAnswersOKButDrops(t *testing.T) {
	tr := start(t, relay.Options{}, enforce(&fnPolicy{name: "shadow", event: func(in *policy.EventInput) policy.Verdict {
		return policy.Verdict{Action: policy.ShadowReject}
	}}))
	sub, pub := wsc.Dial(t, tr.url), wsc.Dial(t, tr.url)
	sub.Req("s", nostr.Filter{Kinds: []int{1}})
	ev := wsc.NewKey().Sign(t, 1, "ghost", now())
	if ok := pub.Publish(ev); !ok.Accepted {
		t.Fatalf("got %v, want OK true", ok)
	}
	if got := pub.Req("q", nostr.Filter{IDs: []string{ev.ID}}); len(got) != 0 {
		t.Fatal("shadow-rejected event was stored")
	}
	if got := sub.Req("sync", nostr.Filter{IDs: []string{ev.ID}}); len(got) != 0 {
		t.Fatal("shadow-rejected event was delivered")
	}
}

func TestPolicyShadowModeOnlyCounts(t *testing.T) {
	p := &fnPolicy{name: "trial", event: func(in *policy.EventInput) policy.Verdict {
		return policy.RejectWith(policy.PrefixBlocked, "would block")
	}}
	tr := start(t, relay.Options{}, policy.Entry{Policy: p, Mode: policy.Shadow})
	c := wsc.Dial(t, tr.url)
	if ok := c.Publish(wsc.NewKey().Sign(t, 1, "x", now())); !ok.Accepted {
		t.Fatalf("shadow mode enforced: %v", ok)
	}
	m := tr.metrics(t)
	if n, _ := m.Value("relayd_plugin_verdicts_total", "plugin", "trial", "verdict", "reject", "prefix", "blocked"); n != 1 {
		t.Fatalf("shadow policy's reject count %v, want 1: %v", n, m.Labels("relayd_plugin_verdicts_total"))
	}
	if n, _ := m.Value("relayd_plugin_info", "plugin", "trial", "mode", "shadow"); n != 1 {
		t.Fatalf("relayd_plugin_info for trial in shadow mode: %v", m.Labels("relayd_plugin_info"))
	}
}

func TestPolicyFailModes(t *testing.T) {
	boom := errors.New("plugin trapped")
	reject := func(*policy.EventInput) policy.Verdict { return policy.RejectWith(policy.PrefixBlocked, "x") }
	tests := []struct {
		name     string
		mode     policy.FailMode
		accepted bool
	}{
		{"open", policy.FailOpen, true},
		{"closed", policy.FailClosed, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tr := start(t, relay.Options{}, policy.Entry{Policy: &fnPolicy{name: "broken", event: reject, err: boom}, OnErr: tc.mode})
			c := wsc.Dial(t, tr.url)
			ok := c.Publish(wsc.NewKey().Sign(t, 1, "x", now()))
			if ok.Accepted != tc.accepted {
				t.Fatalf("got %v, want accepted=%v", ok, tc.accepted)
			}
			if !tc.accepted && !strings.HasPrefix(ok.Reason, "error:") {
				t.Fatalf("fail closed reason %q, want error:", ok.Reason)
			}
		})
	}
}

func TestPolicyReqRewriteAndReject(t *testing.T) {
	tr := start(t, relay.Options{}, enforce(&fnPolicy{name: "reads", filter: func(in *policy.FilterInput) policy.Verdict {
		if in.SubID == "forbidden" {
			return policy.RejectWith(policy.PrefixRestricted, "not here")
		}
		out := make(nostr.Filters, len(in.Filters))
		for i, f := range in.Filters {
			f.Limit = 1
			out[i] = f
		}
		return policy.Verdict{Action: policy.Rewrite, Filters: out}
	}}))
	c := wsc.Dial(t, tr.url)
	k := wsc.NewKey()
	for i := 0; i < 3; i++ {
		c.Publish(k.Sign(t, 1, "x", now()-nostr.Timestamp(i)))
	}
	if got := c.Req("all", nostr.Filter{Kinds: []int{1}, Limit: 10}); len(got) != 1 {
		t.Fatalf("rewritten limit: got %d events, want 1", len(got))
	}
	c.Send("REQ", "forbidden", nostr.Filter{})
	if m := c.Expect("CLOSED"); wsc.Str(m, 2) != "restricted: not here" {
		t.Fatalf("got %s", m)
	}
	c.Send("COUNT", "forbidden", nostr.Filter{})
	if m := c.Expect("CLOSED"); wsc.Str(m, 1) != "forbidden" {
		t.Fatalf("count: got %s", m)
	}
}

// TestPolicySeesAuthAndDeliver: policies see the authed pubkey; the
// deliver hook drops DMs for sessions that are not a party, and rewrites.
func TestPolicySeesAuthAndDeliver(t *testing.T) {
	var mu sync.Mutex
	var authedSeen []string
	tr := start(t, relay.Options{},
		enforce(&fnPolicy{name: "audit", eventPre: func(in *policy.EventInput) policy.Verdict {
			mu.Lock()
			authedSeen = append(authedSeen, in.Session.Authed())
			mu.Unlock()
			return policy.Verdict{}
		}}),
		enforce(&fnPolicy{name: "dm", deliver: func(in *policy.DeliverInput) policy.Verdict {
			if in.Event.Kind != 4 {
				return policy.Verdict{}
			}
			me := in.Session.Authed()
			if me == in.Event.PubKey || in.Event.Tags.FindWithValue("p", me) != nil {
				return policy.Verdict{}
			}
			return policy.Verdict{Action: policy.Reject}
		}}))
	alice, bob, eve := wsc.NewKey(), wsc.NewKey(), wsc.NewKey()
	ca, cb, ce := wsc.Dial(t, tr.url), wsc.Dial(t, tr.url), wsc.Dial(t, tr.url)
	ca.Auth(alice.SK, tr.url)
	cb.Auth(bob.SK, tr.url)
	ce.Auth(eve.SK, tr.url)
	for _, c := range []*wsc.Client{cb, ce} {
		c.Req("dms", nostr.Filter{Kinds: []int{4, 1}})
	}
	dm := alice.Sign(t, 4, "secret", now(), nostr.Tag{"p", bob.PK})
	ca.Publish(dm)
	note := alice.Sign(t, 1, "public", now())
	ca.Publish(note)
	if ev := wsc.Event(t, cb.Expect("EVENT")); ev.ID != dm.ID {
		t.Fatalf("bob got %s first, want the DM", ev.Content)
	}
	wsc.Event(t, cb.Expect("EVENT")) // the note
	if ev := wsc.Event(t, ce.Expect("EVENT")); ev.ID != note.ID {
		t.Fatalf("eve got %q, want only the public note", ev.Content)
	}
	// Stored events go through the deliver hook too.
	if got := ce.Req("stored", nostr.Filter{Kinds: []int{4}}); len(got) != 0 {
		t.Fatalf("eve got %d stored DMs", len(got))
	}
	if got := cb.Req("stored", nostr.Filter{Kinds: []int{4}}); len(got) != 1 || got[0].ID != dm.ID {
		t.Fatalf("bob got %d stored DMs, want 1", len(got))
	}
	mu.Lock()
	defer mu.Unlock()
	if len(authedSeen) != 2 || authedSeen[0] != alice.PK {
		t.Fatalf("policy saw authed %v, want alice's key", authedSeen)
	}
}

func TestPolicyAuthHookAndCloseHook(t *testing.T) {
	closed := make(chan uint64, 1)
	banned := wsc.NewKey()
	tr := start(t, relay.Options{}, enforce(&fnPolicy{name: "auth",
		auth: func(in *policy.AuthInput) policy.Verdict {
			if in.Event.PubKey == banned.PK {
				return policy.RejectWith(policy.PrefixBlocked, "banned")
			}
			return policy.Verdict{}
		},
		closed: func(s *policy.Session) { closed <- s.ID },
	}))
	c := wsc.Dial(t, tr.url)
	if ok := c.Auth(banned.SK, tr.url); ok.Accepted || ok.Reason != "blocked: banned" {
		t.Fatalf("got %v", ok)
	}
	c.NC.Close()
	select {
	case <-closed:
	case <-time.After(10 * time.Second):
		t.Fatal("close hook not called")
	}
}

// infoPolicy reports NIP-11 limitation keys as a plugin does (decoded JSON).
type infoPolicy struct {
	fnPolicy
	lim map[string]any
}

func (p *infoPolicy) Limitation() map[string]any { return p.lim }

func TestPolicyLimitationInNIP11(t *testing.T) {
	p := &infoPolicy{fnPolicy: fnPolicy{name: "pow"}, lim: map[string]any{
		"min_pow_difficulty": float64(20), "restricted_writes": true, "supported_nips": []any{float64(13), float64(77)},
	}}
	tr := start(t, relay.Options{}, enforce(p))
	info := tr.r.Info()
	if info.Limitation["min_pow_difficulty"] != float64(20) || info.Limitation["restricted_writes"] != true {
		t.Fatalf("limitation %v", info.Limitation)
	}
	has := map[int]bool{}
	for _, n := range info.SupportedNIPs {
		has[n] = true
	}
	if !has[13] || !has[77] {
		t.Fatalf("supported_nips %v lacks 13 or 77", info.SupportedNIPs)
	}
}

// TestPolicyDeliverHookKinds: a deliver hook limited by HookKinds to kind 4
// still drops a stored and a live DM for a third party, and is not called
// for other kinds, stored (which the relay then sends without decoding)
// or live.
func TestPolicyDeliverHookKinds(t *testing.T) {
	var mu sync.Mutex
	seen := map[int]int{}
	dmOnly := policy.Entry{Policy: &fnPolicy{name: "dm", deliver: func(in *policy.DeliverInput) policy.Verdict {
		mu.Lock()
		seen[in.Event.Kind]++
		mu.Unlock()
		if in.Event.Kind == 4 && in.Event.Tags.FindWithValue("p", in.Session.Authed()) == nil {
			return policy.Verdict{Action: policy.Reject}
		}
		return policy.Verdict{}
	}}}
	dmOnly.HookKinds[policy.HookDeliver] = []int{4}
	tr := start(t, relay.Options{}, dmOnly)
	alice, bob, eve := wsc.NewKey(), wsc.NewKey(), wsc.NewKey()
	ca, ce := wsc.Dial(t, tr.url), wsc.Dial(t, tr.url)
	ca.Auth(alice.SK, tr.url)
	ce.Auth(eve.SK, tr.url)
	dm := alice.Sign(t, 4, "secret", now(), nostr.Tag{"p", bob.PK})
	ca.Publish(dm)
	note := alice.Sign(t, 1, "public", now())
	ca.Publish(note)
	got := ce.Req("stored", nostr.Filter{Kinds: []int{1, 4}})
	if len(got) != 1 || got[0].ID != note.ID {
		t.Fatalf("eve got %d stored events, want only the note", len(got))
	}
	since := now() + 1
	ce.Req("live", nostr.Filter{Kinds: []int{1, 4}, Since: &since})
	live := alice.Sign(t, 1, "live note", now()+1)
	ca.Publish(alice.Sign(t, 4, "live secret", now()+1, nostr.Tag{"p", bob.PK}))
	ca.Publish(live)
	if ev := wsc.Event(t, ce.Expect("EVENT")); ev.ID != live.ID {
		t.Fatalf("eve got %q live, want only the note", ev.Content)
	}
	mu.Lock()
	defer mu.Unlock()
	// Kind 4: the stored DM, and the live one for each of eve's two open
	// subscriptions.
	if seen[1] != 0 || seen[4] != 3 {
		t.Fatalf("deliver hook calls by kind %v, want only kind 4, three times", seen)
	}
}
