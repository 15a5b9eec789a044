package policy_test

import (
	"context"
	"errors"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
)

// step is a native policy whose hooks return fixed verdicts and record
// their calls.
type step struct {
	policy.Base
	name    string
	hooks   policy.HookSet
	verdict policy.Verdict
	err     error
	calls   *[]string
	lim     map[string]any
}

func (s *step) Name() string               { return s.name }
func (s *step) Hooks() policy.HookSet      { return s.hooks }
func (s *step) Limitation() map[string]any { return s.lim }

func (s *step) Event(_ context.Context, in *policy.EventInput) (policy.Verdict, error) {
	*s.calls = append(*s.calls, s.name)
	return s.verdict, s.err
}

func (s *step) Filter(_ context.Context, in *policy.FilterInput) (policy.Verdict, error) {
	*s.calls = append(*s.calls, s.name)
	return s.verdict, s.err
}

func (s *step) Deliver(_ context.Context, in *policy.DeliverInput) (policy.Verdict, error) {
	*s.calls = append(*s.calls, s.name)
	return s.verdict, s.err
}

func TestChainEventOrderAndFinalVerdict(t *testing.T) {
	reject := policy.RejectWith(policy.PrefixBlocked, "no")
	tests := []struct {
		name      string
		entries   func(calls *[]string) []policy.Entry
		wantCalls []string
		wantFinal bool
		wantBy    string
	}{
		{"all accept", func(c *[]string) []policy.Entry {
			return []policy.Entry{{Policy: &step{name: "a", hooks: policy.Hooks(policy.HookEvent), calls: c}},
				{Policy: &step{name: "b", hooks: policy.Hooks(policy.HookEvent), calls: c}}}
		}, []string{"a", "b"}, false, ""},
		{"first reject stops the walk", func(c *[]string) []policy.Entry {
			return []policy.Entry{{Policy: &step{name: "a", hooks: policy.Hooks(policy.HookEvent), verdict: reject, calls: c}},
				{Policy: &step{name: "b", hooks: policy.Hooks(policy.HookEvent), calls: c}}}
		}, []string{"a"}, true, "a"},
		{"hook not in set is never called", func(c *[]string) []policy.Entry {
			return []policy.Entry{{Policy: &step{name: "a", hooks: policy.Hooks(policy.HookReq), verdict: reject, calls: c}},
				{Policy: &step{name: "b", hooks: policy.Hooks(policy.HookEvent), calls: c}}}
		}, []string{"b"}, false, ""},
		{"shadow mode does not enforce", func(c *[]string) []policy.Entry {
			return []policy.Entry{{Policy: &step{name: "a", hooks: policy.Hooks(policy.HookEvent), verdict: reject, calls: c}, Mode: policy.Shadow},
				{Policy: &step{name: "b", hooks: policy.Hooks(policy.HookEvent), calls: c}}}
		}, []string{"a", "b"}, false, ""},
		{"error fails open", func(c *[]string) []policy.Entry {
			return []policy.Entry{{Policy: &step{name: "a", hooks: policy.Hooks(policy.HookEvent), verdict: reject, err: errors.New("trap"), calls: c}},
				{Policy: &step{name: "b", hooks: policy.Hooks(policy.HookEvent), calls: c}}}
		}, []string{"a", "b"}, false, ""},
		{"error fails closed", func(c *[]string) []policy.Entry {
			return []policy.Entry{{Policy: &step{name: "a", hooks: policy.Hooks(policy.HookEvent), err: errors.New("trap"), calls: c}, OnErr: policy.FailClosed},
				{Policy: &step{name: "b", hooks: policy.Hooks(policy.HookEvent), calls: c}}}
		}, []string{"a"}, true, "a"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls []string
			ch := policy.NewChain(nil, tc.entries(&calls)...)
			v := ch.Event(context.Background(), &policy.EventInput{Event: &nostr.Event{}})
			if len(calls) != len(tc.wantCalls) {
				t.Fatalf("calls %v, want %v", calls, tc.wantCalls)
			}
			for i := range calls {
				if calls[i] != tc.wantCalls[i] {
					t.Fatalf("calls %v, want %v", calls, tc.wantCalls)
				}
			}
			if v.Final() != tc.wantFinal || v.Policy != tc.wantBy {
				t.Fatalf("verdict %+v, want final=%v by %q", v, tc.wantFinal, tc.wantBy)
			}
		})
	}
}

// tally is an Observer that counts each entry's calls by action, and
// errors, per policy name.
type tally struct {
	mu       sync.Mutex
	installs [][]string
	counts   map[string]map[string]int
}

type tallyRec struct {
	t    *tally
	name string
}

