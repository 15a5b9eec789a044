package main

import (
	"bufio"
	"bytes"
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

//go:embed template/*.tmpl template/fixtures.jsonl template/fixtures.golden
var templates embed.FS

// newFiles maps the template files to the files `plugin new` writes. Files
// that are not .tmpl are copied as they are.
var newFiles = []struct{ tmpl, out string }{
	{"main.go.tmpl", "main.go"},
	{"main_test.go.tmpl", "main_test.go"},
	{"README.md.tmpl", "README.md"},
	{"plugin.toml.tmpl", "{{.Name}}.toml"},
	{"fixtures.jsonl", "fixtures.jsonl"},
	{"fixtures.golden", "fixtures.golden"},
}

// pluginName is what a plugin may be called: its NAME.wasm file name.
// Words may be joined by - or _ ("no-buy", "kind_allowlist").
var pluginName = regexp.MustCompile(`^[a-z][a-z0-9]*([-_][a-z0-9]+)*$`)

// maxPluginName is the longest plugin name `plugin new` accepts.
const maxPluginName = 40

// pluginNew runs `relayd plugin new`: a new plugin folder from the
// embedded template. Outside a module that already provides the SDK, the
// folder is its own module with a copy of the SDK (see pluginSDK).
func pluginNew(args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("relayd plugin new", flag.ContinueOnError)
	fs.SetOutput(stderr)
	dir := fs.String("dir", ".", "parent directory of the new plugin folder")
	module := fs.String("module", "", "module path of the new plugin's go.mod (default NAME)")
	pos, err := parseArgs(fs, args)
	if err != nil {
		return 2
	}
	if len(pos) != 1 {
		return usageErr(stderr, "new", "want one NAME")
	}
	name := pos[0]
	if !pluginName.MatchString(name) || len(name) > maxPluginName {
		return usageErr(stderr, "new", fmt.Sprintf("name %q: want lower case words of letters and digits joined by - or _, starting with a letter, at most %d characters", name, maxPluginName))
	}
	out := filepath.Join(*dir, name)
	if err := writeTemplate(out, name); err != nil {
		fmt.Fprintf(stderr, "relayd plugin new: %v\n", err)
		return 1
	}
	files := "main.go, main_test.go, README.md, " + name + ".toml, fixtures.jsonl, fixtures.golden"
	owner, hasSDK := sdkModule(out)
	switch {
	case hasSDK:
		fmt.Fprintf(stdout, "created %s: %s\n(a package of the module in %s, which provides the SDK)\n\n", out, files, owner)
	default:
		if *module == "" {
			*module = name
		}
		err := writeGoMod(out, *module)
		if err == nil {
			err = writeSDK(out)
		}
		if err != nil {
			os.RemoveAll(out)
			fmt.Fprintf(stderr, "relayd plugin new: %v\n", err)
			return 1
		}
		fmt.Fprintf(stdout, "created %s: %s, go.mod,\n%s/ (the SDK of this relayd, %s, ABI %d; go.mod replaces the SDK module with it)\n\n",
			out, files, sdkCopyDir, version(), sdkABIVersion())
	}
	fmt.Fprintf(stdout, "next:\n%s", nextSteps(out, name))
	return 0
}

// nextSteps are the commands `plugin new` prints: test, build, check, and
// replay the fixtures against their golden file. TestPluginNewAnyFolder
// runs them as printed.
func nextSteps(dir, name string) string {
	return fmt.Sprintf(`  cd %s
  go test ./...
  GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared -o %s.wasm .
  relayd plugin check %s.wasm
  relayd plugin test %s.wasm fixtures.jsonl -expect fixtures.golden
`, shellQuote(dir), name, name, name)
}

// shellQuote quotes s for sh if it needs it.
func shellQuote(s string) string {
	if regexp.MustCompile(`^[A-Za-z0-9_./+-]+$`).MatchString(s) {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
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
		body, err := templates.ReadFile("template/" + f.tmpl)
		if err != nil {
			return err
		}
		if strings.HasSuffix(f.tmpl, ".tmpl") {
			t, err := template.New(f.tmpl).Parse(string(body))
			if err != nil {
				return err
			}
			var b bytes.Buffer
			if err := t.Execute(&b, data); err != nil {
				return err
			}
			body = b.Bytes()
		}
		out := strings.ReplaceAll(f.out, "{{.Name}}", name)
		if err := os.WriteFile(filepath.Join(dir, out), body, 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeGoMod makes dir a module that requires the SDK and replaces it with
// the copy in dir/relayd-sdk.
func writeGoMod(dir, module string) error {
	mod := fmt.Sprintf("module %s\n\ngo %s\n\nrequire %s %s\n\nreplace %s => ./%s\n",
		module, sdkGoVersion(), sdkModulePath, sdkPseudoVersion, sdkModulePath, sdkCopyDir)
	return os.WriteFile(filepath.Join(dir, "go.mod"), []byte(mod), 0o644)
}

// sdkModule finds the go.mod that holds dir and reports whether it
// provides the SDK: relayd's own module, or a module that requires the SDK
// module. owner is that go.mod's directory.
func sdkModule(dir string) (owner string, ok bool) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	for {
		b, err := os.ReadFile(filepath.Join(abs, "go.mod"))
		if err == nil {
			return abs, providesSDK(b)
		}
		parent := filepath.Dir(abs)
		if parent == abs {
			return "", false
		}
		abs = parent
	}
}

// providesSDK reports whether a go.mod is relayd's or requires the SDK.
func providesSDK(gomod []byte) bool {
	sc := bufio.NewScanner(bytes.NewReader(gomod))
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		switch {
		case len(f) >= 2 && f[0] == "module" && f[1] == relaydModulePath:
			return true
		case len(f) >= 2 && f[0] == "require" && f[1] == sdkModulePath,
			len(f) >= 1 && f[0] == sdkModulePath:
			return true
		}
	}
	return false
}
