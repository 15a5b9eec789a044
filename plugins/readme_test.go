// Package plugins_test checks the documentation contract of every plugin in
// plugins/*/ (a directory with a main.go) and of the default settings in
// plugins/defaults/.
//
// A plugin's README.md must have these headings, outside code blocks:
//
//	# NAME                  the directory name, first
//	## What it does
//	## Config
//	## Examples
//	## Logs and metrics
//
// in this order; other "##" sections may come between or after them.
//
// The Config section has a table whose header starts with "Key | Default".
// Each row names one key in backticks and gives its default (not empty).
// Keys are dotted paths below [config]: "flood.window" for a sub-table,
// "rules[].scope" for an array of tables, "kinds.<kind>.max_content" for a
// table keyed by anything ("[]" and "<...>" segments are ignored when
// keys are compared).
//
// The documented keys must be exactly the keys of the plugin's config
// struct: the type whose doc comment says it is the plugin's "[config]
// table" (else the type named Config), read from the plugin's Go files.
// JSON tags name the keys; embedded structs are inlined; structs inside
// slices and maps add a level; types with an UnmarshalJSON or
// UnmarshalText method are single keys. Every key that holds a value must
// be documented, and every documented key must exist.
//
// The Examples section must hold at least one ```toml block. Every toml
// block, and plugins/defaults/NAME.toml, must be a valid NAME.toml: host
// settings the relay knows (wasmhost.Settings) and, under [config], only
// keys of the config struct. Whether the examples behave as the README
// says is for each plugin's own tests.
package plugins_test

import (
	"bufio"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/BurntSushi/toml"

	"github.com/relayd/relayd/host/wasmhost"
)

var sections = []string{"## What it does", "## Config", "## Examples", "## Logs and metrics"}

// pluginDirs returns the names of the directories holding a main.go.
func pluginDirs(t *testing.T) []string {
	t.Helper()
	matches, err := filepath.Glob("*/main.go")
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, m := range matches {
		names = append(names, filepath.Dir(m))
	}
	if len(names) == 0 {
		t.Fatal("no plugins found")
	}
	return names
}

func TestReadme(t *testing.T) {
	for _, name := range pluginDirs(t) {
		t.Run(name, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join(name, "README.md"))
			if err != nil {
				t.Fatal(err)
			}
			schema, err := configSchema(name)
			if err != nil {
				t.Fatal(err)
			}
			for _, p := range checkReadme(name, string(b), schema) {
				t.Error(p)
			}
		})
	}
}

// TestDefaults checks plugins/defaults/NAME.toml against plugin NAME.
func TestDefaults(t *testing.T) {
	files, err := filepath.Glob("defaults/*.toml")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range files {
		name := strings.TrimSuffix(filepath.Base(f), ".toml")
		t.Run(name, func(t *testing.T) {
			if _, err := os.Stat(filepath.Join(name, "main.go")); err != nil {
				t.Fatalf("%s is for plugin %q, which does not exist", f, name)
			}
			schema, err := configSchema(name)
			if err != nil {
				t.Fatal(err)
			}
			b, err := os.ReadFile(f)
			if err != nil {
				t.Fatal(err)
			}
			if err := checkSettings(string(b), schema); err != nil {
				t.Error(err)
			}
		})
	}
}

// checkReadme returns what is wrong with the README of plugin name.
func checkReadme(name, text string, schema *node) []string {
	doc := parseReadme(text)
	problems := checkHeadings(name, doc.headings)
	keys, more := doc.keys()
	problems = append(problems, more...)
	problems = append(problems, checkKeys(keys, schema)...)
	if len(doc.examples) == 0 {
		problems = append(problems, "## Examples has no ```toml block")
	}
	for i, ex := range doc.examples {
		if err := checkSettings(ex, schema); err != nil {
			problems = append(problems, fmt.Sprintf("example %d: %v\n%s", i+1, err, ex))
		}
	}
	return problems
}

// readme is what the checks need from a README.
type readme struct {
	headings []string // "#" and "##" lines outside code blocks
	config   []string // lines of the ## Config section
	examples []string // ```toml blocks of the ## Examples section
}

func parseReadme(s string) readme {
	var r readme
	var section string
	var code *strings.Builder // inside a code block
	isTOML := false
	sc := bufio.NewScanner(strings.NewReader(s))
	for sc.Scan() {
		line := sc.Text()
		switch {
		case strings.HasPrefix(line, "```") && code == nil:
			code, isTOML = &strings.Builder{}, strings.TrimSpace(line[3:]) == "toml"
		case strings.HasPrefix(line, "```"):
			if isTOML && section == "## Examples" {
				r.examples = append(r.examples, code.String())
			}
			code = nil
		case code != nil:
			code.WriteString(line + "\n")
		case strings.HasPrefix(line, "# ") || strings.HasPrefix(line, "## "):
			r.headings = append(r.headings, line)
			section = line
		case section == "## Config":
			r.config = append(r.config, line)
		}
	}
	return r
}