func (t *tally) Observe(entries []policy.Entry) []policy.Recorder {
	var names []string
	recs := make([]policy.Recorder, len(entries))
	for i, e := range entries {
		names = append(names, e.Policy.Name())
		recs[i] = tallyRec{t, e.Policy.Name()}
	}
	t.mu.Lock()
	t.installs = append(t.installs, names)
	t.mu.Unlock()
	return recs
}

func (r tallyRec) Record(h policy.Hook, a policy.Action, p policy.Prefix, err error, took time.Duration) {
	k := h.String() + " " + a.String() + " " + p.String()
	if err != nil {
		k = h.String() + " error"
	}
	r.t.mu.Lock()
	defer r.t.mu.Unlock()
	if r.t.counts == nil {
		r.t.counts = map[string]map[string]int{}
	}
	if r.t.counts[r.name] == nil {
		r.t.counts[r.name] = map[string]int{}
	}
	r.t.counts[r.name][k]++
}

// TestChainRecordsWhatPoliciesAnswered: each call reaches the entry's
// recorder with the policy's own answer, before shadow mode or the fail
// mode changed it; a chain stored without an observer records nothing.
func TestChainRecordsWhatPoliciesAnswered(t *testing.T) {
	var calls []string
	entries := func() []policy.Entry {
		return []policy.Entry{
			{Policy: &step{name: "shadow", hooks: policy.Hooks(policy.HookEvent), verdict: policy.RejectWith(policy.PrefixPow, ""), calls: &calls}, Mode: policy.Shadow},
			{Policy: &step{name: "broken", hooks: policy.Hooks(policy.HookEvent), err: errors.New("x"), calls: &calls}},
			{Policy: &step{name: "ok", hooks: policy.Hooks(policy.HookEvent), calls: &calls}},
		}
	}
	obs := &tally{}
	var h policy.Holder
	h.Observe(obs)
	h.Store(policy.NewChain(nil, entries()...))
	for range 3 {
		h.Load().Event(context.Background(), &policy.EventInput{Event: &nostr.Event{}})
	}
	want := map[string]map[string]int{
		"shadow": {"event reject pow": 3},
		"broken": {"event error": 3},
		"ok":     {"event accept blocked": 3},
	}
	if !reflect.DeepEqual(obs.counts, want) {
		t.Fatalf("recorded %v, want %v", obs.counts, want)
	}
	if got := [][]string{{"shadow", "broken", "ok"}}; !reflect.DeepEqual(obs.installs, got) {
		t.Fatalf("installs %v, want %v", obs.installs, got)
	}
	unobserved := policy.NewChain(nil, entries()...)
	unobserved.Event(context.Background(), &policy.EventInput{Event: &nostr.Event{}})
	if obs.counts["ok"]["event accept blocked"] != 3 {
		t.Fatalf("a chain stored in no observed holder was recorded: %v", obs.counts)
	}
}

func TestChainRewritesAccumulate(t *testing.T) {
	var calls []string
	one := nostr.Filters{{Limit: 1}}
	ch := policy.NewChain(nil,
		policy.Entry{Policy: &step{name: "clamp", hooks: policy.Hooks(policy.HookReq), verdict: policy.Verdict{Action: policy.Rewrite, Filters: one}, calls: &calls}},
		policy.Entry{Policy: &step{name: "other", hooks: policy.Hooks(policy.HookReq), calls: &calls}},
	)
	in := &policy.FilterInput{Hook: policy.HookReq, Filters: nostr.Filters{{Limit: 500}}}
	v := ch.Filter(context.Background(), in)
	if v.Action != policy.Rewrite || len(v.Filters) != 1 || v.Filters[0].Limit != 1 {
		t.Fatalf("got %+v, want the rewritten filters", v)
	}
	if in.Filters[0].Limit != 1 {
		t.Fatal("later policies did not see the rewritten filters")
	}
	// COUNT is a different hook: the REQ policy does not run.
	calls = nil
	ch.Filter(context.Background(), &policy.FilterInput{Hook: policy.HookCount, Filters: nostr.Filters{{}}})
	if len(calls) != 0 {
		t.Fatalf("REQ policies ran on COUNT: %v", calls)
	}
	payload := []byte(`{"x":1}`)
	ch2 := policy.NewChain(nil, policy.Entry{Policy: &step{name: "redact", hooks: policy.Hooks(policy.HookDeliver),
		verdict: policy.Verdict{Action: policy.Rewrite, Payload: payload}, calls: &calls}})
	if v := ch2.Deliver(context.Background(), &policy.DeliverInput{Raw: []byte(`{}`)}); string(v.Payload) != string(payload) {
		t.Fatalf("deliver payload %q", v.Payload)
	}
	if v := ch2.Deliver(context.Background(), &policy.DeliverInput{Raw: []byte(`{}`)}); v.Action != policy.Rewrite {
		t.Fatal("rewrite lost")
	}
}

