package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
)

// A fixtures file (`relayd plugin test`, `relayd plugin bench`) is JSONL:
// one call per line, blank lines and lines starting with # skipped. A line
// is one of
//
//   - a plain event, {"id":...,"kind":1,...}: the EVENT path, event_pre,
//     the id and signature check, event; an accepted event is stored, so
//     later lines' store_count sees it;
//   - strfry's plugin input, {"type":"new","event":{...},"sourceType":...}:
//     the same path, from the source it names;
//   - a hook line, {"hook":"connect"|"event"|"req"|"count"|"auth"|
//     "deliver"|"close", ...} with the fields of hookLine;
//   - a management line, {"hook":"manage","method":"banpubkey",
//     "params":[...]}: a NIP-86 method the plugin serves, as the relay's
//     management API calls it (Manager.Manage).
//
// The README's "Writing a policy" documents the format.

// hookLine is a fixture line with a "hook". Unknown fields are refused,
// so a misspelt field does not silently test something else.
type hookLine struct {
	Hook string `json:"hook"`
	// Session names a connection: lines with the same name share one
	// session (its id, its NIP-42 state), as one websocket. Without a
	// name, lines share a session per (ip, authed).
	Session string `json:"session"`
	// IP and Headers describe the connection when it is first seen
	// (default 127.0.0.1, no headers).
	IP      string            `json:"ip"`
	Headers map[string]string `json:"headers"`
	// Authed is the pubkey (hex) the session has authenticated as: on a
	// named session's later line it authenticates it from then on, as an
	// accepted AUTH does.
	Authed string `json:"authed"`
	// Sub is the subscription id of req, count and deliver ("sub" if
	// empty).
	Sub string `json:"sub"`
	// Filters are the REQ or COUNT filters: an array of filter objects.
	Filters json.RawMessage `json:"filters"`
	// Event is the event of event, auth and deliver lines.
	Event json.RawMessage `json:"event"`
	// Source is where an event line's event comes from: IP4 or IP6 (a
	// client, the default), Import, Stream, Sync or Stored.
	Source string `json:"source"`
	// Method and Params are a manage line's NIP-86 method and its params
	// (a JSON array; none is []).
	Method string          `json:"method"`
	Params json.RawMessage `json:"params"`
}

// strfryLine is strfry's plugin input, also accepted as a fixture line.
type strfryLine struct {
	Type       string          `json:"type"`
	Event      json.RawMessage `json:"event"`
	ReceivedAt float64         `json:"receivedAt"`
	SourceType string          `json:"sourceType"`
	SourceInfo string          `json:"sourceInfo"`
	Authed     string          `json:"authed"`
}

// step is one parsed fixture line: the hook it exercises and its inputs.
// Exactly one input is set, for hook; HookEvent stands for the whole EVENT
// path (event_pre, check, event).
type step struct {
	line    int
	hook    policy.Hook
	label   string // what the output line names: an event id, "req SUB", ...
	conn    *policy.ConnInput
	event   *policy.EventInput
	filter  *policy.FilterInput
	auth    *policy.AuthInput
	deliver *policy.DeliverInput
	session *policy.Session // close
	closes  string          // the session key a close ends
	method  string          // manage
	params  json.RawMessage // manage
}

// sessions holds the fixture's connections.
type sessions struct {
	byKey  map[string]*policy.Session
	nextID uint64
}

func newSessions() *sessions { return &sessions{byKey: map[string]*policy.Session{}} }

// get returns the session of a line: by name, or by (ip, authed).
func (ss *sessions) get(name, ip string, headers map[string]string, authed string) (*policy.Session, string, error) {
	addr := netip.MustParseAddr("127.0.0.1")
	if ip != "" {
		var err error
		if addr, err = netip.ParseAddr(ip); err != nil {
			return nil, "", fmt.Errorf("ip %q: %v", ip, err)
		}
	}
	if authed != "" && !nostr.IsValid32ByteHex(authed) {
		return nil, "", fmt.Errorf("authed %q: want a 64-character hex pubkey", authed)
	}
	key := "name:" + name
	if name == "" {
		key = "addr:" + addr.String() + "|" + authed
	}
	if s := ss.byKey[key]; s != nil {
		if name != "" && (ip != "" && addr != s.IP || headers != nil) {
			return nil, "", fmt.Errorf("session %q: ip and headers belong on its first line", name)
		}
		if authed != "" {
			s.SetAuthed(authed)
		}
		return s, key, nil
	}
	ss.nextID++
	h := map[string]string{}
	for k, v := range headers {
		h[toLowerASCII(k)] = v
	}
	s := &policy.Session{ID: ss.nextID, IP: addr, ConnectedAt: time.Now().Unix(), Headers: h}
	if authed != "" {
		s.SetAuthed(authed)
	}
	ss.byKey[key] = s
	return s, key, nil
}

