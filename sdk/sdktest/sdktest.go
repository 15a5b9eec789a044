//go:build !wasip1

package sdktest

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"time"

	_ "github.com/relayd/relayd/sdk" // registers the exports
	"github.com/relayd/relayd/sdk/abi"
	"github.com/relayd/relayd/sdk/internal/imports"
)

// Options configure a Host.
type Options struct {
	// Name is the plugin's name; "test" if empty.
	Name string
	// Config is the [config] table as JSON; "{}" if empty. Settings is
	// the other way to give it.
	Config string
	// Settings is the plugin's NAME.toml as the operator writes it: host
	// settings and a [config] table, read as the relay reads them (see
	// ParseSettings). Init refuses what the relay would refuse. Its
	// "files" are read from Dir unless Files has them; "hooks" and
	// "kinds" make the Host skip the calls the relay would not make
	// (Result is then accept).
	Settings string
	// SettingsFile is a NAME.toml to read as Settings; its "files" are
	// read from its directory unless Dir is set. Set one of Settings and
	// SettingsFile.
	SettingsFile string
	// Dir is where the files Settings lists are read from; "." if empty.
	Dir string
	// Now is the clock; time.Now if nil. Shared-state TTLs and token
	// buckets use it, so a test can advance time.
	Now func() time.Time
	// Count answers sdk.StoreCount; nil means no store (ErrUnavailable).
	Count func(filterJSON string) (int64, error)
	// Events are the stored events sdk.StoreQuery reads, a fake store of
	// fixtures (Host.AddEvents adds more); nil means no store
	// (ErrUnavailable), an empty slice an empty store. The settings'
	// query_max_events and query_max_bytes bound a query as they do in
	// the relay.
	Events []Event
	// Files are the listed files sdk.File reads, by name: what the relay
	// reads from the plugin directory for the "files" setting. Init
	// refuses a name the relay would refuse, or a file over
	// abi.MaxFileLen. To test a changed file, make a new Host and Init it,
	// as the relay reloads the plugin.
	Files map[string]string
	// DB is the plugin's durable state (package sdk/db); nil gives the
	// Host an empty one with the relay's default limits. Pass the same DB
	// to a new Host to test what a restart or a reload keeps.
	DB *DB
	// NoDB makes the Host a relay without durable state: the feature bit
	// is off and package sdk/db reports sdk.ErrUnavailable.
	NoDB bool
}

// Event is a fixture event. Empty ID, PubKey and Sig are filled with
// placeholder hex.
type Event struct {
	ID        string     `json:"id"`
	PubKey    string     `json:"pubkey"`
	CreatedAt int64      `json:"created_at"`
	Kind      int        `json:"kind"`
	Tags      [][]string `json:"tags"`
	Content   string     `json:"content"`
	Sig       string     `json:"sig"`
}

// Session is a fixture client session.
type Session struct {
	ID uint64
	// IP is the client address; empty means the event is an import
	// (SourceImport) rather than from a client.
	IP string
	// Authed is the NIP-42 pubkey, or "".
	Authed      string
	Headers     map[string]string
	ConnectedAt int64
}

// Result is a handler's verdict as the relay would see it.
type Result struct {
	Action  abi.Action
	Prefix  abi.Prefix
	Message string
	// Output is the rewritten filters (req, count) or event JSON (deliver).
	Output string
}

// String formats the result as "accept", "reject blocked: no DMs",
// "rewrite [{...}]".
func (r Result) String() string {
	names := [...]string{"accept", "reject", "shadowReject", "rewrite", "rateLimited"}
	s := "unknown"
	if int(r.Action) < len(names) {
		s = names[r.Action]
	}
	switch r.Action {
	case abi.ActionReject, abi.ActionRateLimited:
		s += " " + prefixText(r.Action, r.Prefix) + ": " + r.Message
	case abi.ActionRewrite:
		s += " " + r.Output
	}
	return strings.TrimSpace(s)
}

