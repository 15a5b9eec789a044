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
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/store/memstore"
	"github.com/relayd/relayd/host/wasmhost"
)

// pluginTest runs `relayd plugin test`: it loads one plugin as the relay
// would (with an in-memory event store behind store_count) and replays
// events through its event_pre and event hooks, printing one verdict line
// per event.
func pluginTest(args []string, in io.Reader, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("relayd plugin test", flag.ContinueOnError)
	fs.SetOutput(stderr)
	config := fs.String("config", "", "settings file (default: NAME.toml beside FILE.wasm)")
	authed := fs.String("authed", "", `for plain event lines, the session's NIP-42 pubkey (hex), or "author" for each event's own`)
	skipVerify := fs.Bool("skip-verify", false, "pass events with a bad id or signature to the event hook instead of refusing them")
	logLevel := fs.String("log", "warn", "plugin and host log level on stderr: debug, info, warn or error")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) < 1 || len(pos) > 2 {
		return usageErr(stderr, "test", "want FILE.wasm [EVENTS.jsonl]")
	}
	var level slog.Level
	if err := level.UnmarshalText([]byte(*logLevel)); err != nil {
		return usageErr(stderr, "test", "-log: "+err.Error())
	}
	if *authed != "" && *authed != "author" && !nostr.IsValid32ByteHex(*authed) {
		return usageErr(stderr, "test", `-authed: want a 64-character hex pubkey or "author"`)
	}
	if len(pos) == 2 {
		f, err := os.Open(pos[1])
		if err != nil {
			fmt.Fprintf(stderr, "relayd plugin test: %v\n", err)
			return 1
		}
		defer f.Close()
		in = f
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: level}))
	rp, err := loadReplayer(pos[0], *config, log)
	if err != nil {
		fmt.Fprintf(stderr, "relayd plugin test: %v\n", err)
		return 1
	}
	defer rp.close()
	rp.authed, rp.verify = *authed, !*skipVerify
	return rp.run(in, stdout, stderr)
}

// replayer feeds events to one loaded plugin.
type replayer struct {
	p        policy.Policy
	m        *wasmhost.Manager
	st       *memstore.Store
	cleanup  func()
	authed   string
	verify   bool
	sessions map[string]*policy.Session
	tally    map[string]int
}

func loadReplayer(wasmPath, tomlPath string, log *slog.Logger) (*replayer, error) {
	staged, _, cleanup, err := stage(wasmPath, tomlPath)
	if err != nil {
		return nil, err
	}
	st := memstore.New()
	m, err := wasmhost.NewManager(wasmhost.Options{Dir: filepath.Dir(staged), Store: st, Logger: log,
		RelayVersion: version(), DrainGrace: time.Millisecond, Defaults: wasmhost.Settings{Pool: 1}})
	if err != nil {
		cleanup()
		st.Close()
		return nil, err
	}
	rp := &replayer{m: m, st: st, cleanup: cleanup, sessions: map[string]*policy.Session{}, tally: map[string]int{}}
	if err := m.Load(context.Background()); err != nil {
		rp.close()
		return nil, err
	}
	entries := m.Holder().Load().Entries()
	if len(entries) != 1 {
		rp.close()
		return nil, errors.New("the plugin is disabled by its settings (enabled = false)")
	}
	rp.p = entries[0].Policy
	return rp, nil
}

func (rp *replayer) close() {
	rp.m.Close()
	rp.st.Close()
	rp.cleanup()
}

// input is one line: a plain event, or strfry's plugin input.
type input struct {
	Type       string          `json:"type"`
	Event      json.RawMessage `json:"event"`
	ReceivedAt float64         `json:"receivedAt"`
	SourceType string          `json:"sourceType"`
	SourceInfo string          `json:"sourceInfo"`
	Authed     string          `json:"authed"`
}

// run replays every line of in and returns the exit code: 0, or 1 if a
// line could not be read or the plugin failed.
func (rp *replayer) run(in io.Reader, stdout, stderr io.Writer) int {
	sc := bufio.NewScanner(in)
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	out := bufio.NewWriter(stdout)
	defer out.Flush()
	bad, n := 0, 0
	for sc.Scan() {
		n++
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		ein, err := rp.parse(line)
		if err != nil {
			fmt.Fprintf(stderr, "line %d: %v\n", n, err)
			bad++
			continue
		}
		verdict := rp.decide(ein)
		fmt.Fprintf(out, "%s %s\n", ein.Event.ID, verdict)
		if verdict[0] == 'e' { // "error ..."
			bad++
		}
	}
	if err := sc.Err(); err != nil {
		fmt.Fprintf(stderr, "reading events: %v\n", err)
		bad++
	}
	out.Flush()
	fmt.Fprintf(stderr, "%d events: %d accept, %d reject, %d shadowReject, %d rateLimited, %d invalid, %d failed lines\n",
		rp.tally["total"], rp.tally["accept"], rp.tally["reject"], rp.tally["shadowReject"], rp.tally["rateLimited"],
		rp.tally["invalid"], bad)
	if bad > 0 {
		return 1
	}
	return 0
}