func checkHeadings(name string, hs []string) []string {
	var problems []string
	if len(hs) == 0 || hs[0] != "# "+name {
		problems = append(problems, fmt.Sprintf("the first heading must be %q", "# "+name))
	}
	var got []string
	for _, h := range hs {
		if slices.Contains(sections, h) {
			got = append(got, h)
		}
	}
	if !slices.Equal(got, sections) {
		problems = append(problems, fmt.Sprintf("got sections %q, want %q in this order, once each", got, sections))
	}
	return problems
}

var keyCell = regexp.MustCompile("^`([^`]+)`$")

// keys returns the documented keys, normalized, from the Key | Default
// table of the Config section.
func (r readme) keys() (keys, problems []string) {
	inTable := false
	for _, line := range r.config {
		line = strings.TrimSpace(line)
		if !strings.HasPrefix(line, "|") {
			inTable = false
			continue
		}
		cells := strings.Split(strings.Trim(line, "|"), "|")
		for i := range cells {
			cells[i] = strings.TrimSpace(cells[i])
		}
		switch {
		case len(cells) >= 2 && cells[0] == "Key" && cells[1] == "Default":
			inTable = true
		case !inTable || strings.HasPrefix(cells[0], "---"):
		case len(cells) < 2 || cells[1] == "":
			problems = append(problems, fmt.Sprintf("config row %q has no default", line))
		case !keyCell.MatchString(cells[0]):
			problems = append(problems, fmt.Sprintf("config row %q: the key must be one `code` span", line))
		default:
			keys = append(keys, normalize(keyCell.FindStringSubmatch(cells[0])[1]))
		}
	}
	return keys, problems
}

// normalize drops the "[]" and "<...>" parts of a documented key.
func normalize(key string) string {
	var out []string
	for _, seg := range strings.Split(key, ".") {
		seg = strings.TrimSuffix(seg, "[]")
		if strings.HasPrefix(seg, "<") && strings.HasSuffix(seg, ">") {
			continue
		}
		out = append(out, seg)
	}
	return strings.Join(out, ".")
}

func checkKeys(documented []string, s *node) []string {
	var problems []string
	all, values := map[string]bool{}, map[string]bool{}
	s.paths("", all, values)
	seen := map[string]bool{}
	for _, k := range documented {
		if seen[k] {
			problems = append(problems, fmt.Sprintf("key %q is documented twice", k))
		}
		seen[k] = true
		if !all[k] {
			problems = append(problems, fmt.Sprintf("key %q is documented but the config struct has no such key", k))
		}
	}
	var missing []string
	for k := range values {
		if !seen[k] {
			missing = append(missing, k)
		}
	}
	sort.Strings(missing)
	if len(missing) > 0 {
		problems = append(problems, fmt.Sprintf("keys of the config struct missing from the ## Config table: %q", missing))
	}
	return problems
}

// checkSettings checks a NAME.toml: known host settings, and [config]
// keys the schema has.
func checkSettings(text string, s *node) error {
	var set wasmhost.Settings
	md, err := toml.Decode(text, &set)
	if err != nil {
		return err
	}
	for _, k := range md.Undecoded() {
		if len(k) > 0 && k[0] != "config" {
			return fmt.Errorf("unknown host setting %q", k.String())
		}
	}
	if set.Config == nil {
		return nil
	}
	return s.check("", set.Config)
}

// The config struct's shape, from the plugin's source.

// node is the shape of a config struct, read from the plugin's source: a
// struct (fields), a slice or map (elem), or a value (neither).
type node struct {
	fields map[string]*node
	elem   *node
	isMap  bool
}

func (n *node) isValue() bool { return n.fields == nil && (n.elem == nil || n.elem.isValue()) }

// paths adds every key path below n to all, and those that hold a value
// to values. Slices and maps of structs add no path segment of their own.
func (n *node) paths(path string, all, values map[string]bool) {
	switch {
	case n.isValue():
		if path != "" {
			all[path], values[path] = true, true
		}
	case n.fields == nil:
		n.elem.paths(path, all, values)
	default:
		if path != "" {
			all[path] = true
		}
		for name, f := range n.fields {
			if path != "" {
				name = path + "." + name
			}
			f.paths(name, all, values)
		}
	}
}

