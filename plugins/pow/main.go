// Command pow is a relayd policy plugin: it requires NIP-13 proof of work,
// a minimum number of leading zero bits in the event id, for every kind or
// per kind, and honours the target the author committed to in the nonce
// tag.
//
// The check needs only the id, so it runs in event_pre, before the
// signature check: an event without the work costs the relay one host
// call. A forged id passes here and fails the relay's id check next.
package main

import (
	"errors"
	"math/bits"
	"strconv"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/config"
)

// pol is this instance's checked config, set by setup.
var pol *minimums

func init() {
	sdk.OnInit(setup)
	sdk.OnLimitation(limitation)
}

func main() {}

// setup reads the config; with no minimum anywhere the plugin asks for no
// hook.
func setup() error {
	var c Config
	if err := config.DecodeStrict(&c); err != nil { // a typo refuses the load
		return errors.New("config: " + err.Error())
	}
	p, err := compile(c)
	if err != nil {
		return err
	}
	pol = p
	if p.anyWork {
		sdk.OnEventPre(onEventPre)
	} else {
		sdk.OnEventPre(nil)
	}
	return nil
}

// limitation reports the global minimum as NIP-11 min_pow_difficulty (the
// relay then lists NIP-13 as supported).
func limitation() map[string]any {
	if pol == nil || pol.global == 0 {
		return nil
	}
	return map[string]any{"min_pow_difficulty": pol.global}
}

func onEventPre(e sdk.Event) sdk.Verdict {
	if e.Source() != sdk.SourceIP4 && e.Source() != sdk.SourceIP6 {
		return sdk.Accept() // imports and syncs are the operator's
	}
	need := pol.forKind(e.Kind())
	if need == 0 {
		return sdk.Accept()
	}
	if d := difficulty(e.ID()); d < need {
		return sdk.Reject(sdk.PoW, "difficulty "+strconv.Itoa(d)+" is less than "+strconv.Itoa(need))
	}
	raw, ok := committed(e)
	if !ok {
		if pol.commit {
			return sdk.Reject(sdk.PoW, "no committed target: add the target difficulty as the third element of the nonce tag (NIP-13)")
		}
		return sdk.Accept()
	}
	target, err := strconv.Atoi(raw)
	if err != nil || target < 0 {
		return sdk.Reject(sdk.PoW, "committed target "+strconv.Quote(raw)+" is not a difficulty")
	}
	if target < need {
		// A spammer mining at a low target can get lucky; NIP-13 lets the
		// relay refuse the luck.
		return sdk.Reject(sdk.PoW, "committed target "+strconv.Itoa(target)+" is less than "+strconv.Itoa(need))
	}
	return sdk.Accept()
}

// committed returns the target of the event's last nonce tag
// (["nonce", "<nonce>", "<target>"]); false if there is none. Miners
// append the nonce tag, so searching from the end reads one tag, not all.
func committed(e sdk.Event) (string, bool) {
	for i := e.TagCount() - 1; i >= 0; i-- {
		t := e.Tag(i)
		if len(t) == 0 || t[0] != "nonce" {
			continue
		}
		if len(t) < 3 {
			return "", false
		}
		return t[2], true
	}
	return "", false
}

// difficulty counts the leading zero bits of a hex id.
func difficulty(id string) int {
	n := 0
	for i := range len(id) {
		v := hexValue(id[i])
		if v != 0 {
			if v < 0 {
				return n
			}
			return n + bits.LeadingZeros8(uint8(v)) - 4
		}
		n += 4
	}
	return n
}

func hexValue(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}
