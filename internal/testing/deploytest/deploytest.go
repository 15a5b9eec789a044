// Package deploytest gives tests the files of the repository's deploy
// directory, the ones docs/deploy.md shows (a proxy site, a systemd unit,
// a Dockerfile, relayd.toml), and a checked way to swap the few lines a
// test must change (addresses, paths, certificates) so that everything
// else runs as written.
package deploytest

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/relayd/relayd/host/config"
)

// Root returns the repository's root: the nearest directory above the
// working directory that holds go.mod.
func Root(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("deploytest: no go.mod above the working directory")
		}
		dir = parent
	}
}

// Path returns the path of deploy/name.
func Path(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(Root(t), "deploy", filepath.FromSlash(name))
}

// Read returns the contents of deploy/name.
func Read(t testing.TB, name string) string {
	t.Helper()
	b, err := os.ReadFile(Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// Config loads deploy/name (a relayd.toml) as relayd does, over the
// defaults, and sets the plugin directory. The data dir is cleared, so
// that internal/testing/relaydtest uses a temporary one.
func Config(t testing.TB, name, plugins string) config.Config {
	t.Helper()
	cfg, err := config.Load(Path(t, name))
	if err != nil {
		t.Fatal(err)
	}
	cfg.DataDir, cfg.PluginDir = "", plugins
	return cfg
}

// Edit is one change a test makes to a deploy file: the one line whose
// whitespace-separated fields start with the fields of Match is replaced
// by Repl (indented as the line was; dropped if Repl is empty).
type Edit struct {
	Match string
	Repl  string
}

// Swap is the Edit replacing the line that starts with match by repl.
func Swap(match, repl string) Edit { return Edit{Match: match, Repl: repl} }

// Drop is the Edit removing the line that starts with match.
func Drop(match string) Edit { return Edit{Match: match} }

// Apply returns text (the file name, for messages) with edits applied.
// It fails the test unless each edit matches exactly one line, so that
// a test never runs something other than the file with its lines
// swapped: the file changed, and the test must be changed with it.
func Apply(t testing.TB, name, text string, edits []Edit) string {
	t.Helper()
	seen := make([]int, len(edits))
	var b strings.Builder
	for _, l := range strings.SplitAfter(text, "\n") {
		i := match(l, edits)
		if i < 0 {
			b.WriteString(l)
			continue
		}
		seen[i]++
		if edits[i].Repl != "" {
			indent := l[:len(l)-len(strings.TrimLeft(l, " \t"))]
			b.WriteString(indent + edits[i].Repl + "\n")
		}
	}
	for i, e := range edits {
		if seen[i] != 1 {
			t.Fatalf("%s: %d lines start with %q, the test expects 1: change the test with the file", name, seen[i], e.Match)
		}
	}
	return b.String()
}

func match(line string, edits []Edit) int {
	f := strings.Fields(line)
	for i, e := range edits {
		m := strings.Fields(e.Match)
		if len(f) >= len(m) && strings.Join(f[:len(m)], " ") == strings.Join(m, " ") {
			return i
		}
	}
	return -1
}
