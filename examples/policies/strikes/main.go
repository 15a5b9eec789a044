// Command strikes is a relayd policy that refuses events containing one of
// the configured words and counts a strike against their author each
// time; at max_strikes strikes the author is banned, and every later
// event of theirs is refused. Strikes and bans live in the plugin's
// durable state (package sdk/db), which the relay keeps in its store, so
// they survive reloads and restarts.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/db"
)

// The durable keys: "strike/<pubkey>" holds an author's strike count in
// decimal, and the set "ban/" the banned authors.
var (
	strikes = db.NewSet("strike/")
	banned  = db.NewSet("ban/")
)

// cfg is the [config] table, read once per instance in OnInit.
var cfg struct {
	Words      []string `json:"words"`
	MaxStrikes int      `json:"max_strikes"`
}

func init() {
	sdk.OnInit(loadConfig)
	sdk.OnEvent(check)
}

func loadConfig() error {
	cfg.Words, cfg.MaxStrikes = nil, 3
	if err := json.Unmarshal(sdk.Config(), &cfg); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	var words []string
	for _, w := range cfg.Words {
		if w = strings.ToLower(strings.TrimSpace(w)); w != "" {
			words = append(words, w)
		}
	}
	cfg.Words = words
	switch {
	case len(cfg.Words) == 0:
		return errors.New(`config: words is empty; list the words that earn a strike, e.g. words = ["casino"]`)
	case cfg.MaxStrikes < 1:
		return fmt.Errorf("config: max_strikes %d: want 1 or more", cfg.MaxStrikes)
	}
	return nil
}

func check(e sdk.Event) sdk.Verdict {
	author := e.Pubkey()
	// A store error (no durable state, or it cannot be read now) counts as
	// not banned: the plugin fails open, like the relay's on_error default.
	if ok, _ := banned.Has(author); ok {
		return bannedVerdict()
	}
	if !matches(e.Content()) {
		return sdk.Accept()
	}
	n, err := strike(author)
	switch {
	case err != nil:
		sdk.Log(sdk.LevelWarn, "strikes: cannot count a strike: "+err.Error())
		return sdk.Reject(sdk.Blocked, "content contains a blocked word")
	case n >= cfg.MaxStrikes:
		return bannedVerdict()
	}
	return sdk.Reject(sdk.Blocked, fmt.Sprintf("strike %d of %d: content contains a blocked word", n, cfg.MaxStrikes))
}

func bannedVerdict() sdk.Verdict {
	return sdk.Reject(sdk.Blocked, fmt.Sprintf("banned after %d strikes", cfg.MaxStrikes))
}

func matches(content string) bool {
	content = strings.ToLower(content)
	for _, w := range cfg.Words {
		if strings.Contains(content, w) {
			return true
		}
	}
	return false
}

// strike counts one more strike against author and returns the count; at
// max_strikes it bans the author and forgets their count. Two instances
// striking one author at the same moment may count one strike for both.
func strike(author string) (int, error) {
	v, _, err := strikes.Get(author)
	if err != nil {
		return 0, err
	}
	n, _ := strconv.Atoi(string(v))
	n++
	if n < cfg.MaxStrikes {
		return n, strikes.Put(author, []byte(strconv.Itoa(n)))
	}
	if err := banned.Put(author, []byte(strconv.Itoa(n))); err != nil {
		return 0, err
	}
	_, err = strikes.Remove(author)
	return n, err
}

func main() {}
