// Command kind-allowlist is a relayd policy that accepts only the event
// kinds listed in its config and refuses every other kind with "blocked:".
//
// The kind is a parameter of the hook call, so the check costs no host
// call; it runs on the event_pre hook, before the relay verifies the
// signature, so refused kinds cost the relay nothing more.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/relayd/relayd/sdk"
)

// allowed holds the kinds of [config] kinds. Each instance reads it once,
// in OnInit; the config cannot change without a reload.
var allowed map[int]bool

func init() {
	sdk.OnInit(loadConfig)
	sdk.OnEventPre(checkKind)
}

// loadConfig reads [config] kinds. A missing or empty list refuses the
// load: an allowlist that allows nothing is a mistake, not a policy.
func loadConfig() error {
	var cfg struct {
		Kinds []int `json:"kinds"`
	}
	if err := json.Unmarshal(sdk.Config(), &cfg); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	if len(cfg.Kinds) == 0 {
		return errors.New("config: kinds is empty; list the kinds to accept, e.g. kinds = [0, 1, 3, 7]")
	}
	allowed = make(map[int]bool, len(cfg.Kinds))
	for _, k := range cfg.Kinds {
		allowed[k] = true
	}
	return nil
}

func checkKind(e sdk.Event) sdk.Verdict {
	if allowed[e.Kind()] {
		return sdk.Accept()
	}
	return sdk.Reject(sdk.Blocked, "kind "+strconv.Itoa(e.Kind())+" is not accepted here")
}

func main() {}
