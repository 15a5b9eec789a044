package plugintest

import (
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"
)

const fakeReadme = "# fake\n\n## Config\n\n```toml\n[config]\nnot = \"an example\"\n```\n\n" +
	"## Examples\n\n### First\n\nText.\n\n```toml\npool = 1\n```\n\n" +
	"### Second one\n\n```toml\n[config]\nmax = 2\n[config.kinds.7]\nmax = 1\n```\n\n```text x.txt\nnot toml\n```\n\n" +
	"## Logs and metrics\n\n### Not an example\n\n```toml\n[config]\nx = 1\n```\n"

func TestReadExamples(t *testing.T) {
	path := filepath.Join(t.TempDir(), "README.md")
	if err := os.WriteFile(path, []byte(fakeReadme), 0o644); err != nil {
		t.Fatal(err)
	}
	got := ReadExamples(t, path)
	want := Examples{
		{Title: "First", Settings: "pool = 1\n", Config: "{}"},
		{Title: "Second one", Settings: "[config]\nmax = 2\n[config.kinds.7]\nmax = 1\n", Config: `{"kinds":{"7":{"max":1}},"max":2}`},
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("got %q, want %q", got, want)
	}
	if s := got.Settings(); !reflect.DeepEqual(s, []string{want[0].Settings, want[1].Settings}) {
		t.Errorf("Settings: got %q", s)
	}
	if ex, ok := got.Find("Second one"); !ok || ex.Title != "Second one" {
		t.Errorf("Find: got %v, %v", ex, ok)
	}
	if _, ok := got.Find("Third"); ok {
		t.Error("Find: found a missing example")
	}
	got.Covered(t, []string{"Second one", "First"})
	ran := map[string]string{}
	RunExamples(t, got, map[string]int{"First": 1, "Second one": 2}, func(t *testing.T, ex Example, n int) {
		ran[ex.Title] = ex.Settings[:4] + strconv.Itoa(n)
	})
	if want := map[string]string{"First": "pool1", "Second one": "[con2"}; !reflect.DeepEqual(ran, want) {
		t.Errorf("RunExamples ran %q, want %q", ran, want)
	}
	if s := READMESettings(t, path); s != "[config]\nnot = \"an example\"\n" {
		t.Errorf("READMESettings: got %q", s)
	}
}