// parse reads one line into the relay's event input.
func (rp *replayer) parse(line []byte) (*policy.EventInput, error) {
	var in input
	if err := json.Unmarshal(line, &in); err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	raw := line
	strfry := len(in.Event) > 0
	if strfry {
		if in.Type != "new" && in.Type != "lookback" {
			return nil, fmt.Errorf("strfry input type %q: want \"new\" or \"lookback\"", in.Type)
		}
		raw = in.Event
	}
	ev := &nostr.Event{}
	if err := ev.UnmarshalJSON(raw); err != nil {
		return nil, fmt.Errorf("bad event: %v", err)
	}
	if len(ev.ID) != 64 || len(ev.PubKey) != 64 {
		return nil, errors.New("bad event: id and pubkey must be 64 hex characters")
	}
	norm, err := ev.MarshalJSON()
	if err != nil {
		return nil, fmt.Errorf("bad event: %v", err)
	}
	ein := &policy.EventInput{Event: ev, Raw: norm, ReceivedAt: time.Now().Unix(), Source: policy.SourceIP4}
	if !strfry {
		authed := rp.authed
		if authed == "author" {
			authed = ev.PubKey
		}
		ein.Session = rp.session("127.0.0.1", authed)
		return ein, nil
	}
	if in.ReceivedAt > 0 {
		ein.ReceivedAt = unixSeconds(in.ReceivedAt)
	}
	switch in.SourceType {
	case "IP4", "IP6", "":
		ein.Session = rp.session(in.SourceInfo, in.Authed)
		ein.Source = ein.Session.Source()
	case "Import":
		ein.Source = policy.SourceImport
	case "Stream":
		ein.Source = policy.SourceStream
	case "Sync":
		ein.Source = policy.SourceSync
	case "Stored":
		ein.Source = policy.SourceStored
	default:
		return nil, fmt.Errorf("strfry sourceType %q: want IP4, IP6, Import, Stream, Sync or Stored", in.SourceType)
	}
	return ein, nil
}

// unixSeconds reads strfry's receivedAt, which is seconds in its docs and
// microseconds in some versions.
func unixSeconds(t float64) int64 {
	switch {
	case t > 1e15:
		return int64(t / 1e6)
	case t > 1e12:
		return int64(t / 1e3)
	}
	return int64(t)
}

// session returns the session of one client address and NIP-42 pubkey:
// lines from the same address and pubkey share it, as one connection.
func (rp *replayer) session(ip, authed string) *policy.Session {
	key := ip + "|" + authed
	if s := rp.sessions[key]; s != nil {
		return s
	}
	addr, err := netip.ParseAddr(ip)
	if err != nil {
		addr = netip.MustParseAddr("127.0.0.1")
	}
	s := &policy.Session{ID: uint64(len(rp.sessions) + 1), IP: addr, ConnectedAt: time.Now().Unix(), Headers: map[string]string{}}
	if authed != "" {
		s.SetAuthed(authed)
	}
	rp.sessions[key] = s
	return s
}

// decide runs the relay's event path on one event: event_pre, the id and
// signature check, event. Accepted events go to the in-memory store, so
// the plugin's store_count sees them. It returns the verdict text.
func (rp *replayer) decide(in *policy.EventInput) string {
	ctx := context.Background()
	rp.tally["total"]++
	if rp.p.Hooks().Has(policy.HookEventPre) {
		if s, final := rp.call(rp.p.EventPre(ctx, in)); final {
			return s
		}
	}
	if rp.verify {
		if !in.Event.CheckID() {
			rp.tally["invalid"]++
			return "reject invalid: event id does not match its content"
		}
		if ok, err := in.Event.CheckSignature(); !ok || err != nil {
			rp.tally["invalid"]++
			return "reject invalid: bad signature"
		}
	}
	if rp.p.Hooks().Has(policy.HookEvent) {
		if s, final := rp.call(rp.p.Event(ctx, in)); final {
			return s
		}
	}
	rp.tally["accept"]++
	if !nostr.IsEphemeralKind(in.Event.Kind) {
		rp.st.Save(ctx, in.Event, in.Raw) // duplicates and replaced versions are the store's business
	}
	return "accept"
}

// call turns a hook's result into a verdict line, and reports whether it
// ends the event's path.
func (rp *replayer) call(v policy.Verdict, err error) (string, bool) {
	switch {
	case err != nil:
		rp.tally["error"]++
		return "error " + err.Error(), true
	case v.Action == policy.ShadowReject:
		rp.tally["shadowReject"]++
		return "shadowReject", true
	case v.Final():
		rp.tally[v.Action.String()]++
		return v.Action.String() + " " + v.Reason(), true
	}
	return "", false
}
