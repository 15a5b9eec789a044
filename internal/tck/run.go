package tck

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nbd-wtf/go-nostr"
	"github.com/tetratelabs/wazero/experimental"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/store/badgerstore"
	"github.com/relayd/relayd/host/wasmhost"
	"github.com/relayd/relayd/host/wasmhost/state"
)

// PluginName is the name the kit loads a plugin under.
const PluginName = "tck"

// Failure is a case that did not pass.
type Failure struct {
	// Line is the case's line in the cases file; Name its name.
	Line int
	Name string
	// Problems says what differed, one entry per check.
	Problems []string
}

func (f Failure) String() string {
	return fmt.Sprintf("line %d: %s: %s", f.Line, f.Name, strings.Join(f.Problems, "; "))
}

// Run runs every line of lines against the plugin wasm, each load in a
// fresh host under tmp (a directory Run may fill), and returns the cases
// that failed and how many cases (loads included) ran. An error means the
// kit itself could not run (a store that would not open).
func Run(ctx context.Context, wasm []byte, lines []Line, tmp string) (failures []Failure, ran int, err error) {
	var h *host
	defer func() {
		if h != nil {
			h.close()
		}
	}()
	for i, l := range lines {
		ran++
		if l.Load != nil {
			if h != nil {
				h.close()
			}
			dir := filepath.Join(tmp, fmt.Sprintf("load%d", i))
			var probs []string
			h, probs, err = startHost(ctx, dir, wasm, l)
			if err != nil {
				return failures, ran, err
			}
			if len(probs) > 0 {
				failures = append(failures, Failure{Line: l.N, Name: "load", Problems: probs})
			}
			continue
		}
		if h == nil || h.p == nil {
			failures = append(failures, Failure{Line: l.N, Name: l.Case.Name, Problems: []string{"no plugin loaded"}})
			continue
		}
		if probs := h.check(ctx, l.Case); len(probs) > 0 {
			failures = append(failures, Failure{Line: l.N, Name: l.Case.Name, Problems: probs})
		}
	}
	return failures, ran, nil
}

// host is one load: a store, a plugin manager with the plugin, the tracer
// and the plugin's log lines.
type host struct {
	st  *badgerstore.Store
	m   *wasmhost.Manager
	p   policy.Policy
	tr  *tracer
	log *logSink
}

func startHost(ctx context.Context, dir string, wasm []byte, l Line) (*host, []string, error) {
	plugins, data := filepath.Join(dir, "plugins"), filepath.Join(dir, "data")
	if err := writePlugin(plugins, wasm, l.Load); err != nil {
		return nil, nil, err
	}
	st, err := badgerstore.Open(data, badgerstore.Options{DiskReserve: 1 << 20, MemTableSize: 4 << 20, BlockCacheSize: 1 << 20, IndexCacheSize: 1 << 20})
	if err != nil {
		return nil, nil, fmt.Errorf("tck: open store: %w", err)
	}
	if err := saveEvents(ctx, st, l.Load.Events); err != nil {
		st.Close()
		return nil, nil, err
	}
	h := &host{st: st, tr: newTracer(), log: &logSink{}}
	h.m, err = wasmhost.NewManager(wasmhost.Options{Dir: plugins, Store: st, Logger: slog.New(h.log), RelayVersion: "tck"})
	if err != nil {
		st.Close()
		return nil, nil, fmt.Errorf("tck: %w", err)
	}
	loadErr := h.m.Load(experimental.WithFunctionListenerFactory(ctx, h.tr))
	var probs []string
	switch {
	case l.LoadError != "" && loadErr == nil:
		probs = append(probs, fmt.Sprintf("loaded, want a load error containing %q", l.LoadError))
	case l.LoadError != "" && !strings.Contains(loadErr.Error(), l.LoadError):
		probs = append(probs, fmt.Sprintf("load error %q, want one containing %q", loadErr, l.LoadError))
	case l.LoadError == "" && loadErr != nil:
		probs = append(probs, fmt.Sprintf("load: %v", loadErr))
	}
	if es := h.m.Holder().Load().Entries(); loadErr == nil && len(es) == 1 {
		h.p = es[0].Policy
		probs = append(probs, checkLoaded(h.p, l)...)
	}
	return h, probs, nil
}

