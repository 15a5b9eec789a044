// Package config decodes a plugin's [config] table. It is apart from
// package sdk because encoding/json adds about 1 MB to a plugin; import it
// only if you need it.
package config

import (
	"encoding/json"

	"github.com/relayd/relayd/sdk"
)

// Decode decodes the plugin's [config] table (TOML in the plugin's .toml
// file, handed over as JSON) into v, which should be a pointer to a struct
// with json tags. Call it from sdk.OnInit.
func Decode(v any) error { return json.Unmarshal(sdk.Config(), v) }
