package config_test

import (
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/relayd/relayd/host/config"
)

// TestReloadTags: every key says how a reload applies it.
func TestReloadTags(t *testing.T) {
	var walk func(typ reflect.Type)
	walk = func(typ reflect.Type) {
		for i := range typ.NumField() {
			f := typ.Field(i)
			if f.Anonymous {
				walk(f.Type)
				continue
			}
			if f.Tag.Get("toml") == "-" {
				continue
			}
			switch r := f.Tag.Get("reload"); r {
			case "live", "new", "restart":
			default:
				t.Errorf("%s (%s): reload tag %q is not live, new or restart", f.Name, f.Tag.Get("toml"), r)
			}
		}
	}
	walk(reflect.TypeOf(config.Config{}))
}

func TestApply(t *testing.T) {
	running := config.Default()
	running.AcceptStoreRollback = true
	tests := []struct {
		name        string
		mutate      func(c *config.Config)
		wantRestart []string
		check       func(next config.Config) bool
	}{
		{"nothing changed", func(c *config.Config) {}, nil, func(n config.Config) bool { return reflect.DeepEqual(n, running) }},
		{"live keys apply", func(c *config.Config) {
			c.Name, c.MaxContentBytes, c.Chain, c.QueueBytes = "new", 10, []string{"lists"}, 8<<20
		}, nil, func(n config.Config) bool {
			return n.Name == "new" && n.MaxContentBytes == 10 && slices.Equal(n.Chain, []string{"lists"}) && n.QueueBytes == 8<<20
		}},
		{"restart keys keep the running value", func(c *config.Config) {
			c.Listen, c.MaxMessageBytes, c.Name, c.DataDir = "127.0.0.1:1", 1000, "new", "/elsewhere"
		}, []string{"listen", "data", "max_message_bytes"}, func(n config.Config) bool {
			return n.Listen == running.Listen && n.MaxMessageBytes == running.MaxMessageBytes && n.DataDir == running.DataDir && n.Name == "new"
		}},
		{"flag-only keys stay", func(c *config.Config) { c.AcceptStoreRollback = false }, nil,
			func(n config.Config) bool { return n.AcceptStoreRollback }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			loaded := running
			loaded.Chain = slices.Clone(running.Chain)
			tc.mutate(&loaded)
			next, restart := config.Apply(running, loaded)
			if !slices.Equal(restart, tc.wantRestart) {
				t.Errorf("restart: got %v, want %v", restart, tc.wantRestart)
			}
			if !tc.check(next) {
				t.Errorf("got %+v", next)
			}
		})
	}
}

func TestChanged(t *testing.T) {
	a := config.Default()
	b := a
	b.Name, b.CreatedAtUpperLimit, b.Chain = "x", 0, []string{"a"}
	if got, want := config.Changed(a, b), []string{"chain", "name", "created_at_upper_limit"}; !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := config.Changed(a, a); got != nil {
		t.Fatalf("got %v for no change", got)
	}
}

// TestSourceFlagsStay: the flags are applied over the file at every load.
func TestSourceFlagsStay(t *testing.T) {
	p := filepath.Join(t.TempDir(), "relayd.toml")
	src := config.Source{Path: p, Flags: func(c *config.Config) { c.Listen = "127.0.0.1:9999" }}
	for _, body := range []string{"listen = \"127.0.0.1:1\"\nname = \"a\"\n", "listen = \"127.0.0.1:2\"\nname = \"b\"\n"} {
		os.WriteFile(p, []byte(body), 0o644)
		c, err := src.Load()
		if err != nil {
			t.Fatal(err)
		}
		if c.Listen != "127.0.0.1:9999" || !strings.Contains(body, c.Name) {
			t.Fatalf("got listen %q name %q from %q", c.Listen, c.Name, body)
		}
	}
	os.WriteFile(p, []byte("max_limit = 1\n"), 0o644)
	if _, err := src.Load(); err == nil || !strings.Contains(err.Error(), "default_limit") {
		t.Fatalf("got %v, want the validation error", err)
	}
}

func TestLive(t *testing.T) {
	l := config.NewLive(config.Default())
	var seen []string
	l.Subscribe(func(old, new *config.Config) { seen = append(seen, old.Name+">"+new.Name) })
	c := config.Default()
	c.Name = "two"
	l.Store(c)
	if l.Load().Name != "two" || !slices.Equal(seen, []string{"relayd>two"}) {
		t.Fatalf("got %q, %v", l.Load().Name, seen)
	}
}

// TestRestartKeysDocumented: the README lists exactly the keys that need a
// restart.
func TestRestartKeysDocumented(t *testing.T) {
	b, err := os.ReadFile("../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	_, after, ok := strings.Cut(string(b), "Keys that need a restart:")
	line, _, _ := strings.Cut(after, "\n\n")
	if !ok {
		t.Fatal(`README has no "Keys that need a restart:" paragraph`)
	}
	var doc []string
	for _, m := range regexp.MustCompile("`([a-z_]+)`").FindAllStringSubmatch(line, -1) {
		doc = append(doc, m[1])
	}
	slices.Sort(doc)
	code := config.RestartKeys()
	slices.Sort(code)
	if !slices.Equal(doc, code) {
		t.Fatalf("README lists %v, the code says %v", doc, code)
	}
}
