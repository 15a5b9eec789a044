package abi_test

import (
	"go/ast"
	"go/constant"
	"go/importer"
	"go/parser"
	"go/token"
	"go/types"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// docRows returns the first two cells of every ABI.md table row whose first
// cell is a backticked identifier: name -> value text.
func docRows(t *testing.T) map[string]string {
	t.Helper()
	b, err := os.ReadFile("ABI.md")
	if err != nil {
		t.Fatal(err)
	}
	rows := map[string]string{}
	for _, line := range strings.Split(string(b), "\n") {
		cells := strings.Split(line, "|")
		if len(cells) < 4 || strings.TrimSpace(cells[0]) != "" {
			continue
		}
		name := strings.TrimSpace(cells[1])
		if !strings.HasPrefix(name, "`") || !strings.HasSuffix(name, "`") {
			continue
		}
		name = strings.Trim(name, "`")
		if _, dup := rows[name]; dup {
			t.Errorf("ABI.md: %s listed twice", name)
		}
		rows[name] = strings.Trim(strings.TrimSpace(cells[2]), "`")
	}
	return rows
}

// goConsts type-checks this package's non-test files and returns every
// exported constant.
func goConsts(t *testing.T) map[string]constant.Value {
	t.Helper()
	fset := token.NewFileSet()
	names, _ := filepath.Glob("*.go")
	var files []*ast.File
	for _, n := range names {
		if strings.HasSuffix(n, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, n, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		files = append(files, f)
	}
	conf := types.Config{Importer: importer.Default()}
	pkg, err := conf.Check("abi", fset, files, nil)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]constant.Value{}
	for _, n := range pkg.Scope().Names() {
		if c, ok := pkg.Scope().Lookup(n).(*types.Const); ok && c.Exported() {
			out[n] = c.Val()
		}
	}
	return out
}

func TestABIDocMatchesConstants(t *testing.T) {
	rows, consts := docRows(t), goConsts(t)
	for name, val := range consts {
		doc, ok := rows[name]
		if !ok {
			t.Errorf("%s = %s is not documented in ABI.md", name, val)
			continue
		}
		var got constant.Value
		if val.Kind() == constant.String {
			s, err := strconv.Unquote(doc)
			if err != nil {
				t.Errorf("ABI.md %s: value %q is not a quoted string", name, doc)
				continue
			}
			got = constant.MakeString(s)
		} else {
			n, err := strconv.ParseInt(doc, 0, 64)
			if err != nil {
				t.Errorf("ABI.md %s: value %q is not a number", name, doc)
				continue
			}
			got = constant.MakeInt64(n)
		}
		if !constant.Compare(got, token.EQL, val) {
			t.Errorf("ABI.md %s: got %s, want %s", name, got, val)
		}
	}
	for name := range rows {
		if _, ok := consts[name]; !ok {
			t.Errorf("ABI.md lists %s, which is not a constant in sdk/abi", name)
		}
	}
}