// check reports the first key of the decoded TOML value v that n does not
// have.
func (n *node) check(path string, v any) error {
	switch {
	case n.isValue():
		return nil
	case n.fields != nil:
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("config%s: want a table, got %T", path, v)
		}
		for k, val := range m {
			f := n.fields[k]
			if f == nil {
				return fmt.Errorf("config%s: unknown key %q", path, k)
			}
			if err := f.check(path+"."+k, val); err != nil {
				return err
			}
		}
	case n.isMap:
		m, ok := v.(map[string]any)
		if !ok {
			return fmt.Errorf("config%s: want a table, got %T", path, v)
		}
		for k, val := range m {
			if err := n.elem.check(path+"."+k, val); err != nil {
				return err
			}
		}
	default:
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Slice {
			return fmt.Errorf("config%s: want an array, got %T", path, v)
		}
		for i := range rv.Len() {
			if err := n.elem.check(path+"["+strconv.Itoa(i)+"]", rv.Index(i).Interface()); err != nil {
				return err
			}
		}
	}
	return nil
}

// source is a plugin's type declarations.
type source struct {
	types  map[string]*ast.TypeSpec
	docs   map[string]string // doc comment of each type
	values map[string]bool   // types with UnmarshalJSON or UnmarshalText
}

// configSchema reads the plugin in dir and returns the shape of its config
// struct; an empty struct if it has none.
func configSchema(dir string) (*node, error) {
	src, err := readSource(dir)
	if err != nil {
		return nil, err
	}
	var found []string
	for name, doc := range src.docs {
		if strings.Contains(doc, "[config] table") {
			found = append(found, name)
		}
	}
	switch {
	case len(found) > 1:
		return nil, fmt.Errorf("types %v all say they are the [config] table", found)
	case len(found) == 0 && src.types["Config"] != nil:
		found = []string{"Config"}
	case len(found) == 0:
		return &node{fields: map[string]*node{}}, nil
	}
	n := src.resolve(ast.NewIdent(found[0]), map[string]bool{})
	if n.fields == nil {
		return nil, errors.New(found[0] + " is not a struct")
	}
	return n, nil
}

func readSource(dir string) (*source, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	src := &source{types: map[string]*ast.TypeSpec{}, docs: map[string]string{}, values: map[string]bool{}}
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ParseComments)
		if err != nil {
			return nil, err
		}
		src.add(f)
	}
	return src, nil
}

func (src *source) add(f *ast.File) {
	for _, d := range f.Decls {
		switch d := d.(type) {
		case *ast.GenDecl:
			for _, spec := range d.Specs {
				ts, ok := spec.(*ast.TypeSpec)
				if !ok {
					continue
				}
				src.types[ts.Name.Name] = ts
				src.docs[ts.Name.Name] = ts.Doc.Text()
				if len(d.Specs) == 1 {
					src.docs[ts.Name.Name] += d.Doc.Text()
				}
			}
		case *ast.FuncDecl:
			if d.Recv == nil || len(d.Recv.List) != 1 || d.Name.Name != "UnmarshalJSON" && d.Name.Name != "UnmarshalText" {
				continue
			}
			t := d.Recv.List[0].Type
			if st, ok := t.(*ast.StarExpr); ok {
				t = st.X
			}
			if id, ok := t.(*ast.Ident); ok {
				src.values[id.Name] = true
			}
		}
	}
}

// resolve returns the shape of type expression e; seen guards against
// recursive types.
func (src *source) resolve(e ast.Expr, seen map[string]bool) *node {
	switch e := e.(type) {
	case *ast.Ident:
		ts := src.types[e.Name]
		if ts == nil || src.values[e.Name] || seen[e.Name] {
			return &node{}
		}
		seen[e.Name] = true
		defer delete(seen, e.Name)
		return src.resolve(ts.Type, seen)
	case *ast.StarExpr:
		return src.resolve(e.X, seen)
	case *ast.ArrayType:
		return &node{elem: src.resolve(e.Elt, seen)}
	case *ast.MapType:
		return &node{elem: src.resolve(e.Value, seen), isMap: true}
	case *ast.StructType:
		return src.structNode(e, seen)
	}
	return &node{} // other packages' types, interfaces: values
}

func (src *source) structNode(st *ast.StructType, seen map[string]bool) *node {
	n := &node{fields: map[string]*node{}}
	for _, f := range st.Fields.List {
		name, inline := jsonName(f)
		if name == "-" {
			continue
		}
		child := src.resolve(f.Type, seen)
		if inline {
			for k, v := range child.fields {
				n.fields[k] = v
			}
			continue
		}
		if name != "" {
			n.fields[name] = child
		}
	}
	return n
}

// jsonName returns the JSON key of field f as encoding/json sees it: ""
// for an unexported field, inline for an embedded struct without a tag.
func jsonName(f *ast.Field) (name string, inline bool) {
	tag := ""
	if f.Tag != nil {
		s, _ := strconv.Unquote(f.Tag.Value)
		tag, _, _ = strings.Cut(reflect.StructTag(s).Get("json"), ",")
	}
	if len(f.Names) == 0 {
		return tag, tag == ""
	}
	if !f.Names[0].IsExported() {
		return "", false
	}
	if tag != "" {
		return tag, false
	}
	return f.Names[0].Name, false
}