func TestMergeLimit(t *testing.T) {
	tests := []struct {
		key  string
		a, b any
		want any
	}{
		{"max_content_length", 262144, float64(1000), float64(1000)},
		{"max_content_length", float64(1000), 262144, float64(1000)},
		{"max_limit", 0, float64(50), float64(50)},
		{"created_at_lower_limit", 0, float64(3600), float64(3600)},
		{"created_at_upper_limit", float64(60), float64(900), float64(60)},
		{"default_limit", 500, float64(100), float64(100)},
		{"min_pow_difficulty", 0, float64(20), float64(20)},
		{"min_pow_difficulty", float64(28), float64(20), float64(28)},
		{"auth_required", false, true, true},
		{"auth_required", true, false, true},
		{"restricted_writes", false, false, false},
		{"payment_required", "x", true, true},
		{"other", 1, 2, 2},
	}
	for _, tc := range tests {
		if got := policy.MergeLimit(tc.key, tc.a, tc.b); got != tc.want {
			t.Errorf("MergeLimit(%s, %v, %v) = %v, want %v", tc.key, tc.a, tc.b, got, tc.want)
		}
	}
	var calls []string
	ch := policy.NewChain(nil,
		policy.Entry{Policy: &step{name: "a", lim: map[string]any{"max_limit": float64(100), "auth_required": true}, calls: &calls}},
		policy.Entry{Policy: &step{name: "b", lim: map[string]any{"max_limit": float64(50), "auth_required": false}, calls: &calls}},
		policy.Entry{Policy: &step{name: "c", lim: map[string]any{"max_limit": float64(1)}, calls: &calls}, Mode: policy.Shadow},
	)
	lim := ch.Limitation()
	if lim["max_limit"] != float64(50) || lim["auth_required"] != true {
		t.Fatalf("merged %v", lim)
	}
}

func TestHookNamesRoundTrip(t *testing.T) {
	for _, h := range policy.Hooks(policy.HookConnect, policy.HookEventPre, policy.HookEvent, policy.HookReq,
		policy.HookCount, policy.HookAuth, policy.HookDeliver, policy.HookClose).List() {
		got, ok := policy.ParseHook(h.String())
		if !ok || got != h {
			t.Errorf("ParseHook(%q) = %v %v", h.String(), got, ok)
		}
	}
	if _, ok := policy.ParseHook("nope"); ok {
		t.Error("ParseHook accepted an unknown name")
	}
}

func TestVerdictReason(t *testing.T) {
	tests := []struct {
		v    policy.Verdict
		want string
	}{
		{policy.RejectWith(policy.PrefixBlocked, "spam"), "blocked: spam"},
		{policy.Verdict{Action: policy.Reject}, "blocked:"},
		{policy.Verdict{Action: policy.RateLimited, Message: "slow down"}, "rate-limited: slow down"},
		{policy.RejectWith(policy.PrefixAuthRequired, "log in"), "auth-required: log in"},
		{policy.RejectWith(policy.PrefixPow, "need 20"), "pow: need 20"},
	}
	for _, tc := range tests {
		if got := tc.v.Reason(); got != tc.want {
			t.Errorf("Reason() = %q, want %q", got, tc.want)
		}
	}
}

func TestHolderSwap(t *testing.T) {
	var h policy.Holder
	if !h.Load().Empty() || h.Load().Has(policy.HookEvent) {
		t.Fatal("zero holder must accept everything")
	}
	var calls []string
	c1 := policy.NewChain(nil, policy.Entry{Policy: &step{name: "a", hooks: policy.Hooks(policy.HookEvent), calls: &calls}})
	if old := h.Store(c1); old != nil {
		t.Fatal("first Store returned a chain")
	}
	if !h.Load().Has(policy.HookEvent) {
		t.Fatal("stored chain not loaded")
	}
}

