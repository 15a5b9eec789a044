package plugintest

import (
	"os"
	"strings"
	"testing"
)

// Example is one example of a plugin's README: a "### Title" heading in
// the "## Examples" section and the ```toml block below it.
type Example struct {
	// Title is the heading, without "### ".
	Title string
	// Settings is the toml block: a whole NAME.toml.
	Settings string
	// Config is its [config] table as JSON, as the host hands it over.
	Config string
}

// Examples are the examples of a README, in order.
type Examples []Example

// ReadExamples returns the examples of the README at path. It fails the
// test if there are none, or if an example has no valid toml block.
func ReadExamples(t testing.TB, path string) Examples {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, sec, ok := strings.Cut(string(b), "\n## Examples\n")
	if !ok {
		t.Fatalf("%s has no ## Examples section", path)
	}
	sec, _, _ = strings.Cut(sec, "\n## ")
	var out Examples
	for _, part := range strings.Split(sec, "\n### ")[1:] {
		title, body, _ := strings.Cut(part, "\n")
		_, code, ok := strings.Cut(body, "```toml\n")
		if !ok {
			t.Fatalf("%s: example %q has no toml block", path, title)
		}
		code, _, _ = strings.Cut(code, "```")
		out = append(out, Example{Title: title, Settings: code, Config: ConfigJSON(t, code)})
	}
	if len(out) == 0 {
		t.Fatalf("%s has no examples", path)
	}
	return out
}

// Settings returns the NAME.toml of each example, in order.
func (exs Examples) Settings() []string {
	out := make([]string, len(exs))
	for i, ex := range exs {
		out[i] = ex.Settings
	}
	return out
}

// Find returns the example titled title.
func (exs Examples) Find(title string) (Example, bool) {
	for _, ex := range exs {
		if ex.Title == title {
			return ex, true
		}
	}
	return Example{}, false
}

// Get returns the example titled title, and fails the test if there is
// none.
func (exs Examples) Get(t testing.TB, title string) Example {
	t.Helper()
	ex, ok := exs.Find(title)
	if !ok {
		t.Fatalf("the README has no example %q", title)
	}
	return ex
}

// Covered fails the test unless tested names every example, and only
// those: a README example without a test, or a test of an example the
// README lost, is an error.
func (exs Examples) Covered(t testing.TB, tested []string) {
	t.Helper()
	seen := map[string]bool{}
	for _, title := range tested {
		if _, ok := exs.Find(title); !ok {
			t.Errorf("test names example %q, which the README does not have", title)
		}
		seen[title] = true
	}
	for _, ex := range exs {
		if !seen[ex.Title] {
			t.Errorf("README example %q is not tested", ex.Title)
		}
	}
}

// READMESettings returns the first ```toml block of the README at path:
// the example NAME.toml of an example policy, which its end-to-end test
// runs, so that the two cannot drift apart.
func READMESettings(t testing.TB, path string) string {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	_, rest, ok := strings.Cut(string(b), "```toml\n")
	block, _, closed := strings.Cut(rest, "```")
	if !ok || !closed {
		t.Fatal(path + " has no ```toml block")
	}
	return block
}

// RunExamples runs test on each entry of tests, keyed by example title,
// as a subtest named for the title, with that example. It then fails the
// test unless tests covers every example, and only those (Covered).
func RunExamples[T any](t *testing.T, exs Examples, tests map[string]T, test func(t *testing.T, ex Example, tc T)) {
	t.Helper()
	var titles []string
	for title, tc := range tests {
		titles = append(titles, title)
		ex, ok := exs.Find(title)
		if !ok {
			continue
		}
		t.Run(title, func(t *testing.T) { test(t, ex, tc) })
	}
	exs.Covered(t, titles)
}
