package config

import (
	"fmt"
	"reflect"
	"sync"
	"sync/atomic"
)

// Reloading.
//
// relayd reloads relayd.toml on SIGHUP and when the file changes
// (host/server). Each key says in its `reload` struct tag how a running
// relayd applies a change of it, so the list lives in one place:
//
//   - "live": the next message, connection or request sees it.
//   - "new": connections opened after the reload get it; open ones keep
//     theirs (queue_bytes, write_timeout, ping_interval, idle_timeout).
//   - "restart": the running relayd keeps its value and logs
//     "KEY changed: restart relayd to apply" at each reload until it
//     restarts (RestartKeys lists them; the README too).
//
// The flags set at start are applied over the file again on every reload
// (Source), so a flag-set value stays. A file that does not load or
// validate changes nothing: the running config stays and the error says
// why, naming the key.

// Source is where relayd's config comes from: a file (none: the
// defaults) and the flags set over it.
type Source struct {
	// Path is the TOML file; empty: the defaults.
	Path string
	// Flags applies the flags that were set, over the file; nil: none.
	Flags func(*Config)
}

// Load reads the file, applies the flags and validates the result, as at
// start and at each reload.
func (s Source) Load() (Config, error) {
	c, err := Load(s.Path)
	if err != nil {
		return c, err
	}
	if s.Flags != nil {
		s.Flags(&c)
	}
	if s.Path == "" {
		return c, c.Validate()
	}
	if err := c.problems(); err != nil {
		return c, fmt.Errorf("config %s: %w", s.Path, err)
	}
	return c, nil
}

// Apply returns the config a running relayd takes from loaded: loaded,
// with every restart key and every key no file sets (toml:"-") kept at
// its running value, and the restart keys whose value changed (the
// operator must restart relayd to apply them), in field order.
func Apply(running, loaded Config) (next Config, restart []string) {
	next = loaded
	rv, nv := reflect.ValueOf(&running).Elem(), reflect.ValueOf(&next).Elem()
	for _, f := range fields() {
		if f.reload != restartReload && f.key != "-" {
			continue
		}
		run, got := rv.FieldByIndex(f.index), nv.FieldByIndex(f.index)
		if f.key != "-" && !reflect.DeepEqual(run.Interface(), got.Interface()) {
			restart = append(restart, f.key)
		}
		got.Set(run)
	}
	return next, restart
}

// Changed returns the keys whose values differ between a and b, in field
// order.
func Changed(a, b Config) []string {
	av, bv := reflect.ValueOf(a), reflect.ValueOf(b)
	var out []string
	for _, f := range fields() {
		if f.key != "-" && !reflect.DeepEqual(av.FieldByIndex(f.index).Interface(), bv.FieldByIndex(f.index).Interface()) {
			out = append(out, f.key)
		}
	}
	return out
}

// RestartKeys returns the keys a running relayd applies only after a
// restart, in field order.
func RestartKeys() []string {
	var out []string
	for _, f := range fields() {
		if f.reload == restartReload {
			out = append(out, f.key)
		}
	}
	return out
}

const restartReload = "restart"

// field is one key of Config: its TOML name ("-" for none), its reload
// class and where it is (through embedded structs).
type field struct {
	key, reload string
	index       []int
}

// fields lists Config's keys, embedded structs (Limits) flattened as TOML
// reads them.
func fields() []field {
	var out []field
	var walk func(t reflect.Type, index []int)
	walk = func(t reflect.Type, index []int) {
		for i := range t.NumField() {
			sf := t.Field(i)
			idx := append(append([]int(nil), index...), i)
			if sf.Anonymous && sf.Type.Kind() == reflect.Struct {
				walk(sf.Type, idx)
				continue
			}
			key := sf.Tag.Get("toml")
			if key == "" {
				panic(fmt.Sprintf("BUG: config field %s has no toml tag", sf.Name))
			}
			out = append(out, field{key: key, reload: sf.Tag.Get("reload"), index: idx})
		}
	}
	walk(reflect.TypeOf(Config{}), nil)
	return out
}

// Live is the running config: one immutable snapshot behind an atomic
// pointer, which any part of relayd may read at any time without a lock
// (admin_pubkeys for the management API, the sync peers, ...), and the
// functions to call when a reload replaces it. It is safe for concurrent
// use.
type Live struct {
	cur  atomic.Pointer[Config]
	mu   sync.Mutex // serialises Store and Subscribe
	subs []func(old, new *Config)
}

// NewLive holds c as the running config.
func NewLive(c Config) *Live {
	l := &Live{}
	l.cur.Store(&c)
	return l
}

// Load returns the running config. It must not be modified.
func (l *Live) Load() *Config { return l.cur.Load() }

// Subscribe adds fn to the functions Store calls after each change, in
// the order they were added, one change at a time. fn must not call
// Store; old and new must not be modified.
func (l *Live) Subscribe(fn func(old, new *Config)) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.subs = append(l.subs, fn)
}

// Store makes c the running config and calls the subscribers.
func (l *Live) Store(c Config) {
	l.mu.Lock()
	defer l.mu.Unlock()
	old := l.cur.Swap(&c)
	for _, fn := range l.subs {
		fn(old, &c)
	}
}