func prefixText(a abi.Action, p abi.Prefix) string {
	names := [...]string{"blocked", "blocked", "rate-limited", "invalid", "restricted", "auth-required", "pow",
		"duplicate", "error", "mute"}
	if p == abi.PrefixDefault && a == abi.ActionRateLimited {
		return "rate-limited"
	}
	if int(p) < len(names) {
		return names[p]
	}
	return "blocked"
}

// Host is an in-process relay for one plugin. Its methods are not safe for
// concurrent use, as a wasm instance is not, but each Host is independent:
// tests with their own Host may run in parallel (see package doc).
type Host struct {
	opts  Options
	base  Options // as given to New; Init applies the settings to a copy
	state *state
	db    *DB // nil with Options.NoDB
	mu    sync.Mutex
	logs  []string
	call  callInput
	out   [abi.MaxOutput + 1][]byte
	init  bool
	mask  abi.HookMask
	// methods are the management methods Init read (OutputMethods).
	methods []string
	// quiet drops the plugin's logs while OnInit runs again (instance.go).
	quiet  bool
	limits limits
	// events is the fake store (Options.Events and AddEvents); query the
	// settings' store_query bounds.
	events []Event
	query  queryBounds
}

type callInput struct {
	hook    abi.Hook
	session *Session
	event   *Event
	raw     []byte
	subID   string
	filters string
	source  abi.Source
	recvAt  int64
	method  string // manage
	params  string // manage: a JSON array
	batch   []Target
}

// Target is one receiving session of a deliver batch (Host.DeliverBatch).
type Target struct {
	Session Session
	SubID   string
}