// A test of the checks themselves.

// fakePlugin has every shape of config the checker knows.
const fakePlugin = "package main\n\n" +
	"// settings is the plugin's [config] table.\n" +
	"type settings struct {\n" +
	"\tMode  string            `json:\"mode\"`\n" +
	"\tRules []rule            `json:\"rules\"`\n" +
	"\tKinds map[string]limits `json:\"kinds\"`\n" +
	"\tlimits\n" +
	"\tSet    kindSet `json:\"set,omitempty\"`\n" +
	"\tSkip   int     `json:\"-\"`\n" +
	"\thidden int\n" +
	"}\n\n" +
	"type rule struct {\n\tScope string `json:\"scope\"`\n}\n\n" +
	"type limits struct {\n\tMax *int64 `json:\"max\"`\n}\n\n" +
	"type kindSet []kindRange\n\n" +
	"type kindRange struct {\n\tLo int `json:\"lo\"`\n}\n\n" +
	"func (k *kindSet) UnmarshalJSON(b []byte) error { return nil }\n"

const fakeReadme = "# fake\n\n## What it does\n\nThings.\n\n## Config\n\n" +
	"| Key | Default | Meaning |\n|---|---|---|\n" +
	"| `mode` | `\"a\"` | m |\n| `rules` | `[]` | r |\n| `rules[].scope` | required | s |\n" +
	"| `kinds.<kind>.max` | the global value | k |\n| `max` | `0` | x |\n| `set` | `[]` | s |\n\n" +
	"## Examples\n\n### One\n\n```toml\n# a comment, not a heading\norder = 3\n\n[config]\nmode = \"b\"\nmax = 1\nset = [1, \"2-3\"]\n" +
	"[[config.rules]]\nscope = \"x\"\n[config.kinds.7]\nmax = 2\n```\n\n" +
	"```sh\n# not a heading either\n```\n\n## Logs and metrics\n\nNone.\n"

// TestReadmeChecker checks that the checker finds what it should.
func TestReadmeChecker(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "fake")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "main.go"), []byte(fakePlugin), 0o644); err != nil {
		t.Fatal(err)
	}
	schema, err := configSchema(dir)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		old     string // replaced in fakeReadme
		new     string
		problem string // "" for none
	}{
		{"good", "", "", ""},
		{"wrong title", "# fake\n", "# Fake\n", `the first heading must be "# fake"`},
		{"missing section", "## Logs and metrics\n", "## Notes\n", "got sections"},
		{"sections out of order", "## What it does\n\nThings.\n\n## Config\n", "## Config\n\nThings.\n\n## What it does\n", "got sections"},
		{"undocumented key", "| `set` | `[]` | s |\n", "", `missing from the ## Config table: ["set"]`},
		{"undocumented nested key", "| `rules[].scope` | required | s |\n", "", `missing from the ## Config table: ["rules.scope"]`},
		{"unknown key", "| `max` |", "| `min` |", `key "min" is documented but the config struct has no such key`},
		{"hidden field", "| `max` |", "| `hidden` | 0 | h |\n| `max` |", `key "hidden" is documented but`},
		{"no default", "| `mode` | `\"a\"` |", "| `mode` |  |", "has no default"},
		{"key not in code", "| `mode` |", "| mode |", "the key must be one `code` span"},
		{"twice", "| `max` |", "| `max` | 1 | x |\n| `max` |", `key "max" is documented twice`},
		{"no example", "```toml\n", "```ini\n", "## Examples has no ```toml block"},
		{"unknown config key", "mode = \"b\"\n", "mdoe = \"b\"\n", `config: unknown key "mdoe"`},
		{"unknown nested key", "scope = \"x\"\n", "scop = \"x\"\n", `config.rules[0]: unknown key "scop"`},
		{"unknown key under a map", "[config.kinds.7]\nmax = 2", "[config.kinds.7]\nmx = 2", `config.kinds.7: unknown key "mx"`},
		{"unknown host setting", "order = 3\n", "ordre = 3\n", `unknown host setting "ordre"`},
		{"bad toml", "order = 3\n", "order = \n", "example 1:"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			text := fakeReadme
			if tc.old != "" {
				if !strings.Contains(text, tc.old) {
					t.Fatalf("fakeReadme has no %q", tc.old)
				}
				text = strings.Replace(text, tc.old, tc.new, 1)
			}
			problems := checkReadme("fake", text, schema)
			switch {
			case tc.problem == "" && len(problems) > 0:
				t.Errorf("got problems %q, want none", problems)
			case tc.problem != "" && !strings.Contains(strings.Join(problems, "\n"), tc.problem):
				t.Errorf("got problems %q, want one with %q", problems, tc.problem)
			}
		})
	}
}
