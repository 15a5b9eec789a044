package main

import (
	"errors"
	"strconv"
	"strings"

	"github.com/relayd/relayd/sdk"
)

// readList adds each entry of list file name, the value of config key, with
// add: one entry per line, blank lines and "#" comments ignored. The file
// must be in the host setting "files", which is what lets the plugin read
// it and makes the relay reload the plugin when it changes. Errors name the
// file and the line, so a bad edit refuses the load and the previous lists
// stay in force.
func readList(key, name string, add func(string) error) error {
	if name == "" {
		return nil
	}
	b, ok := sdk.File(name)
	if !ok {
		return errors.New(key + ": " + strconv.Quote(name) + ` is not in the host setting "files": add files = [` +
			strconv.Quote(name) + "] to " + sdk.PluginName() + ".toml")
	}
	rest := string(b)
	for n := 1; rest != ""; n++ {
		var line string
		line, rest, _ = strings.Cut(rest, "\n")
		line, _, _ = strings.Cut(line, "#")
		if line = strings.TrimSpace(line); line == "" {
			continue
		}
		if err := add(line); err != nil {
			return errors.New(name + ":" + strconv.Itoa(n) + ": " + err.Error())
		}
	}
	return nil
}
