//go:build !wasip1

package sdktest

import (
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/relayd/relayd/sdk/abi"
)

// Settings are a plugin's NAME.toml as the relay reads it: its host
// settings and its [config] table. The toml tags are the relay's keys;
// internal/presubmit holds them to the relay's list.
type Settings struct {
	Order     int      `toml:"order"`
	Hooks     []string `toml:"hooks"`
	TimeoutMS int      `toml:"timeout_ms"`
	MemoryMB  int      `toml:"memory_mb"`
	Pool      int      `toml:"pool"`
	OnError   string   `toml:"on_error"`
	Mode      string   `toml:"mode"`
	Enabled   *bool    `toml:"enabled"`
	Kinds     []int    `toml:"kinds"`
	Files     []string `toml:"files"`
	// DBMaxKeys and DBMaxBytes bound the durable state (0: the relay's
	// defaults).
	DBMaxKeys  int64 `toml:"db_max_keys"`
	DBMaxBytes int64 `toml:"db_max_bytes"`
	// QueryMaxEvents, QueryMaxBytes and QueryTimeoutMS bound store_query
	// (0: the relay's defaults); the Host applies the first two to
	// Options.Events.
	QueryMaxEvents int `toml:"query_max_events"`
	QueryMaxBytes  int `toml:"query_max_bytes"`
	QueryTimeoutMS int `toml:"query_timeout_ms"`
	// TickMS and TickTimeoutMS are the tick's interval and deadline; the
	// Host ticks only when the test calls Tick.
	TickMS        int `toml:"tick_ms"`
	TickTimeoutMS int `toml:"tick_timeout_ms"`
	// Config is the [config] table as the JSON the relay hands the plugin
	// (sdk.Config): "{}" when there is none.
	Config string `toml:"config"`
}