func toLowerASCII(s string) string {
	b := []byte(s)
	for i, c := range b {
		if c >= 'A' && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// parseLine reads one fixture line. authedFlag is `-authed`: the NIP-42
// pubkey of lines that name no session and no authed, or "author" for an
// event's own pubkey.
func (ss *sessions) parseLine(line []byte, authedFlag string) (*step, error) {
	var probe struct {
		Hook  *string         `json:"hook"`
		Event json.RawMessage `json:"event"`
	}
	if err := json.Unmarshal(line, &probe); err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	switch {
	case probe.Hook != nil:
		return ss.parseHook(line, authedFlag)
	case len(probe.Event) > 0:
		return ss.parseStrfry(line)
	}
	ev, raw, err := parseEvent(line)
	if err != nil {
		return nil, err
	}
	authed := authedFlag
	if authed == "author" {
		authed = ev.PubKey
	}
	s, _, err := ss.get("", "", nil, authed)
	if err != nil {
		return nil, err
	}
	in := &policy.EventInput{Session: s, Event: ev, Raw: raw, ReceivedAt: time.Now().Unix(), Source: s.Source()}
	return &step{hook: policy.HookEvent, label: ev.ID, event: in}, nil
}

// parseEvent reads an event and normalises its JSON as the relay would
// store it.
func parseEvent(b []byte) (*nostr.Event, []byte, error) {
	ev := &nostr.Event{}
	if err := ev.UnmarshalJSON(b); err != nil {
		return nil, nil, fmt.Errorf("bad event: %v", err)
	}
	if len(ev.ID) != 64 || len(ev.PubKey) != 64 {
		return nil, nil, errors.New("bad event: id and pubkey must be 64 hex characters")
	}
	raw, err := ev.MarshalJSON()
	if err != nil {
		return nil, nil, fmt.Errorf("bad event: %v", err)
	}
	return ev, raw, nil
}

func (ss *sessions) parseStrfry(line []byte) (*step, error) {
	var in strfryLine
	if err := json.Unmarshal(line, &in); err != nil {
		return nil, fmt.Errorf("not JSON: %v", err)
	}
	if in.Type != "new" && in.Type != "lookback" {
		return nil, fmt.Errorf("strfry input type %q: want \"new\" or \"lookback\"", in.Type)
	}
	ev, raw, err := parseEvent(in.Event)
	if err != nil {
		return nil, err
	}
	ein := &policy.EventInput{Event: ev, Raw: raw, ReceivedAt: time.Now().Unix()}
	if in.ReceivedAt > 0 {
		ein.ReceivedAt = unixSeconds(in.ReceivedAt)
	}
	switch in.SourceType {
	case "IP4", "IP6", "":
		s, _, err := ss.get("", validIP(in.SourceInfo), nil, in.Authed)
		if err != nil {
			return nil, err
		}
		ein.Session, ein.Source = s, s.Source()
	default:
		src, ok := parseSource(in.SourceType)
		if !ok {
			return nil, fmt.Errorf("strfry sourceType %q: want IP4, IP6, Import, Stream, Sync or Stored", in.SourceType)
		}
		ein.Source, ein.SourceInfo = src, in.SourceInfo
	}
	return &step{hook: policy.HookEvent, label: ev.ID, event: ein}, nil
}

// validIP returns ip, or "" (the default address) if it does not parse:
// strfry lines have always been read that way.
func validIP(ip string) string {
	if _, err := netip.ParseAddr(ip); err != nil {
		return ""
	}
	return ip
}

func parseSource(name string) (policy.Source, bool) {
	for s := policy.SourceIP4; s <= policy.SourceStored; s++ {
		if s.String() == name {
			return s, true
		}
	}
	return 0, false
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

func (ss *sessions) parseHook(line []byte, authedFlag string) (*step, error) {
	var hl hookLine
	d := json.NewDecoder(bytes.NewReader(line))
	d.DisallowUnknownFields()
	if err := d.Decode(&hl); err != nil {
		return nil, fmt.Errorf("hook line: %v", err)
	}
	h, ok := policy.ParseHook(hl.Hook)
	if !ok || h == policy.HookEventPre {
		return nil, fmt.Errorf("hook %q: want connect, event, req, count, auth, deliver, close or manage", hl.Hook)
	}
	if (h == policy.HookManage) != (hl.Method != "") || h != policy.HookManage && len(hl.Params) > 0 {
		return nil, fmt.Errorf("hook %s: \"method\" and \"params\" belong to manage lines, which need a method", hl.Hook)
	}
	if h == policy.HookManage {
		return &step{hook: h, label: "manage " + hl.Method, method: hl.Method, params: hl.Params}, nil
	}
	var ev *nostr.Event
	var raw []byte
	needEvent := h == policy.HookEvent || h == policy.HookAuth || h == policy.HookDeliver
	switch {
	case needEvent && len(hl.Event) == 0:
		return nil, fmt.Errorf("hook %s: want an \"event\"", hl.Hook)
	case !needEvent && len(hl.Event) > 0:
		return nil, fmt.Errorf("hook %s takes no \"event\"", hl.Hook)
	case needEvent:
		var err error
		if ev, raw, err = parseEvent(hl.Event); err != nil {
			return nil, err
		}
	}
	isFilter := h == policy.HookReq || h == policy.HookCount
	if isFilter != (len(hl.Filters) > 0) {
		return nil, fmt.Errorf("hook %s: \"filters\" belong to req and count lines, which need them", hl.Hook)
	}
	authed := hl.Authed
	if authed == "" && hl.Session == "" {
		authed = authedFlag
		if authed == "author" {
			authed = ""
			if ev != nil {
				authed = ev.PubKey
			}
		}
	}
	st := &step{hook: h}
	if hl.Source != "" {
		src, ok := parseSource(hl.Source)
		switch {
		case h != policy.HookEvent:
			return nil, fmt.Errorf("hook %s takes no \"source\"", hl.Hook)
		case !ok:
			return nil, fmt.Errorf("source %q: want IP4, IP6, Import, Stream, Sync or Stored", hl.Source)
		case src > policy.SourceIP6: // not from a client: no session
			st.label = ev.ID
			st.event = &policy.EventInput{Event: ev, Raw: raw, ReceivedAt: time.Now().Unix(), Source: src}
			return st, nil
		}
	}
	s, key, err := ss.get(hl.Session, hl.IP, hl.Headers, authed)
	if err != nil {
		return nil, err
	}
	name := hl.Session
	if name == "" {
		name = s.IP.String()
	}
	sub := hl.Sub
	if sub == "" {
		sub = "sub"
	}
	switch h {
	case policy.HookConnect:
		st.label, st.conn = "connect "+name, &policy.ConnInput{Session: s}
	case policy.HookEvent:
		st.label = ev.ID
		st.event = &policy.EventInput{Session: s, Event: ev, Raw: raw, ReceivedAt: time.Now().Unix(), Source: s.Source()}
	case policy.HookReq, policy.HookCount:
		var fs nostr.Filters
		if err := json.Unmarshal(hl.Filters, &fs); err != nil {
			return nil, fmt.Errorf("filters: want an array of filter objects: %v", err)
		}
		st.label = h.String() + " " + sub
		st.filter = &policy.FilterInput{Session: s, Hook: h, SubID: sub, Filters: fs}
	case policy.HookAuth:
		st.label, st.auth = "auth "+ev.ID, &policy.AuthInput{Session: s, Event: ev}
	case policy.HookDeliver:
		st.label = "deliver " + ev.ID + " " + sub
		st.deliver = &policy.DeliverInput{Session: s, SubID: sub, Event: ev, Raw: raw}
	case policy.HookClose:
		st.label, st.session, st.closes = "close "+name, s, key
	}
	return st, nil
}
