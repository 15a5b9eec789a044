// Command spam is a relayd policy plugin against spam: the same content
// flooded from many pubkeys, links and mentions from pubkeys the relay has
// never seen, and keyword and regexp lists.
//
// README.md describes the config.
package main

import (
	"strconv"
	"strings"

	"github.com/relayd/relayd/sdk"
)

// cfg is this instance's settings, set by OnInit.
var cfg *settings

func init() {
	sdk.OnInit(setup)
	sdk.OnEventPre(onEventPre)
	sdk.OnEvent(onEvent)
}

func main() {}

func setup() error {
	c, err := loadSettings()
	if err != nil {
		return err
	}
	cfg = c
	// The word lists need no signature: refuse before the relay verifies.
	if len(c.keywords) > 0 || len(c.regexps) > 0 {
		sdk.OnEventPre(onEventPre)
	} else {
		sdk.OnEventPre(nil)
	}
	if sdk.LogEnabled(sdk.LevelInfo) {
		sdk.Log(sdk.LevelInfo, "spam: "+c.summary())
	}
	return nil
}

// applies reports whether the rules look at e at all.
func applies(e sdk.Event) bool {
	return cfg.checks(e.Kind()) && (len(cfg.exempt) == 0 || !cfg.exempt[e.Pubkey()])
}

// onEventPre applies the keyword and regexp lists.
func onEventPre(e sdk.Event) sdk.Verdict {
	if !applies(e) {
		return sdk.Accept()
	}
	content := e.Content()
	lower := strings.ToLower(content)
	if i := matchKeyword(lower); i >= 0 {
		return refuse("rule=keyword index="+strconv.Itoa(i), "content matches a blocked word")
	}
	for i, p := range cfg.regexps {
		if p.match(content, lower) {
			return refuse("rule=regexp index="+strconv.Itoa(i), "content matches a blocked pattern")
		}
	}
	return sdk.Accept()
}

// onEvent applies the rules that need a verified pubkey: the caps for new
// authors and the flood rule (a forged event must not count as a
// pubkey posting).
func onEvent(e sdk.Event) sdk.Verdict {
	if !applies(e) {
		return sdk.Accept()
	}
	content := e.Content()
	if v, bad := checkNewAuthor(e, content); bad {
		return v
	}
	if cfg.Flood.Pubkeys > 0 {
		if n := floodCount(e.Pubkey(), content); n > int64(cfg.Flood.Pubkeys) {
			return refuse("rule=flood pubkeys="+strconv.FormatInt(n, 10), "the same content was posted by too many accounts")
		}
	}
	return sdk.Accept()
}

// refuse answers with the configured action and logs the rule at debug.
func refuse(rule, msg string) sdk.Verdict {
	if sdk.LogEnabled(sdk.LevelDebug) {
		sdk.Log(sdk.LevelDebug, "spam: refused "+rule+": "+msg)
	}
	if cfg.shadow {
		return sdk.ShadowReject()
	}
	return sdk.Reject(sdk.Blocked, msg)
}
