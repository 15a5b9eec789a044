// Command strfry-compat shows how a strfry write-policy plugin ports to
// relayd: decide is strfry's documented whitelist.js example, reading the
// same input JSON and answering the same {"id","action","msg"} output,
// and a few lines of glue turn that output into a relayd verdict.
//
// One rule is added to show the third strfry action: pubkeys in the
// shadow list get shadowReject (OK true, but neither stored nor sent on).
package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/relayd/relayd/sdk"
)

// input is strfry's plugin input line, as sdk.Event.StrfryInput returns it.
type input struct {
	Type  string `json:"type"`
	Event struct {
		ID     string `json:"id"`
		Pubkey string `json:"pubkey"`
	} `json:"event"`
	ReceivedAt int64  `json:"receivedAt"`
	SourceType string `json:"sourceType"` // IP4, IP6, Import, Stream, Sync
	SourceInfo string `json:"sourceInfo"` // the client's IP
	Authed     string `json:"authed"`     // NIP-42 pubkey, if any
}

// output is strfry's plugin output line.
type output struct {
	ID     string `json:"id"`
	Action string `json:"action"` // accept, reject or shadowReject
	Msg    string `json:"msg,omitempty"`
}

// whiteList and shadowList come from [config] whitelist and shadow (the
// original hard-codes its whitelist).
var whiteList, shadowList map[string]bool

func init() {
	sdk.OnInit(loadConfig)
	sdk.OnEvent(func(e sdk.Event) sdk.Verdict {
		var req input
		if err := json.Unmarshal(e.StrfryInput(), &req); err != nil {
			return sdk.Reject(sdk.ErrorPrefix, "internal error")
		}
		return verdict(req, decide(req))
	})
}

// decide is whitelist.js from strfry's docs/plugins.md, plus the shadow
// list.
func decide(req input) output {
	if req.Type != "new" {
		sdk.Log(sdk.LevelError, "unexpected request type") // will appear in relayd logs
		return output{}
	}
	res := output{ID: req.Event.ID} // must echo the event's id
	switch {
	case shadowList[req.Event.Pubkey]:
		res.Action = "shadowReject"
	case whiteList[req.Event.Pubkey]:
		res.Action = "accept"
	default:
		res.Action = "reject"
		res.Msg = "blocked: not on white-list"
	}
	return res
}

// verdict turns a strfry output into a relayd verdict, as strfry would
// apply it: a wrong id or an unknown action is a plugin failure, which
// strfry answers with "error: internal error".
func verdict(req input, res output) sdk.Verdict {
	if res.ID != req.Event.ID {
		return sdk.Reject(sdk.ErrorPrefix, "internal error")
	}
	switch res.Action {
	case "accept":
		return sdk.Accept()
	case "shadowReject":
		return sdk.ShadowReject()
	case "reject":
		p, msg := splitPrefix(res.Msg)
		return sdk.Reject(p, msg)
	}
	return sdk.Reject(sdk.ErrorPrefix, "internal error")
}

// prefixes are the NIP-01 machine-readable prefixes.
var prefixes = map[string]sdk.Prefix{
	"blocked": sdk.Blocked, "rate-limited": sdk.RateLimit, "invalid": sdk.Invalid,
	"restricted": sdk.Restricted, "auth-required": sdk.AuthRequired, "pow": sdk.PoW,
	"duplicate": sdk.Duplicate, "error": sdk.ErrorPrefix, "mute": sdk.Mute,
}

// splitPrefix splits "blocked: not on white-list" into its prefix and
// message. strfry sends msg as it is; relayd always sends a prefix, so a
// msg without a known one gets "blocked:".
func splitPrefix(msg string) (sdk.Prefix, string) {
	name, rest, ok := strings.Cut(msg, ":")
	if p, known := prefixes[name]; ok && known {
		return p, strings.TrimSpace(rest)
	}
	return sdk.Blocked, msg
}

func loadConfig() error {
	var cfg struct {
		Whitelist []string `json:"whitelist"`
		Shadow    []string `json:"shadow"`
	}
	if err := json.Unmarshal(sdk.Config(), &cfg); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	whiteList, shadowList = set(cfg.Whitelist), set(cfg.Shadow)
	return nil
}

func set(keys []string) map[string]bool {
	m := make(map[string]bool, len(keys))
	for _, k := range keys {
		m[strings.ToLower(k)] = true
	}
	return m
}

func main() {}
