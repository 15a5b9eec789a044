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
	"fmt"
	"strconv"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/config"
	"github.com/relayd/relayd/sdk/filter"
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
	if err := config.Decode(&cfg); err != nil {
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
// accepts the REQ unchanged when none is. sdk/filter keeps every other key
// byte for byte without decoding the filters into Go values.
func clamp(r sdk.Req) sdk.Verdict {
	filters, err := filter.Parse(r.FiltersJSON())
	if err != nil {
		return sdk.Reject(sdk.Invalid, "filters do not parse")
	}
	changed := false
	for i, f := range filters {
		if n, ok := filter.Int(f.Get("limit")); ok && n >= 0 && n <= int64(maxLimit) {
			continue
		}
		filters[i] = f.Set("limit", strconv.AppendInt(nil, int64(maxLimit), 10))
		changed = true
	}
	if !changed {
		return sdk.Accept()
	}
	return sdk.RewriteFilters(filter.Append(nil, filters))
}

func main() {}