// New returns a Host and installs it as the SDK's host.
func New(opts Options) *Host {
	if opts.Name == "" {
		opts.Name = "test"
	}
	if opts.Config == "" {
		opts.Config = "{}"
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	h := &Host{opts: opts, base: opts, state: newState(), db: opts.DB}
	if opts.Events != nil {
		h.events = []Event{}
		h.AddEvents(opts.Events...)
	}
	if h.db == nil && !opts.NoDB {
		h.db = NewDB(DBLimits{})
	}
	guest.mu.Lock()
	imports.SetHost(h) // for SDK calls outside a handler; see Call
	guest.mu.Unlock()
	return h
}

// Init runs the plugin's OnInit, as the relay does at load, and returns its
// error. Hook calls before Init run it implicitly.
func (h *Host) Init() error {
	h.opts = h.base
	if err := h.applySettings(); err != nil {
		return err
	}
	if err := checkFiles(h.opts.Files); err != nil {
		return err
	}
	h.init = false
	h.enter()
	defer h.leave()
	guest.active = h
	h.reset(callInput{hook: hookInit})
	rc := imports.Guest.Init()
	h.init = true
	if rc < 0 {
		return errInit(h.out)
	}
	h.mask = abi.HookMask(rc)
	methods, err := parseMethods(h.out[abi.OutputMethods])
	if err != nil {
		return err
	}
	if len(methods) > 0 && !h.mask.Has(abi.HookManage) {
		return errors.New("sdktest: the plugin declares management methods but does not handle the manage hook")
	}
	h.methods = methods
	return nil
}

func errInit(out [abi.MaxOutput + 1][]byte) error { return errors.New(string(out[abi.OutputMessage])) }

// Hooks returns the hooks the plugin registered (after Init). The bit by
// which a deliver handler asks for batches (abi.HookDeliverBatch) is not a
// hook and is left out: BatchesDeliver reports it.
func (h *Host) Hooks() abi.HookMask { return h.mask &^ (1 << abi.HookDeliverBatch) }

// BatchesDeliver reports whether the plugin asked for deliver batches
// (after Init); the Go SDK does for every OnDeliver handler.
func (h *Host) BatchesDeliver() bool { return h.mask.Has(abi.HookDeliverBatch) }

// Limitation returns the plugin's NIP-11 limitation keys.
func (h *Host) Limitation() (map[string]any, error) {
	if err := h.enter(); err != nil {
		h.leave()
		return nil, err
	}
	defer h.leave()
	h.reset(callInput{})
	if rc := imports.Guest.Limitation(); rc < 0 {
		return nil, errors.New("sdktest: limitation failed with code " + strconv.Itoa(int(rc)))
	}
	out := map[string]any{}
	if b := h.out[abi.OutputLimitation]; len(b) > 0 {
		if err := json.Unmarshal(b, &out); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// Logs returns the lines the plugin logged, as "LEVEL msg".
func (h *Host) Logs() []string {
	h.mu.Lock()
	defer h.mu.Unlock()
	return append([]string(nil), h.logs...)
}

// Connect runs the connect handler.
func (h *Host) Connect(s Session) Result {
	return h.run(callInput{hook: abi.HookConnect, session: &s}, 0, s.ConnectedAt, 0, 0)
}

// EventPre runs the event_pre handler.
func (h *Host) EventPre(s Session, ev Event) Result { return h.runEvent(abi.HookEventPre, s, ev, "") }

// Event runs the event handler.
func (h *Host) Event(s Session, ev Event) Result { return h.runEvent(abi.HookEvent, s, ev, "") }

// Auth runs the auth handler with a kind 22242 event.
func (h *Host) Auth(s Session, ev Event) Result { return h.runEvent(abi.HookAuth, s, ev, "") }

// Deliver runs the deliver handler for subscription subID.
func (h *Host) Deliver(s Session, subID string, ev Event) Result {
	return h.runEvent(abi.HookDeliver, s, ev, subID)
}

// Req runs the req handler; filtersJSON is a JSON array of filters.
func (h *Host) Req(s Session, subID, filtersJSON string) Result {
	return h.runFilters(abi.HookReq, s, subID, filtersJSON)
}

// Count runs the count handler; filtersJSON is a JSON array of filters.
func (h *Host) Count(s Session, subID, filtersJSON string) Result {
	return h.runFilters(abi.HookCount, s, subID, filtersJSON)
}

// Close runs the close handler.
func (h *Host) Close(s Session) { h.run(callInput{hook: abi.HookClose, session: &s}, 0, 0, 0, 0) }

func (h *Host) runFilters(hook abi.Hook, s Session, subID, filters string) Result {
	var arr []json.RawMessage
	_ = json.Unmarshal([]byte(filters), &arr)
	return h.run(callInput{hook: hook, session: &s, subID: subID, filters: filters}, 0, 0, 0, uint32(len(arr)))
}

func (h *Host) runEvent(hook abi.Hook, s Session, ev Event, subID string) Result {
	fill(&ev)
	raw, _ := json.Marshal(ev)
	in := callInput{hook: hook, session: &s, event: &ev, raw: raw, subID: subID, source: sourceOf(s)}
	if hook == abi.HookEventPre || hook == abi.HookEvent {
		in.recvAt = h.opts.Now().Unix()
	}
	return h.run(in, uint32(ev.Kind), ev.CreatedAt, uint32(len(ev.Content)), uint32(len(ev.Tags)))
}

func (h *Host) run(in callInput, kind uint32, createdAt int64, size, count uint32) Result {
	if !h.init {
		if err := h.Init(); err != nil {
			return Result{Action: abi.ActionReject, Prefix: abi.PrefixError, Message: "init: " + err.Error()}
		}
	}
	if h.limits.skips(in.hook, int(kind)) {
		return Result{}
	}
	if err := h.enter(); err != nil {
		h.leave()
		return Result{Action: abi.ActionReject, Prefix: abi.PrefixError, Message: "init: " + err.Error()}
	}
	defer h.leave()
	h.reset(in)
	flags := sessionFlags(in.session, in.source)
	var id uint64
	if in.session != nil {
		id = in.session.ID
	}
	v := imports.Guest.Hook(in.hook, id, kind, createdAt, in.recvAt, size, count, flags)
	a, p := abi.UnpackVerdict(v)
	r := Result{Action: a, Prefix: p, Message: string(h.out[abi.OutputMessage])}
	if a == abi.ActionRewrite {
		r.Output = string(h.out[abi.OutputFilters]) + string(h.out[abi.OutputPayload])
	}
	return r
}

// sessionFlags is the hook's flags parameter for a call from s.
func sessionFlags(s *Session, src abi.Source) uint32 {
	flags := uint32(src)
	if s != nil {
		if s.IP != "" {
			flags |= abi.FlagSession
			flags |= uint32(sourceOf(*s))
		}
		if s.Authed != "" {
			flags |= abi.FlagAuthed
		}
	}
	return flags
}

// DeliverBatch runs the deliver handler as a relay with
// abi.FeatureDeliverBatch does for a live event: one
// relayd_on_deliver_batch call for all the targets (at most
// abi.MaxDeliverBatch), then Deliver alone for each session the batch
// left undecided (a RewriteEvent). The results are in target order; a
// session decided in the batch has no Message (a batch carries none).
func (h *Host) DeliverBatch(ev Event, targets ...Target) []Result {
	out := make([]Result, len(targets))
	if len(targets) == 0 || len(targets) > abi.MaxDeliverBatch {
		for i := range out {
			out[i] = Result{Action: abi.ActionReject, Prefix: abi.PrefixError, Message: "sdktest: 1 to 64 targets"}
		}
		return out
	}
	if !h.init {
		if err := h.Init(); err != nil {
			for i := range out {
				out[i] = Result{Action: abi.ActionReject, Prefix: abi.PrefixError, Message: "init: " + err.Error()}
			}
			return out
		}
	}
	fill(&ev)
	if h.limits.skips(abi.HookDeliver, ev.Kind) {
		return out
	}
	raw, _ := json.Marshal(ev)
	if err := h.enter(); err != nil {
		h.leave()
		for i := range out {
			out[i] = Result{Action: abi.ActionReject, Prefix: abi.PrefixError, Message: "init: " + err.Error()}
		}
		return out
	}
	ts := append([]Target(nil), targets...)
	h.reset(callInput{hook: abi.HookDeliverBatch, session: &ts[0].Session, subID: ts[0].SubID, event: &ev, raw: raw,
		source: sourceOf(ts[0].Session), batch: ts})
	r := imports.Guest.DeliverBatch(uint32(len(ts)), uint32(ev.Kind), ev.CreatedAt, 0, uint32(len(ev.Content)), uint32(len(ev.Tags)))
	vs := h.out[abi.OutputVerdicts]
	h.leave()
	switch {
	case r != 0:
		msg := fmt.Sprintf("relayd_on_deliver_batch returned %d", r)
		for i := range out {
			out[i] = Result{Action: abi.ActionReject, Prefix: abi.PrefixError, Message: msg}
		}
		return out
	case vs != nil && len(vs) != 4*len(ts):
		msg := fmt.Sprintf("relayd_on_deliver_batch set %d bytes of verdicts for %d sessions", len(vs), len(ts))
		for i := range out {
			out[i] = Result{Action: abi.ActionReject, Prefix: abi.PrefixError, Message: msg}
		}
		return out
	}
	for i, t := range ts {
		if vs == nil {
			continue
		}
		a, p := abi.UnpackVerdict(binary.LittleEndian.Uint32(vs[4*i:]))
		if a == abi.ActionRewrite { // undecided: alone, as the relay does
			out[i] = h.Deliver(t.Session, t.SubID, ev)
			continue
		}
		out[i] = Result{Action: a, Prefix: p}
	}
	return out
}

func (h *Host) reset(in callInput) {
	h.call = in
	for i := range h.out {
		h.out[i] = nil
	}
}

func sourceOf(s Session) abi.Source {
	switch {
	case s.IP == "":
		return abi.SourceImport
	case strings.Contains(s.IP, ":"):
		return abi.SourceIP6
	}
	return abi.SourceIP4
}

func fill(ev *Event) {
	if ev.ID == "" {
		ev.ID = strings.Repeat("e", 64)
	}
	if ev.PubKey == "" {
		ev.PubKey = strings.Repeat("a", 64)
	}
	if ev.Sig == "" {
		ev.Sig = strings.Repeat("f", 128)
	}
	if ev.Tags == nil {
		ev.Tags = [][]string{}
	}
}
