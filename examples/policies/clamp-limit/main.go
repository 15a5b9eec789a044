// Command clamp-limit is a relayd policy that caps the "limit" of every
// REQ filter at a configured maximum, by rewriting the filters, so no
// client can ask for more stored events than that at once.
//
// A filter without a limit (or with a negative one, which the relay would
// treat as none) gets the maximum too; "limit": 0 (live events only) and
// smaller limits are kept. COUNT (NIP-45) is left alone: a count
// ignores limit.
package main

import (
	"encoding/json"
	"fmt"

	"github.com/relayd/relayd/sdk"
)

// defaultMax is the cap when the config sets none.
const defaultMax = 100

// maxLimit is [config] max, read once per instance in OnInit.
var maxLimit = defaultMax

func init() {
	sdk.OnInit(loadConfig)
	sdk.OnReq(clamp)
	sdk.OnLimitation(func() map[string]any {
		// Tell clients in NIP-11: no filter returns more than maxLimit, and
		// one without a limit returns maxLimit.
		return map[string]any{"max_limit": maxLimit, "default_limit": maxLimit}
	})
}

func loadConfig() error {
	cfg := struct {
		Max *int `json:"max"`
	}{}
	if err := json.Unmarshal(sdk.Config(), &cfg); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	maxLimit = defaultMax
	if cfg.Max != nil {
		maxLimit = *cfg.Max
	}
	if maxLimit < 1 {
		return fmt.Errorf("config: max is %d; it must be at least 1", maxLimit)
	}
	return nil
}

// clamp rewrites the filters whose limit is missing or over maxLimit and
// accepts the REQ unchanged when none is.
func clamp(r sdk.Req) sdk.Verdict {
	// RawMessage keeps every other key byte for byte.
	var filters []map[string]json.RawMessage
	if err := json.Unmarshal(r.FiltersJSON(), &filters); err != nil {
		return sdk.Reject(sdk.Invalid, "filters do not parse")
	}
	changed := false
	for _, f := range filters {
		var limit int
		if raw, ok := f["limit"]; ok && json.Unmarshal(raw, &limit) == nil && limit >= 0 && limit <= maxLimit {
			continue
		}
		f["limit"] = json.RawMessage(fmt.Sprint(maxLimit))
		changed = true
	}
	if !changed {
		return sdk.Accept()
	}
	out, err := json.Marshal(filters)
	if err != nil {
		return sdk.Reject(sdk.ErrorPrefix, "could not rewrite the filters")
	}
	return sdk.RewriteFilters(out)
}

func main() {}