// saveEvents stores a load's events, filling in a missing id and sig.
func saveEvents(ctx context.Context, st *badgerstore.Store, events []map[string]any) error {
	for i, m := range events {
		b, err := json.Marshal(m)
		if err != nil {
			return fmt.Errorf("tck: event %d: %w", i, err)
		}
		ev := &nostr.Event{}
		if err := ev.UnmarshalJSON(b); err != nil {
			return fmt.Errorf("tck: event %d: %w", i, err)
		}
		if ev.ID == "" {
			ev.ID = ev.GetID()
		}
		if ev.Sig == "" {
			ev.Sig = strings.Repeat("f", 128)
		}
		raw, err := ev.MarshalJSON()
		if err != nil {
			return fmt.Errorf("tck: event %d: %w", i, err)
		}
		if err := st.Save(ctx, ev, raw); err != nil {
			return fmt.Errorf("tck: save event %d: %w", i, err)
		}
	}
	return nil
}

func (h *host) close() {
	h.m.Close()
	h.st.Close()
}

// writePlugin writes tck.wasm, tck.toml (settingsTOML) and the files.
func writePlugin(dir string, wasm []byte, l *Load) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("tck: %w", err)
	}
	settings, err := settingsTOML(l)
	if err != nil {
		return err
	}
	files := map[string][]byte{PluginName + ".wasm": wasm, PluginName + ".toml": settings}
	for name, body := range l.Files {
		if name != filepath.Base(name) {
			return fmt.Errorf("tck: file %q: want a plain name", name)
		}
		files[name] = []byte(body)
	}
	for name, b := range files {
		if err := os.WriteFile(filepath.Join(dir, name), b, 0o644); err != nil {
			return fmt.Errorf("tck: %w", err)
		}
	}
	return nil
}

// checkLoaded checks what a load gives besides its error: every hook
// registered, and the limitation.
func checkLoaded(p policy.Policy, l Line) []string {
	var probs []string
	for name, hk := range hooks {
		if !p.Hooks().Has(hk) {
			probs = append(probs, "the plugin does not handle "+name+" (a TCK plugin handles every hook)")
		}
	}
	if len(l.Limitation) > 0 {
		lp, ok := p.(interface{ Limitation() map[string]any })
		got := map[string]any{}
		if ok {
			got = lp.Limitation()
		}
		if d := jsonDiff(l.Limitation, got); d != "" {
			probs = append(probs, "limitation: "+d)
		}
	}
	return probs
}

// check makes the case's call and compares what it gave.
func (h *host) check(ctx context.Context, c *Case) []string {
	if c.Hook == TickHook {
		return h.waitTick(c)
	}
	in, err := buildInput(c)
	if err != nil {
		return []string{"bad case: " + err.Error()}
	}
	h.tr.reset()
	h.log.reset()
	v, callErr := h.call(ctx, in)
	var probs []string
	if c.Want != nil {
		probs = append(probs, checkVerdict(c.Want, in.hook, v, callErr)...)
	}
	if c.Calls != nil {
		if got := h.tr.names(); strings.Join(got, ",") != strings.Join(c.Calls, ",") {
			probs = append(probs, fmt.Sprintf("host calls %v, want %v", got, c.Calls))
		}
	}
	if c.Host != nil {
		probs = append(probs, h.checkState(ctx, c.Host)...)
	}
	if in.hook == policy.HookDeliver && callErr == nil && c.Host == nil {
		probs = append(probs, h.checkBatch(ctx, in, v)...)
	}
	return probs
}

// checkBatch decides a deliver case again through relayd_on_deliver_batch,
// as the relay decides a live delivery, when the plugin asks for batches
// (the Go SDK does): its verdict must be relayd_on_deliver's v (a batch
// verdict has no message), or undecided (ABI.md, "Deliver batches"). The
// deliver cases read and never write state, so the second call changes
// nothing the next case sees.
func (h *host) checkBatch(ctx context.Context, in *input, v policy.Verdict) []string {
	bd, ok := h.p.(policy.BatchDeliverer)
	if !ok || !bd.BatchesDeliver() {
		return nil
	}
	out := make([]policy.Verdict, 1)
	err := bd.DeliverBatch(ctx, &policy.DeliverBatchInput{Event: in.event, Raw: in.raw,
		Targets: []policy.DeliverTarget{{Session: in.sess, SubID: in.sub}}}, out)
	b := out[0]
	switch {
	case err != nil:
		return []string{"deliver batch: " + err.Error()}
	case b.Action == policy.Rewrite: // undecided: relayd_on_deliver decides
	case b.Action != v.Action || b.Prefix != v.Prefix:
		return []string{fmt.Sprintf("deliver batch: %s %s, relayd_on_deliver %s %s", b.Action, b.Prefix, v.Action, v.Prefix)}
	}
	return nil
}

