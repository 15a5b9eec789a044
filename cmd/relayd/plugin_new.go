package main

import (
	"embed"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"text/template"
)

//go:embed template/*.tmpl
var templates embed.FS

// newFiles maps the template files to the files `plugin new` writes.
var newFiles = []struct{ tmpl, out string }{
	{"main.go.tmpl", "main.go"},
	{"main_test.go.tmpl", "main_test.go"},
	{"README.md.tmpl", "README.md"},
	{"plugin.toml.tmpl", "{{.Name}}.toml"},
}

// pluginName is what a plugin may be called: its NAME.wasm file name.
var pluginName = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// pluginNew runs `relayd plugin new`: a new plugin folder from the
// embedded template.
func pluginNew(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("relayd plugin new", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", ".", "parent directory of the new plugin folder")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		return usageErr(stderr, "new", "want one NAME")
	}
	name := pos[0]
	if !pluginName.MatchString(name) {
		return usageErr(stderr, "new", fmt.Sprintf("name %q: want lower case letters, digits and _, starting with a letter", name))
	}
	out := filepath.Join(*dir, name)
	if err := writeTemplate(out, name); err != nil {
		fmt.Fprintf(stderr, "relayd plugin new: %v\n", err)
		return 1
	}
	fmt.Fprintf(stdout, "created %s: main.go, main_test.go, README.md, %s.toml\n\n", out, name)
	if !inModule(out) {
		fmt.Fprintf(stdout, "%s is not inside a Go module; first run:\n  cd %s && go mod init example.com/%s && go get github.com/relayd/relayd/sdk\n\n", out, out, name)
	}
	fmt.Fprintf(stdout, "next:\n  cd %s\n  go test .\n  GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o %s.wasm .\n  relayd plugin check %s.wasm\n  relayd plugin test %s.wasm events.jsonl\n",
		out, name, name, name)
	return 0
}

// writeTemplate creates dir and fills it; it refuses an existing dir.
func writeTemplate(dir, name string) error {
	if _, err := os.Stat(dir); err == nil {
		return fmt.Errorf("%s already exists", dir)
	} else if !errors.Is(err, os.ErrNotExist) {
		return err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	data := struct{ Name string }{name}
	for _, f := range newFiles {
		t, err := template.ParseFS(templates, "template/"+f.tmpl)
		if err != nil {
			return err
		}
		var b strings.Builder
		if err := t.Execute(&b, data); err != nil {
			return err
		}
		out := strings.ReplaceAll(f.out, "{{.Name}}", name)
		if err := os.WriteFile(filepath.Join(dir, out), []byte(b.String()), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// inModule reports whether dir is inside a directory with a go.mod.
func inModule(dir string) bool {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return false
	}
	for {
		if _, err := os.Stat(filepath.Join(abs, "go.mod")); err == nil {
			return true
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			return false
		}
		abs = parent
	}
}
