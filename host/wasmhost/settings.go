package wasmhost

import (
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost/durable"
	"github.com/relayd/relayd/sdk/abi"
)

// Settings are a plugin's host settings, read from NAME.toml beside
// NAME.wasm. Zero fields take the Manager's defaults.
type Settings struct {
	// Order places the plugin among those relayd.toml's chain does not
	// list, which run after the listed ones (ascending; ties by name). It
	// is a fallback: the chain setting is the place for the order.
	Order int `toml:"order"`
	// Hooks, if set, restricts the hooks the relay calls to these names
	// ("connect", "event_pre", "event", "req", "count", "auth", "deliver",
	// "close", "manage").
	Hooks []string `toml:"hooks"`
	// TimeoutMS is the deadline of one call; default 50.
	TimeoutMS int `toml:"timeout_ms"`
	// MemoryMB bounds the memory of one instance, in MiB; default 64: its
	// linear memory may grow to MemoryMB less its call stack budget
	// (MemoryMB/32, between 64 KiB and 2 MiB). The plugin's instances
	// together hold at most Pool × MemoryMB. An instance whose linear
	// memory passed halfway from its initial size to its cap after a call
	// is recycled.
	MemoryMB int `toml:"memory_mb"`
	// Pool is the number of instances; default GOMAXPROCS.
	Pool int `toml:"pool"`
	// OnError is "open" (accept when the plugin fails, the default) or
	// "closed" (reject).
	OnError string `toml:"on_error"`
	// Mode is "enforce" (default) or "shadow" (log, never refuse).
	Mode string `toml:"mode"`
	// Enabled false skips the plugin; default true.
	Enabled *bool `toml:"enabled"`
	// Kinds, if set, restricts the event hooks (event_pre, event,
	// deliver) to events of these kinds: the relay does not call the
	// plugin for others, so a DM policy costs nothing on notes. REQ,
	// COUNT, AUTH, connect and close hooks are not affected.
	Kinds []int `toml:"kinds"`
	// Files are plain names of files in the plugin directory that the
	// plugin reads with get_file (sdk.File), at most 16. The relay reads
	// them when it loads the plugin and they are part of its version: a
	// change to one reloads the plugin, and a missing one fails the load.
	// Files has no default: Options.Defaults may not set it.
	Files []string `toml:"files"`
	// DBMaxKeys bounds the keys of the plugin's durable state (the db_*
	// host functions); default abi.DBDefaultMaxKeys (100,000), at most
	// 10,000,000. Past it a write that adds a key fails with ErrFull.
	DBMaxKeys int64 `toml:"db_max_keys"`
	// DBMaxBytes bounds the bytes of the plugin's durable state, each
	// key's length plus its value's; default abi.DBDefaultMaxBytes
	// (64 MiB), at most 1 GiB. Past it a write that grows the state fails
	// with ErrFull. The relay holds the state in memory too (about this
	// plus ~100 bytes per key).
	DBMaxBytes int64 `toml:"db_max_bytes"`
	// Config is the [config] table, handed to the plugin as JSON.
	Config map[string]any `toml:"config"`
}

// Bounds of the durable state settings.
const (
	maxDBKeys  = 10_000_000
	maxDBBytes = 1 << 30
)

// resolved are Settings checked and with defaults applied.
type resolved struct {
	order    int
	hooks    policy.HookSet // allowed hooks
	timeout  time.Duration
	memPages uint32 // memory_mb, in 64 KiB pages
	// stackBytes is one call's stack budget (estimated bytes, see package
	// preempt), taken out of memory_mb; linPages is what is left for
	// linear memory.
	stackBytes uint32
	linPages   uint32
	pool       int
	onErr      policy.FailMode
	mode       policy.Mode
	enabled    bool
	config     []byte            // JSON
	files      map[string][]byte // the listed files, by name (set by the loader)
	kinds      []int             // event hooks only for these kinds; nil: all
	db         durable.Limits    // db_max_keys, db_max_bytes
}

// ParseSettings decodes a NAME.toml. Unknown keys are an error, so that a
// typo does not silently fall back to a default. Values are checked when
// the plugin loads.
func ParseSettings(b []byte) (Settings, error) {
	var s Settings
	md, err := toml.Decode(string(b), &s)
	if err != nil {
		return s, err
	}
	if und := md.Undecoded(); len(und) > 0 {
		var extra []string
		for _, k := range und {
			if len(k) > 0 && k[0] == "config" {
				continue
			}
			extra = append(extra, k.String())
		}
		if len(extra) > 0 {
			return s, fmt.Errorf("unknown settings %v", extra)
		}
	}
	return s, nil
}

