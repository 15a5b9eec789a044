package main

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/relayd/relayd/sdk/sdktest"
)

// example is one "### Title" + toml block of the README's Examples section.
type example struct {
	title    string
	settings string // the whole NAME.toml
	config   string // its [config] table as JSON, as the relay hands it over
}

// readmeExamples returns the README's examples, so that tests exercise
// exactly what operators copy.
func readmeExamples(t *testing.T) map[string]example {
	t.Helper()
	b, err := os.ReadFile("README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "\n## Examples\n")
	if !ok {
		t.Fatal("README has no ## Examples section")
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	out := map[string]example{}
	for _, part := range strings.Split(sec, "\n### ")[1:] {
		title, body, _ := strings.Cut(part, "\n")
		_, code, ok := strings.Cut(body, "```toml\n")
		if !ok {
			t.Fatalf("example %q has no toml block", title)
		}
		code, _, _ = strings.Cut(code, "```")
		var m map[string]any
		if _, err := toml.Decode(code, &m); err != nil {
			t.Fatalf("example %q: %v", title, err)
		}
		cfg, _ := json.Marshal(m["config"])
		if m["config"] == nil {
			cfg = []byte("{}")
		}
		out[title] = example{title: title, settings: code, config: string(cfg)}
	}
	if len(out) == 0 {
		t.Fatal("README has no examples")
	}
	return out
}

// checkCovered fails if the README and the test disagree on the examples.
func checkCovered(t *testing.T, ex map[string]example, tested []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, title := range tested {
		if _, ok := ex[title]; !ok {
			t.Errorf("test names example %q, which the README does not have", title)
		}
		seen[title] = true
	}
	for title := range ex {
		if !seen[title] {
			t.Errorf("README example %q is not tested", title)
		}
	}
}

// TestDefaultsFile loads plugins/defaults/spam.toml, the default set's
// settings for this plugin.
func TestDefaultsFile(t *testing.T) {
	b, err := os.ReadFile("../defaults/spam.toml")
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if _, err := toml.Decode(string(b), &m); err != nil {
		t.Fatal(err)
	}
	cfg, _ := json.Marshal(m["config"])
	if err := sdktest.New(sdktest.Options{Config: string(cfg)}).Init(); err != nil {
		t.Fatalf("defaults/spam.toml: %v", err)
	}
}
