// Package tck runs relayd's guest conformance kit (sdk/tck): it loads a
// plugin through the real host (host/wasmhost, with a badger store behind
// store_count and the db_* functions), makes each case's hook call and
// checks the verdict, the output, the host functions the call made and the
// host state it left. `relayd plugin tck` and TestTCK use it.
package tck

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
)

// Line is one line of a cases file: a Load (with the error it must fail
// with, or the limitation it must report) or a Case.
type Line struct {
	// N is the line number, from 1.
	N          int
	Load       *Load
	LoadError  string
	Limitation json.RawMessage
	Case       *Case
}

// Load starts a fresh host with the plugin, as "tck".
type Load struct {
	// Config is the plugin's [config] table; Files are files to list in
	// its settings, by name.
	Config map[string]any    `json:"config"`
	Files  map[string]string `json:"files"`
	// Events are stored before the plugin loads, for store_query and
	// store_count: each an event object (id and sig may be left out:
	// the id is computed, the signature is not checked).
	Events []map[string]any `json:"events"`
	// QueryMaxEvents, if set, is the plugin's query_max_events setting.
	QueryMaxEvents int `json:"query_max_events"`
}

// loadLine is a load line as written.
type loadLine struct {
	Load       *Load           `json:"load"`
	Error      string          `json:"error"`
	Limitation json.RawMessage `json:"limitation"`
}

// Case is one hook call and what it must give.
type Case struct {
	Name       string          `json:"name"`
	Hook       string          `json:"hook"`
	Cmd        string          `json:"cmd"`
	Event      map[string]any  `json:"event"`
	Filters    json.RawMessage `json:"filters"`
	Sub        string          `json:"sub"`
	Session    *SessionSpec    `json:"session"`
	Source     string          `json:"source"`
	ReceivedAt int64           `json:"received_at"`
	Want       *Want           `json:"want"`
	Calls      []string        `json:"calls"`
	Host       *HostState      `json:"host"`
}

// SessionSpec describes the case's session.
type SessionSpec struct {
	ID      uint64            `json:"id"`
	IP      string            `json:"ip"`
	Authed  string            `json:"authed"`
	Headers map[string]string `json:"headers"`
}

// Want is the verdict a case must get.
type Want struct {
	Action  string          `json:"action"`
	Prefix  *string         `json:"prefix"`
	Message *string         `json:"message"`
	Output  json.RawMessage `json:"output"`
}

// HostState is host state a case must leave: nil values in KV and DB mean
// absent.
type HostState struct {
	Counters map[string]int64   `json:"counters"`
	KV       map[string]*string `json:"kv"`
	DB       map[string]*string `json:"db"`
	Log      []string           `json:"log"`
}

// Parse reads a cases file. Unknown fields are refused, so a misspelt
// field does not silently check nothing.
func Parse(r io.Reader) ([]Line, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 4<<20)
	var out []Line
	n := 0
	for sc.Scan() {
		n++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		l, err := parseLine(b)
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		l.N = n
		out = append(out, l)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading cases: %w", err)
	}
	if len(out) == 0 || out[0].Load == nil {
		return nil, fmt.Errorf("the first line must be a load")
	}
	return out, nil
}

func parseLine(b []byte) (Line, error) {
	var probe map[string]json.RawMessage
	if err := json.Unmarshal(b, &probe); err != nil {
		return Line{}, fmt.Errorf("not a JSON object: %w", err)
	}
	if _, ok := probe["load"]; ok {
		var ll loadLine
		if err := strict(b, &ll); err != nil {
			return Line{}, err
		}
		if ll.Load == nil {
			return Line{}, fmt.Errorf("load: want an object")
		}
		return Line{Load: ll.Load, LoadError: ll.Error, Limitation: ll.Limitation}, nil
	}
	var c Case
	if err := strict(b, &c); err != nil {
		return Line{}, err
	}
	if _, ok := hooks[c.Hook]; !ok && c.Hook != TickHook {
		return Line{}, fmt.Errorf("hook %q: want connect, event_pre, event, req, count, auth, deliver, close, manage or tick", c.Hook)
	}
	if c.Want == nil && c.Hook != "close" {
		return Line{}, fmt.Errorf("case %q has no want", c.Name)
	}
	return Line{Case: &c}, nil
}

func strict(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return fmt.Errorf("bad line: %w", err)
	}
	return nil
}