// resolve checks s and fills zero fields from def, then from the package
// defaults.
func (s Settings) resolve(def Settings, gomaxprocs int) (resolved, error) {
	r := resolved{order: s.Order, enabled: true, hooks: policy.HookSet(^uint32(0))}
	pick := func(v, d, fallback int) int {
		switch {
		case v > 0:
			return v
		case d > 0:
			return d
		}
		return fallback
	}
	r.timeout = time.Duration(pick(s.TimeoutMS, def.TimeoutMS, 50)) * time.Millisecond
	r.memPages = uint32(pick(s.MemoryMB, def.MemoryMB, 64)) * 16
	r.pool = pick(s.Pool, def.Pool, max(gomaxprocs, 1))
	if r.memPages > 65536 {
		return r, errors.New("memory_mb over 4096")
	}
	r.stackBytes = stackBudget(r.memPages)
	r.linPages = r.memPages - r.stackBytes/pageSize
	if r.pool > 256 {
		return r, errors.New("pool over 256")
	}
	var err error
	if r.onErr, err = parseOnError(firstNonEmpty(s.OnError, def.OnError)); err != nil {
		return r, err
	}
	if r.mode, err = parseMode(firstNonEmpty(s.Mode, def.Mode)); err != nil {
		return r, err
	}
	if s.Enabled != nil {
		r.enabled = *s.Enabled
	}
	if s.Hooks != nil {
		r.hooks = 0
		for _, name := range s.Hooks {
			h, ok := policy.ParseHook(name)
			if !ok {
				return r, fmt.Errorf("unknown hook %q", name)
			}
			r.hooks |= policy.Hooks(h)
		}
	}
	if s.Kinds != nil {
		for _, k := range s.Kinds {
			if k < 0 || k > 65535 {
				return r, fmt.Errorf("kind %d out of range 0-65535", k)
			}
		}
		r.kinds = append([]int{}, s.Kinds...)
	}
	if r.db, err = s.dbLimits(def); err != nil {
		return r, err
	}
	cfg := s.Config
	if cfg == nil {
		cfg = map[string]any{}
	}
	if r.config, err = json.Marshal(cfg); err != nil {
		return r, fmt.Errorf("config: %w", err)
	}
	return r, nil
}

// dbLimits checks db_max_keys and db_max_bytes and fills them from def,
// then from the ABI's defaults.
func (s Settings) dbLimits(def Settings) (durable.Limits, error) {
	pick := func(name string, v, d, fallback, most int64) (int64, error) {
		switch {
		case v < 0:
			return 0, fmt.Errorf("%s %d: want a positive number", name, v)
		case v > most:
			return 0, fmt.Errorf("%s %d: over %d", name, v, most)
		case v > 0:
			return v, nil
		case d > 0:
			return min(d, most), nil
		}
		return fallback, nil
	}
	keys, err := pick("db_max_keys", s.DBMaxKeys, def.DBMaxKeys, abi.DBDefaultMaxKeys, maxDBKeys)
	if err != nil {
		return durable.Limits{}, err
	}
	size, err := pick("db_max_bytes", s.DBMaxBytes, def.DBMaxBytes, abi.DBDefaultMaxBytes, maxDBBytes)
	return durable.Limits{MaxKeys: keys, MaxBytes: size}, err
}

// pageSize is the size of a wasm page.
const pageSize = 65536

// Stack budget bounds: a call may use 1/32 of memory_mb for its stack,
// within these.
const (
	minStackBytes = 64 << 10
	maxStackBytes = 2 << 20
)

// stackBudget is the stack budget of one call for a memory_mb of memPages
// pages: memory_mb/32, at least 64 KiB and at most 2 MiB, in whole pages
// (it is carved out of memory_mb).
func stackBudget(memPages uint32) uint32 {
	b := uint64(memPages) * pageSize / 32
	b = min(max(b, minStackBytes), maxStackBytes)
	return uint32(b / pageSize * pageSize)
}

func firstNonEmpty(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func parseOnError(s string) (policy.FailMode, error) {
	switch s {
	case "", "open":
		return policy.FailOpen, nil
	case "closed":
		return policy.FailClosed, nil
	}
	return 0, fmt.Errorf("on_error %q: want \"open\" or \"closed\"", s)
}

func parseMode(s string) (policy.Mode, error) {
	switch s {
	case "", "enforce":
		return policy.Enforce, nil
	case "shadow":
		return policy.Shadow, nil
	}
	return 0, fmt.Errorf("mode %q: want \"enforce\" or \"shadow\"", s)
}
