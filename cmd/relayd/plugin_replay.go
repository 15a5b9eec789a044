package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost"
)

// pluginTest runs `relayd plugin test`: it loads one plugin as the relay
// would, on a real store (pluginStore: store_count and the durable state
// of the db_* functions), and replays a fixtures file through its hooks
// (plugin_fixture.go), printing one verdict line per call, or comparing
// them with a golden file.
func pluginTest(args []string, in io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("relayd plugin test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "settings file (default: NAME.toml beside FILE.wasm)")
	data := fs.String("data", "", "data directory whose store the plugin gets, kept between runs (default: a new one per run)")
	authed := fs.String("authed", "", `for lines that name no session, the session's NIP-42 pubkey (hex), or "author" for each event's own`)
	skipVerify := fs.Bool("skip-verify", false, "pass events with a bad id or signature to the event and auth hooks instead of refusing them")
	logLevel := fs.String("log", "warn", "plugin and host log level on stderr: debug, info, warn or error")
	expect := fs.String("expect", "", "compare the verdict lines with this golden file instead of printing them; exit 1 on a difference")
	update := fs.Bool("update", false, "with -expect, write the verdict lines to the golden file")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usageErr(stderr, "test", "want FILE.wasm [FIXTURES.jsonl]")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return usageErr(stderr, "test", "-log: "+err.Error())
	}
	if *authed != "" && *authed != "author" && !nostr.IsValid32ByteHex(*authed) {
		return usageErr(stderr, "test", `-authed: want a 64-character hex pubkey or "author"`)
	}
	if *update && *expect == "" {
		return usageErr(stderr, "test", "-update needs -expect GOLDEN")
	}
	name := "stdin"
	if len(pos) == 2 {
		f, err := os.Open(pos[1])
		if err != nil {
			fmt.Fprintf(stderr, "relayd plugin test: %v\n", err)
			return 1
		}
		defer f.Close()
		in, name = f, pos[1]
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	rp, err := loadReplayer(pos[0], *config, *data, log)
	if err != nil {
		fmt.Fprintf(stderr, "relayd plugin test: %v\n", err)
		return 1
	}
	defer rp.close()
	rp.verify = !*skipVerify
	steps, bad := readFixtures(in, *authed, stderr)
	out := rp.replay(steps)
	rp.summary(stderr, len(steps), bad)
	code := writeVerdicts(out, *expect, *update, name, stdout, stderr)
	if failed := bad + rp.tally["error"]; failed > 0 {
		fmt.Fprintf(stderr, "FAIL: %d lines could not be read or failed in the plugin\n", failed)
		return 1
	}
	return code
}

// writeVerdicts prints the verdict lines, or compares them with the
// golden file (exit code 1 and a diff on stderr if they differ), or
// writes them to it (update).
func writeVerdicts(out []string, golden string, update bool, fixtures string, stdout, stderr io.Writer) int {
	switch {
	case update:
		if err := os.WriteFile(golden, []byte(joinLines(out)), 0o644); err != nil {
			fmt.Fprintf(stderr, "relayd plugin test: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "wrote %s: %d verdicts\n", golden, len(out))
	case golden != "":
		want, err := os.ReadFile(golden)
		if err != nil {
			fmt.Fprintf(stderr, "relayd plugin test: %v (write it with -update)\n", err)
			return 1
		}
		if d := diffLines(splitLines(string(want)), out); d != "" {
			fmt.Fprintf(stderr, "%s: the verdicts of %s differ (- golden, + now):\n%s", golden, fixtures, d)
			fmt.Fprintf(stderr, "FAIL: run with -update if the new verdicts are right\n")
			return 1
		}
		fmt.Fprintf(stdout, "ok: %d verdicts match %s\n", len(out), golden)
	default:
		io.WriteString(stdout, joinLines(out))
	}
	return 0
}

// readFixtures parses every line of in; lines it cannot read are reported
// on stderr and counted in bad.
func readFixtures(in io.Reader, authed string, stderr io.Writer) (steps []*step, bad int) {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	ss := newSessions()
	n := 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 || line[0] == '#' {
			continue
		}
		st, err := ss.parseLine(line, authed)
		if err != nil {
			fmt.Fprintf(stderr, "line %d: %v\n", n, err)
			bad++
			continue
		}
		st.line = n
		steps = append(steps, st)
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(stderr, "reading fixtures: %v\n", err)
		bad++
	}
	return steps, bad
}

// replayer feeds fixture calls to one loaded plugin.
type replayer struct {
	p       policy.Policy
	kinds   []int // the kinds setting; nil: every kind
	m       *wasmhost.Manager
	st      *pluginStore
	cleanup func()
	verify  bool
	tally   map[string]int
}

// loadReplayer stages the plugin and loads it, with pool = 1, on the store
// of dataDir (a new temporary one if empty).
func loadReplayer(wasmPath, tomlPath, dataDir string, log *slog.Logger) (*replayer, error) {
	staged, _, cleanup, err := stage(wasmPath, tomlPath)
	if err != nil {
		return nil, err
	}
	st, err := openPluginStore(dataDir, log)
	if err != nil {
		cleanup()
		return nil, err
	}
	m, err := wasmhost.NewManager(wasmhost.Options{Dir: filepath.Dir(staged), Store: st.Store, Logger: log,
		RelayVersion: version(), DrainGrace: time.Millisecond, Defaults: wasmhost.Settings{Pool: 1}})
	if err != nil {
		cleanup()
		st.close()
		return nil, err
	}
	rp := &replayer{m: m, st: st, cleanup: cleanup, tally: map[string]int{}}
	if err := m.Load(context.Background()); err != nil {
		rp.close()
		return nil, err
	}
	entries := m.Holder().Load().Entries()
	if len(entries) != 1 {
		rp.close()
		return nil, errors.New("the plugin is disabled by its settings (enabled = false)")
	}
	rp.p, rp.kinds = entries[0].Policy, entries[0].Kinds
	return rp, nil
}

// close closes the plugin, which commits its durable state writes, then
// the store.
func (rp *replayer) close() {
	rp.m.Close()
	rp.st.close()
	rp.cleanup()
}

// replay runs each step and returns its output line, "LABEL VERDICT".
func (rp *replayer) replay(steps []*step) []string {
	out := make([]string, 0, len(steps))
	for _, st := range steps {
		v := rp.decide(st)
		rp.tally[verdictWord(v)]++
		out = append(out, st.label+" "+v)
	}
	return out
}

// summary prints the tally line on stderr.
func (rp *replayer) summary(w io.Writer, calls, bad int) {
	fmt.Fprintf(w, "%d calls: %d accept, %d reject, %d shadowReject, %d rateLimited, %d rewrite, %d drop, %d invalid, %d error, %d failed lines\n",
		calls, rp.tally["accept"], rp.tally["reject"], rp.tally["shadowReject"], rp.tally["rateLimited"], rp.tally["rewrite"],
		rp.tally["drop"], rp.tally["invalid"], rp.tally["error"], bad)
}

// verdictWord is the first word of a verdict, or "invalid" for the
// relay's own refusals of bad events.
func verdictWord(v string) string {
	w, _, _ := bytes.Cut([]byte(v), []byte(" "))
	if string(w) == "reject" && bytes.HasPrefix([]byte(v), []byte("reject invalid: event id")) ||
		v == "reject invalid: bad signature" {
		return "invalid"
	}
	return string(w)
}

// skips reports whether the relay would leave the plugin out of hook h for
// an event of kind, because of the hooks and kinds settings.
func (rp *replayer) skips(h policy.Hook, kind int) bool {
	if !rp.p.Hooks().Has(h) {
		return true
	}
	event := h == policy.HookEventPre || h == policy.HookEvent || h == policy.HookDeliver
	return event && rp.kinds != nil && !slices.Contains(rp.kinds, kind)
}

// decide runs one step as the relay would and returns the verdict text.
func (rp *replayer) decide(st *step) string {
	ctx := context.Background()
	switch st.hook {
	case policy.HookConnect:
		return rp.result(st.hook, rp.call(st.hook, 0, func() (policy.Verdict, error) { return rp.p.Connect(ctx, st.conn) }))
	case policy.HookEvent:
		return rp.eventPath(st.event)
	case policy.HookReq, policy.HookCount:
		return rp.result(st.hook, rp.call(st.hook, 0, func() (policy.Verdict, error) { return rp.p.Filter(ctx, st.filter) }))
	case policy.HookAuth:
		if rp.verify {
			if s := checkEvent(st.auth.Event); s != "" {
				return s
			}
		}
		s := rp.result(st.hook, rp.call(st.hook, 0, func() (policy.Verdict, error) { return rp.p.Auth(ctx, st.auth) }))
		if s == "accept" && st.auth.Session != nil {
			st.auth.Session.SetAuthed(st.auth.Event.PubKey)
		}
		return s
	case policy.HookDeliver:
		kind := st.deliver.Event.Kind
		batch := rp.call(st.hook, kind, func() (policy.Verdict, error) { return rp.deliverBatch(ctx, st.deliver) })
		r := rp.call(st.hook, kind, func() (policy.Verdict, error) { return rp.p.Deliver(ctx, st.deliver) })
		if msg := batchDisagrees(batch, r); msg != "" {
			return "error " + msg
		}
		return rp.result(st.hook, r)
	case policy.HookClose:
		if rp.p.Hooks().Has(policy.HookClose) {
			rp.p.Close(ctx, st.session)
		}
		return "ok"
	case policy.HookManage:
		return rp.manage(ctx, st)
	}
	return "error: unknown hook"
}

// deliverBatch decides a delivery as a live one to this one session
// would be, through relayd_on_deliver_batch, when the plugin batches
// (policy.BatchDeliverer): a verdict without a message, or Rewrite for a
// session the batch left undecided. It is Accept for a plugin that does
// not batch.
func (rp *replayer) deliverBatch(ctx context.Context, in *policy.DeliverInput) (policy.Verdict, error) {
	bd, ok := rp.p.(policy.BatchDeliverer)
	if !ok || !bd.BatchesDeliver() {
		return policy.Verdict{}, nil
	}
	out := make([]policy.Verdict, 1)
	err := bd.DeliverBatch(ctx, &policy.DeliverBatchInput{Event: in.Event, Raw: in.Raw,
		Targets: []policy.DeliverTarget{{Session: in.Session, SubID: in.SubID}}}, out)
	if err == nil && out[0].Action == policy.Rewrite {
		out[0].Action = policyUndecided
	}
	return out[0], err
}

// policyUndecided marks a batch that left its session undecided (any
// verdict of relayd_on_deliver agrees with it).
const policyUndecided policy.Action = 0xff

// batchDisagrees says how relayd_on_deliver_batch's answer for a delivery
// differs from relayd_on_deliver's, or "": a plugin must give the same
// verdict both ways (ABI.md, "Deliver batches"), since the relay uses the
// batch for live events and the single call for stored ones.
func batchDisagrees(batch, single hookResult) string {
	b, s := batch.v, single.v
	switch {
	case batch.skipped || single.err != nil:
		return ""
	case batch.err != nil:
		return "deliver batch: " + batch.err.Error()
	case b.Action == policyUndecided:
		return ""
	case b.Action == s.Action && b.Prefix == s.Prefix:
		return ""
	case b.Action == policy.Accept && s.Action == policy.Accept:
		return ""
	}
	return fmt.Sprintf("relayd_on_deliver_batch answered %s, relayd_on_deliver %s: a plugin must decide a "+
		"delivery the same way in both", verdictText(b), verdictText(s))
}

func verdictText(v policy.Verdict) string {
	if v.Final() {
		return v.Action.String() + " (" + v.Prefix.String() + ")"
	}
	return v.Action.String()
}

// manage calls a NIP-86 method as the relay's management API does: "result
// JSON", "refused MESSAGE" when the plugin refuses it, or "error ..." when
// the call fails (an unknown method, a plugin failure).
func (rp *replayer) manage(ctx context.Context, st *step) string {
	res, err := rp.m.Manage(ctx, st.method, st.params)
	var me *wasmhost.MethodError
	switch {
	case errors.As(err, &me):
		return "refused " + me.Message
	case err != nil:
		return "error " + err.Error()
	}
	return "result " + string(res)
}

type hookResult struct {
	v       policy.Verdict
	err     error
	skipped bool
}

func (rp *replayer) call(h policy.Hook, kind int, fn func() (policy.Verdict, error)) hookResult {
	if rp.skips(h, kind) {
		return hookResult{skipped: true}
	}
	v, err := fn()
	return hookResult{v: v, err: err}
}

// eventPath runs the relay's EVENT path: event_pre, the id and signature
// check, event. An accepted event goes to the store, so the plugin's
// store_count sees it.
func (rp *replayer) eventPath(in *policy.EventInput) string {
	ctx := context.Background()
	kind := in.Event.Kind
	r := rp.call(policy.HookEventPre, kind, func() (policy.Verdict, error) { return rp.p.EventPre(ctx, in) })
	if s := rp.result(policy.HookEventPre, r); s != "accept" {
		return s
	}
	if rp.verify {
		if s := checkEvent(in.Event); s != "" {
			return s
		}
	}
	r = rp.call(policy.HookEvent, kind, func() (policy.Verdict, error) { return rp.p.Event(ctx, in) })
	if s := rp.result(policy.HookEvent, r); s != "accept" {
		return s
	}
	if !nostr.IsEphemeralKind(in.Event.Kind) {
		rp.st.Save(ctx, in.Event, in.Raw) // duplicates and replaced versions are the store's business
	}
	return "accept"
}

// checkEvent is the relay's id and signature check: "" if they are good.
func checkEvent(ev *nostr.Event) string {
	if !ev.CheckID() {
		return "reject invalid: event id does not match its content"
	}
	if ok, err := ev.CheckSignature(); !ok || err != nil {
		return "reject invalid: bad signature"
	}
	return ""
}

// result turns a hook's answer into verdict text: accept, reject PREFIX:
// MSG, shadowReject, rateLimited PREFIX: MSG, rewrite JSON (req, count,
// deliver), drop [PREFIX: MSG] (a refused delivery), or error MSG.
func (rp *replayer) result(h policy.Hook, r hookResult) string {
	v := r.v
	switch {
	case r.skipped:
		return "accept"
	case r.err != nil:
		return "error " + r.err.Error()
	case h == policy.HookDeliver && v.Final():
		if v.Action == policy.ShadowReject || v.Message == "" {
			return "drop"
		}
		return "drop " + v.Reason()
	case v.Action == policy.ShadowReject:
		return "shadowReject"
	case v.Final():
		return v.Action.String() + " " + v.Reason()
	case v.Action == policy.Rewrite && (h == policy.HookReq || h == policy.HookCount):
		b, err := json.Marshal(v.Filters)
		if err != nil {
			return "error rewrite: " + err.Error()
		}
		return "rewrite " + string(b)
	case v.Action == policy.Rewrite && h == policy.HookDeliver:
		return "rewrite " + string(v.Payload)
	}
	return "accept"
}
