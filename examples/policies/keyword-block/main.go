// Command keyword-block is a relayd policy that refuses events whose
// content contains one of the configured words, ignoring case, with
// "blocked:".
//
// It runs on the event hook, after the relay checked the signature, so
// only authentic events cost a content fetch and a scan.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/relayd/relayd/sdk"
)

// words are the lower-cased words of [config] words, read once per
// instance in OnInit.
var words []string

func init() {
	sdk.OnInit(loadConfig)
	sdk.OnEvent(checkContent)
}

func loadConfig() error {
	var cfg struct {
		Words []string `json:"words"`
	}
	if err := json.Unmarshal(sdk.Config(), &cfg); err != nil {
		return fmt.Errorf("config: %w", err)
	}
	words = words[:0]
	for _, w := range cfg.Words {
		if w = strings.TrimSpace(w); w != "" {
			words = append(words, strings.ToLower(w))
		}
	}
	if len(words) == 0 {
		return errors.New(`config: words is empty; list the words to block, e.g. words = ["casino"]`)
	}
	return nil
}

func checkContent(e sdk.Event) sdk.Verdict {
	if e.ContentLen() == 0 { // free: no host call for empty content
		return sdk.Accept()
	}
	content := strings.ToLower(e.Content())
	for _, w := range words {
		if strings.Contains(content, w) {
			return sdk.Reject(sdk.Blocked, "content contains a blocked word")
		}
	}
	return sdk.Accept()
}

func main() {}