// ParseSettings reads a NAME.toml as the relay does: a key the relay does
// not know is an error, and so is a value of the wrong type; the [config]
// table becomes the JSON the relay would hand the plugin, byte for byte.
// Dates and times are not supported.
func ParseSettings(toml []byte) (Settings, error) {
	s := Settings{Config: "{}"}
	doc, err := parseTOML(string(toml))
	if err != nil {
		return s, fmt.Errorf("sdktest: settings: %w", err)
	}
	keys := make([]string, 0, len(doc))
	for k := range doc {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var unknown []string
	for _, k := range keys {
		val := doc[k]
		var err error
		switch k {
		case "order":
			s.Order, err = tomlInt(val)
		case "timeout_ms":
			s.TimeoutMS, err = tomlInt(val)
		case "memory_mb":
			s.MemoryMB, err = tomlInt(val)
		case "pool":
			s.Pool, err = tomlInt(val)
		case "on_error":
			s.OnError, err = tomlString(val, "open", "closed")
		case "mode":
			s.Mode, err = tomlString(val, "enforce", "shadow")
		case "enabled":
			b, ok := val.(bool)
			s.Enabled, err = &b, wantType(ok, "true or false")
		case "hooks":
			s.Hooks, err = tomlList[string](val, "an array of hook names")
		case "files":
			s.Files, err = tomlList[string](val, "an array of file names")
		case "kinds":
			var ns []int64
			ns, err = tomlList[int64](val, "an array of kinds")
			for _, n := range ns {
				s.Kinds = append(s.Kinds, int(n))
			}
		case "db_max_keys":
			s.DBMaxKeys, err = tomlInt64(val)
		case "db_max_bytes":
			s.DBMaxBytes, err = tomlInt64(val)
		case "query_max_events":
			s.QueryMaxEvents, err = tomlInt(val)
		case "query_max_bytes":
			s.QueryMaxBytes, err = tomlInt(val)
		case "query_timeout_ms":
			s.QueryTimeoutMS, err = tomlInt(val)
		case "tick_ms":
			s.TickMS, err = tomlInt(val)
		case "tick_timeout_ms":
			s.TickTimeoutMS, err = tomlInt(val)
		case "config":
			s.Config, err = configJSON(val)
		default:
			unknown = append(unknown, k)
		}
		if err != nil {
			return s, fmt.Errorf("sdktest: settings: %s: %w", k, err)
		}
	}
	if len(unknown) > 0 {
		return s, fmt.Errorf("sdktest: settings: unknown settings %v", unknown)
	}
	return s, nil
}

func wantType(ok bool, what string) error {
	if ok {
		return nil
	}
	return errors.New("want " + what)
}

func tomlInt(val any) (int, error) {
	n, ok := val.(int64)
	return int(n), wantType(ok, "an integer")
}

func tomlInt64(val any) (int64, error) {
	n, ok := val.(int64)
	return n, wantType(ok, "an integer")
}

// tomlString reads a string that must be one of allowed ("" allowed).
func tomlString(val any, allowed ...string) (string, error) {
	s, ok := val.(string)
	if !ok {
		return "", errors.New("want a string")
	}
	if s != "" && !slices.Contains(allowed, s) {
		return "", fmt.Errorf("%q: want one of %q", s, allowed)
	}
	return s, nil
}

func tomlList[T any](val any, what string) ([]T, error) {
	arr, ok := val.([]any)
	if !ok {
		return nil, errors.New("want " + what)
	}
	out := make([]T, len(arr))
	for i, el := range arr {
		if out[i], ok = el.(T); !ok {
			return nil, errors.New("want " + what)
		}
	}
	return out, nil
}

// configJSON encodes the [config] table as the relay does: encoding/json
// of the decoded table, keys sorted.
func configJSON(val any) (string, error) {
	t, ok := val.(map[string]any)
	if !ok {
		return "", errors.New("want a table")
	}
	b, err := json.Marshal(t)
	if err != nil {
		return "", err
	}
	return string(b), nil
}

// applySettings reads Options.Settings or Options.SettingsFile into h: the
// config, the listed files (read from the settings file's directory, or
// Options.Dir, unless Options.Files has them) and the hooks and kinds
// limits. It runs in Init.
func (h *Host) applySettings() error {
	src, dir := []byte(h.opts.Settings), h.opts.Dir
	switch {
	case h.opts.SettingsFile != "" && h.opts.Settings != "":
		return errors.New("sdktest: set Settings or SettingsFile, not both")
	case h.opts.SettingsFile != "":
		b, err := os.ReadFile(h.opts.SettingsFile)
		if err != nil {
			return fmt.Errorf("sdktest: %w", err)
		}
		src = b
		if dir == "" {
			dir = filepath.Dir(h.opts.SettingsFile)
		}
	case h.opts.Settings == "":
		return nil
	}
	s, err := ParseSettings(src)
	if err != nil {
		return err
	}
	if s.Enabled != nil && !*s.Enabled {
		return errors.New("sdktest: settings: enabled = false: the relay would not load the plugin")
	}
	if h.opts.Config != "{}" && s.Config != "{}" {
		return errors.New("sdktest: set Config or a [config] table in the settings, not both")
	}
	if s.Config != "{}" {
		h.opts.Config = s.Config
	}
	if err := h.readListed(s.Files, dir); err != nil {
		return err
	}
	lim := limits{hooks: ^abi.HookMask(0)}
	if s.Hooks != nil {
		lim.hooks = 0
		for _, name := range s.Hooks {
			hk, ok := hookByName(name)
			if !ok {
				return fmt.Errorf("sdktest: settings: hooks: unknown hook %q", name)
			}
			lim.hooks = lim.hooks.With(hk)
		}
	}
	if s.Kinds != nil {
		lim.kinds = map[int]bool{}
		for _, k := range s.Kinds {
			lim.kinds[k] = true
		}
	}
	h.limits = lim
	h.query = queryBounds{maxEvents: s.QueryMaxEvents, maxBytes: s.QueryMaxBytes}
	if h.db != nil && (s.DBMaxKeys != 0 || s.DBMaxBytes != 0) {
		h.db.SetLimits(DBLimits{MaxKeys: s.DBMaxKeys, MaxBytes: s.DBMaxBytes})
	}
	return nil
}

// readListed adds the files the settings list to Options.Files, reading
// those it lacks from dir as the relay reads them beside the .wasm.
func (h *Host) readListed(names []string, dir string) error {
	if len(names) == 0 {
		return nil
	}
	files := map[string]string{}
	for k, v := range h.opts.Files {
		files[k] = v
	}
	if dir == "" {
		dir = "."
	}
	for _, name := range names {
		if _, ok := files[name]; ok {
			continue
		}
		if err := checkFiles(map[string]string{name: ""}); err != nil {
			return err
		}
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return fmt.Errorf("sdktest: file %q: %w", name, err)
		}
		files[name] = string(b)
	}
	h.opts.Files = files
	return nil
}

// limits are the hooks and kinds settings: the relay does not call a hook
// the settings leave out, nor an event hook for a kind they leave out.
type limits struct {
	hooks abi.HookMask
	kinds map[int]bool // nil: every kind
}

// skips reports whether the relay would not call the plugin for hook h on
// an event of kind (kind is ignored for hooks without an event).
func (l limits) skips(h abi.Hook, kind int) bool {
	if l.hooks != 0 && !l.hooks.Has(h) {
		return true
	}
	event := h == abi.HookEventPre || h == abi.HookEvent || h == abi.HookDeliver
	return event && l.kinds != nil && !l.kinds[kind]
}

func hookByName(name string) (abi.Hook, bool) {
	for h := abi.HookConnect; h <= abi.MaxHook; h++ {
		if strings.TrimPrefix(abi.HookExport(h), "relayd_on_") == name {
			return h, true
		}
	}
	return 0, false
}
