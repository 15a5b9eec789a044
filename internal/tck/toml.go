package tck

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
)

// settingsTOML writes the plugin's settings for a load: pool = 1 (calls
// are serial, on one instance), a deadline of 10 s (the kit checks what a
// call does, not how fast: a loaded CI machine must not fail a case by
// the default 50 ms), the listed files, and [config].
func settingsTOML(l *Load) ([]byte, error) {
	var b strings.Builder
	b.WriteString("pool = 1\ntimeout_ms = 10000\n")
	if l.QueryMaxEvents > 0 {
		fmt.Fprintf(&b, "query_max_events = %d\n", l.QueryMaxEvents)
	}
	if len(l.Files) > 0 {
		names := make([]string, 0, len(l.Files))
		for n := range l.Files {
			names = append(names, n)
		}
		slices.Sort(names)
		v, err := tomlValue(toAny(names))
		if err != nil {
			return nil, err
		}
		b.WriteString("files = " + v + "\n")
	}
	b.WriteString("\n[config]\n")
	keys := make([]string, 0, len(l.Config))
	for k := range l.Config {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		v, err := tomlValue(l.Config[k])
		if err != nil {
			return nil, fmt.Errorf("tck: config %s: %w", k, err)
		}
		b.WriteString(tomlString(k) + " = " + v + "\n")
	}
	return []byte(b.String()), nil
}

func toAny(s []string) []any {
	out := make([]any, len(s))
	for i, v := range s {
		out[i] = v
	}
	return out
}

// tomlValue writes a JSON value (as encoding/json decodes it) as TOML.
func tomlValue(v any) (string, error) {
	switch x := v.(type) {
	case string:
		return tomlString(x), nil
	case bool:
		return fmt.Sprint(x), nil
	case float64:
		if x == float64(int64(x)) {
			return fmt.Sprint(int64(x)), nil
		}
		return fmt.Sprint(x), nil
	case json.Number:
		return x.String(), nil
	case []any:
		parts := make([]string, len(x))
		for i, e := range x {
			s, err := tomlValue(e)
			if err != nil {
				return "", err
			}
			parts[i] = s
		}
		return "[" + strings.Join(parts, ", ") + "]", nil
	case map[string]any:
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		parts := make([]string, len(keys))
		for i, k := range keys {
			s, err := tomlValue(x[k])
			if err != nil {
				return "", err
			}
			parts[i] = tomlString(k) + " = " + s
		}
		return "{" + strings.Join(parts, ", ") + "}", nil
	}
	return "", fmt.Errorf("%v (%T) has no TOML form", v, v)
}

// tomlString writes s as a TOML basic string.
func tomlString(s string) string {
	var b strings.Builder
	b.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"' || r == '\\':
			b.WriteByte('\\')
			b.WriteRune(r)
		case r == '\n':
			b.WriteString(`\n`)
		case r == '\t':
			b.WriteString(`\t`)
		case r < 0x20 || r == 0x7f:
			fmt.Fprintf(&b, `\u%04x`, r)
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}