// call makes the call once an instance is free: after a case that trapped,
// the host starts a replacement instance, which a slow guest (Go) may
// not have finished when the next case comes; ErrBusy means the call was
// not made, so it is made again, for up to a minute.
func (h *host) call(ctx context.Context, in *input) (policy.Verdict, error) {
	deadline := time.Now().Add(time.Minute)
	for {
		var v policy.Verdict
		var err error
		if in.hook == policy.HookManage {
			v, err = h.manage(ctx, in.cmd)
		} else {
			v, err = in.call(ctx, h.p)
		}
		if !errors.Is(err, wasmhost.ErrBusy) || time.Now().After(deadline) {
			return v, err
		}
		h.tr.reset()
	}
}

// waitTick waits, for up to a minute (the tick instance is compiled and
// started on a loaded machine), for the plugin's first tick to count in
// TickCounter. The relay runs the first tick right after the load.
func (h *host) waitTick(c *Case) []string {
	sp := h.m.SharedState(PluginName)
	deadline := time.Now().Add(time.Minute)
	for {
		n, err := sp.CounterGet([]byte(TickCounter), time.Now().UnixNano())
		if err == nil && n >= 1 {
			if c.Want != nil && c.Want.Action != "accept" {
				return []string{"a tick case wants accept"}
			}
			return nil
		}
		if time.Now().After(deadline) {
			return []string{fmt.Sprintf("no tick counted in %q within a minute (%d, %v)", TickCounter, n, err)}
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// manage calls the TCK plugin's management method with cmd as its only
// param, as the relay's management API does, and gives the answer as a
// verdict: Accept with the result in Payload, or Reject with the refusal.
func (h *host) manage(ctx context.Context, cmd string) (policy.Verdict, error) {
	params, err := json.Marshal([]string{cmd})
	if err != nil {
		return policy.Verdict{}, fmt.Errorf("tck: %w", err)
	}
	res, err := h.m.Manage(ctx, ManageMethod, params)
	var me *wasmhost.MethodError
	if errors.As(err, &me) {
		return policy.Verdict{Action: policy.Reject, Message: me.Message}, nil
	}
	if err != nil {
		return policy.Verdict{}, err
	}
	return policy.Verdict{Action: policy.Accept, Payload: res}, nil
}

// checkState compares the host state with hs.
func (h *host) checkState(ctx context.Context, hs *HostState) []string {
	var probs []string
	sp := h.m.SharedState(PluginName)
	now := time.Now().UnixNano()
	for k, want := range hs.Counters {
		got, err := sp.CounterGet([]byte(k), now)
		if err != nil || got != want {
			probs = append(probs, fmt.Sprintf("counter %q = %d (%v), want %d", k, got, err, want))
		}
	}
	for k, want := range hs.KV {
		var got *string
		err := sp.KVGet([]byte(k), now, func(v []byte) { s := string(v); got = &s })
		if errors.Is(err, state.ErrNotFound) {
			err = nil
		}
		if err != nil || !sameOpt(got, want) {
			probs = append(probs, fmt.Sprintf("kv %q = %s (%v), want %s", k, show(got), err, show(want)))
		}
	}
	if len(hs.DB) > 0 {
		if err := h.m.FlushState(ctx, PluginName); err != nil {
			return append(probs, "flushing durable state: "+err.Error())
		}
	}
	for k, want := range hs.DB {
		var got *string
		_, err := h.st.StateGet(PluginName, []byte(k), func(v []byte) { s := string(v); got = &s })
		if err != nil || !sameOpt(got, want) {
			probs = append(probs, fmt.Sprintf("db %q = %s (%v), want %s", k, show(got), err, show(want)))
		}
	}
	if hs.Log != nil {
		if got := h.log.lines(); strings.Join(got, "\n") != strings.Join(hs.Log, "\n") {
			probs = append(probs, fmt.Sprintf("logged %q, want %q", got, hs.Log))
		}
	}
	return probs
}

func sameOpt(a, b *string) bool { return a == nil && b == nil || a != nil && b != nil && *a == *b }

func show(s *string) string {
	if s == nil {
		return "absent"
	}
	return fmt.Sprintf("%q", *s)
}
