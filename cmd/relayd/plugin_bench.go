package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
)

// pluginBench runs `relayd plugin bench`: each hook the plugin has, called
// through the relay's real host (wazero, the host functions, the instance
// pool of one) with the fixtures' inputs for that hook, or built-in ones,
// until -time passes; one table row per hook.
func pluginBench(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("relayd plugin bench", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "settings file (default: NAME.toml beside FILE.wasm)")
	d := fs.Duration("time", time.Second, "how long to call each hook")
	data := fs.String("data", "", "data directory whose store the plugin gets, kept between runs (default: a new one per run)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usageErr(stderr, "bench", "want FILE.wasm [FIXTURES.jsonl]")
	}
	if *d <= 0 {
		return usageErr(stderr, "bench", "-time must be positive")
	}
	var steps []*step
	if len(pos) == 2 {
		f, err := os.Open(pos[1])
		if err != nil {
			fmt.Fprintf(stderr, "relayd plugin bench: %v\n", err)
			return 1
		}
		var bad int
		steps, bad = readFixtures(f, "", stderr)
		f.Close()
		if bad > 0 {
			return 1
		}
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	rp, err := loadReplayer(pos[0], *config, *data, log)
	if err != nil {
		fmt.Fprintf(stderr, "relayd plugin bench: %v\n", err)
		return 1
	}
	defer rp.close()
	calls := benchCalls(rp.p, steps)
	if len(calls) == 0 {
		fmt.Fprintln(stderr, "relayd plugin bench: the plugin has no hooks to call")
		return 1
	}
	const row = "%-10s %6v %10v %9v %12v %7v\n"
	fmt.Fprintf(stdout, row, "hook", "inputs", "calls", "ns/call", "allocs/call", "errors")
	for _, c := range calls {
		r := measure(c.fns, *d)
		fmt.Fprintf(stdout, row, c.hook, len(c.fns), r.n, fmt.Sprintf("%.0f", r.nsPerCall()), fmt.Sprintf("%.1f", r.allocsPerCall()), r.errors)
	}
	fmt.Fprintf(stdout, "host side only: a call's own allocations inside the plugin are in its linear memory\n")
	return 0
}

// benchCall is the inputs of one hook, as calls that return the hook's error.
type benchCall struct {
	hook policy.Hook
	fns  []func() error
}

// benchCalls builds the calls per hook the plugin has, from the steps of
// that hook, or from built-in inputs for a hook the steps lack. An event
// line is a call of event_pre and one of event.
func benchCalls(p policy.Policy, steps []*step) []benchCall {
	ctx := context.Background()
	by := map[policy.Hook][]func() error{}
	add := func(h policy.Hook, fn func() (policy.Verdict, error)) {
		by[h] = append(by[h], func() error { _, err := fn(); return err })
	}
	addStep := func(st *step) {
		switch h := st.hook; h {
		case policy.HookConnect:
			add(h, func() (policy.Verdict, error) { return p.Connect(ctx, st.conn) })
		case policy.HookEvent:
			add(policy.HookEventPre, func() (policy.Verdict, error) { return p.EventPre(ctx, st.event) })
			add(policy.HookEvent, func() (policy.Verdict, error) { return p.Event(ctx, st.event) })
		case policy.HookReq, policy.HookCount:
			add(h, func() (policy.Verdict, error) { return p.Filter(ctx, st.filter) })
		case policy.HookAuth:
			add(h, func() (policy.Verdict, error) { return p.Auth(ctx, st.auth) })
		case policy.HookDeliver:
			add(h, func() (policy.Verdict, error) { return p.Deliver(ctx, st.deliver) })
		case policy.HookClose:
			by[h] = append(by[h], func() error { p.Close(ctx, st.session); return nil })
		}
	}
	for _, st := range steps {
		addStep(st)
	}
	for _, st := range defaultSteps() {
		if len(by[st.hook]) == 0 {
			addStep(st)
		}
	}
	var out []benchCall
	for h := policy.HookConnect; h <= policy.HookClose; h++ {
		if p.Hooks().Has(h) && len(by[h]) > 0 {
			out = append(out, benchCall{hook: h, fns: by[h]})
		}
	}
	return out
}

// defaultSteps are one input per hook: a client at 203.0.113.7 with a
// user agent, a signed kind 1 note, a REQ and a COUNT for kind 1 notes, an
// AUTH event, a delivery of the note.
func defaultSteps() []*step {
	sk := nostr.GeneratePrivateKey()
	sign := func(kind int, content string, tags nostr.Tags) *nostr.Event {
		ev := &nostr.Event{Kind: kind, Content: content, Tags: tags, CreatedAt: nostr.Now()}
		ev.Sign(sk)
		return ev
	}
	ss := newSessions()
	s, _, _ := ss.get("bench", "203.0.113.7", map[string]string{"user-agent": "relayd-bench"}, "")
	note := sign(1, "gm, a note of about the usual length: "+strings.Repeat("nostr ", 20), nostr.Tags{{"t", "bench"}})
	raw, _ := note.MarshalJSON()
	auth := sign(22242, "", nostr.Tags{{"relay", "ws://127.0.0.1:7447"}, {"challenge", "bench"}})
	filters := nostr.Filters{{Kinds: []int{1}, Limit: 100}}
	return []*step{
		{hook: policy.HookConnect, conn: &policy.ConnInput{Session: s}},
		{hook: policy.HookEvent, event: &policy.EventInput{Session: s, Event: note, Raw: raw, ReceivedAt: time.Now().Unix(), Source: s.Source()}},
		{hook: policy.HookReq, filter: &policy.FilterInput{Session: s, Hook: policy.HookReq, SubID: "bench", Filters: filters}},
		{hook: policy.HookCount, filter: &policy.FilterInput{Session: s, Hook: policy.HookCount, SubID: "bench", Filters: filters}},
		{hook: policy.HookAuth, auth: &policy.AuthInput{Session: s, Event: auth}},
		{hook: policy.HookDeliver, deliver: &policy.DeliverInput{Session: s, SubID: "bench", Event: note, Raw: raw}},
		{hook: policy.HookClose, session: s},
	}
}

// benchResult is one hook's measurement.
type benchResult struct {
	n       int
	elapsed time.Duration
	mallocs uint64
	errors  int
}

func (r benchResult) nsPerCall() float64     { return float64(r.elapsed.Nanoseconds()) / float64(r.n) }
func (r benchResult) allocsPerCall() float64 { return float64(r.mallocs) / float64(r.n) }

// measure calls fns round robin, in rounds that grow until one takes at
// least d, as testing.B does, and reports the last round. A few calls
// first warm the instance up.
func measure(fns []func() error, d time.Duration) benchResult {
	for i := range min(len(fns)*2, 100) {
		fns[i%len(fns)]()
	}
	n := len(fns)
	for {
		r := round(fns, n)
		if r.elapsed >= d || n >= 1<<30 {
			return r
		}
		// Aim 20% past d from this round's rate, at most 100x more calls.
		next := int(float64(n) * 1.2 * float64(d) / float64(max(r.elapsed, 1)))
		n = min(max(next, n+1), n*100)
	}
}

func round(fns []func() error, n int) benchResult {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	r := benchResult{n: n}
	start := time.Now()
	for i := range n {
		if fns[i%len(fns)]() != nil {
			r.errors++
		}
	}
	r.elapsed = time.Since(start)
	runtime.ReadMemStats(&after)
	r.mallocs = after.Mallocs - before.Mallocs
	return r
}
