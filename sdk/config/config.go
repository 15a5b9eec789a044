// Package config decodes a plugin's [config] table. It is apart from
// package sdk because encoding/json adds about 1 MB to a plugin; import it
// only if you need it.
package config

import (
	"bytes"
	"encoding/json"

	"github.com/relayd/relayd/sdk"
)

// Decode decodes the plugin's [config] table (TOML in the plugin's .toml
// file, handed over as JSON) into v, which should be a pointer to a struct
// with json tags. Call it from sdk.OnInit.
func Decode(v any) error { return json.Unmarshal(sdk.Config(), v) }

// DecodeStrict is Decode that refuses a key v has no field for, so that a
// typo in the operator's config fails the load instead of being ignored.
// Fields the table does not name keep the values v had, so set defaults
// in v first. An empty table leaves v as it is.
func DecodeStrict(v any) error {
	raw := sdk.Config()
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	return d.Decode(v)
}
