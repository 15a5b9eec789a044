package policytest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExampleLayout checks every example against the contract of
// examples/policies/README.md: a README with the fixed sections and an
// end-to-end test that loads the example into a relayd under its name.
func TestExampleLayout(t *testing.T) {
	dirs, err := filepath.Glob(filepath.Join("..", "..", "*"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, dir := range dirs {
		name := filepath.Base(dir)
		if fi, err := os.Stat(dir); err != nil || !fi.IsDir() || name == "internal" {
			continue
		}
		n++
		t.Run(name, func(t *testing.T) {
			readme, err := os.ReadFile(filepath.Join(dir, "README.md"))
			if err != nil {
				t.Fatal(err)
			}
			for _, section := range []string{"# " + name + "\n", "\n## Config\n", "\n## Example `" + name + ".toml`\n\n```toml\n", "\n## Build\n", "\n## Tests\n"} {
				if !strings.Contains(string(readme), section) {
					t.Errorf("README.md has no %q", section)
				}
			}
			e2e, err := os.ReadFile(filepath.Join(dir, "e2e_test.go"))
			if os.IsNotExist(err) {
				e2e, err = os.ReadFile(filepath.Join(dir, "e2e", "e2e_test.go"))
			}
			if err != nil {
				t.Fatalf("no end-to-end test: %v", err)
			}
			if !strings.Contains(string(e2e), `plugintest.Start(t, "`+name+`"`) {
				t.Errorf("the end-to-end test does not load the plugin as %q with plugintest.Start", name)
			}
		})
	}
	if n < 6 {
		t.Errorf("found %d examples, want at least 6", n)
	}
}