// TestChainKindsSkipsOtherKinds: an entry limited to some kinds is not
// called for other kinds on event hooks, and still is on REQ.
func TestChainKindsSkipsOtherKinds(t *testing.T) {
	var calls []string
	dm := &step{name: "dm", hooks: policy.Hooks(policy.HookEvent, policy.HookDeliver, policy.HookReq),
		verdict: policy.RejectWith(policy.PrefixRestricted, "dm"), calls: &calls}
	ch := policy.NewChain(nil, policy.Entry{Policy: dm, Kinds: []int{4, 1059}})
	tests := []struct {
		kind  int
		final bool
	}{{1, false}, {4, true}, {1059, true}, {7, false}, {65535, false}}
	for _, tc := range tests {
		calls = nil
		ev := &nostr.Event{Kind: tc.kind}
		v1 := ch.Event(context.Background(), &policy.EventInput{Event: ev})
		v2 := ch.Deliver(context.Background(), &policy.DeliverInput{Event: ev})
		if v1.Final() != tc.final || v2.Final() != tc.final || (len(calls) > 0) != tc.final {
			t.Errorf("kind %d: event final=%v deliver final=%v calls=%v, want final=%v", tc.kind, v1.Final(), v2.Final(), calls, tc.final)
		}
	}
	calls = nil
	ch.Filter(context.Background(), &policy.FilterInput{Hook: policy.HookReq, Filters: nostr.Filters{{}}})
	if len(calls) != 1 {
		t.Fatal("kinds must not limit the REQ hook")
	}
}

// TestChainHookKinds: HookKinds limits one hook (here deliver) and leaves
// the others alone; with Kinds too, a call needs a kind in both; Wants
// answers as the chain calls.
func TestChainHookKinds(t *testing.T) {
	tests := []struct {
		name          string
		kinds         []int
		deliverKinds  []int
		kind          int
		event, delivr bool // called
	}{
		{"deliver kind listed", nil, []int{4, 1059}, 4, true, true},
		{"deliver kind not listed", nil, []int{4, 1059}, 1, true, false},
		{"no HookKinds", nil, nil, 1, true, true},
		{"both, in both", []int{4, 7}, []int{4}, 4, true, true},
		{"both, only in Kinds", []int{4, 7}, []int{4}, 7, true, false},
		{"both, only in HookKinds", []int{7}, []int{4}, 4, false, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var calls []string
			p := &step{name: "p", hooks: policy.Hooks(policy.HookEvent, policy.HookDeliver),
				verdict: policy.RejectWith(policy.PrefixRestricted, "no"), calls: &calls}
			e := policy.Entry{Policy: p, Kinds: tc.kinds}
			e.HookKinds[policy.HookDeliver] = tc.deliverKinds
			ch := policy.NewChain(nil, e)
			ev := &nostr.Event{Kind: tc.kind}
			if got := ch.Event(context.Background(), &policy.EventInput{Event: ev}).Final(); got != tc.event {
				t.Errorf("event hook called (refused) = %v, want %v", got, tc.event)
			}
			if got := ch.Deliver(context.Background(), &policy.DeliverInput{Event: ev}).Final(); got != tc.delivr {
				t.Errorf("deliver hook called (refused) = %v, want %v", got, tc.delivr)
			}
			if got := ch.Wants(policy.HookDeliver, tc.kind); got != tc.delivr {
				t.Errorf("Wants(deliver, %d) = %v, want %v", tc.kind, got, tc.delivr)
			}
		})
	}
}

// filterSeer is a REQ policy that records the filters JSON it was given
// and rewrites to its own filters if set.
type filterSeer struct {
	policy.Base
	seen    *[]string
	rewrite nostr.Filters
}

func (s *filterSeer) Name() string          { return "seer" }
func (s *filterSeer) Hooks() policy.HookSet { return policy.Hooks(policy.HookReq) }

func (s *filterSeer) Filter(_ context.Context, in *policy.FilterInput) (policy.Verdict, error) {
	*s.seen = append(*s.seen, string(in.FiltersJSON()))
	if s.rewrite != nil {
		return policy.Verdict{Action: policy.Rewrite, Filters: s.rewrite}, nil
	}
	return policy.Verdict{}, nil
}

// TestChainFiltersJSONAfterRewrite: the filters JSON the policies share is
// built again after a rewrite, so a later policy reads the rewritten
// filters, not the client's.
func TestChainFiltersJSONAfterRewrite(t *testing.T) {
	var seen []string
	ch := policy.NewChain(nil,
		policy.Entry{Policy: &filterSeer{seen: &seen}},
		policy.Entry{Policy: &filterSeer{seen: &seen, rewrite: nostr.Filters{{Kinds: []int{1}, Limit: 5}}}},
		policy.Entry{Policy: &filterSeer{seen: &seen}})
	ch.Filter(context.Background(), &policy.FilterInput{Hook: policy.HookReq, Filters: nostr.Filters{{Kinds: []int{4}}}})
	want := []string{`[{"kinds":[4]}]`, `[{"kinds":[4]}]`, `[{"kinds":[1],"limit":5}]`}
	if !reflect.DeepEqual(seen, want) {
		t.Fatalf("policies saw %q, want %q", seen, want)
	}
}
