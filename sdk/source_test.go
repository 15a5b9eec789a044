//go:build !wasip1

package sdk

import (
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestModuleSourceComplete checks that ModuleSource holds every Go file of
// every package of this module, so that a plugin made by `relayd plugin
// new` can import any SDK package. A new package directory must be added
// to the go:embed line in source.go.
func TestModuleSourceComplete(t *testing.T) {
	var want []string
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if path != "." && (d.Name() == "testdata" || fileExists(filepath.Join(path, "go.mod"))) {
				return filepath.SkipDir
			}
			return nil
		}
		if strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			want = append(want, filepath.ToSlash(path))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	err = fs.WalkDir(ModuleSource(), ".", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") && !strings.HasSuffix(path, "_test.go") {
			got = append(got, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range want {
		if !slices.Contains(got, p) {
			t.Errorf("%s is not in ModuleSource: add its directory to the go:embed line in source.go", p)
		}
	}
	if _, err := fs.Stat(ModuleSource(), "go.mod"); err != nil {
		t.Errorf("go.mod is not in ModuleSource: %v", err)
	}
}

func fileExists(p string) bool { _, err := os.Stat(p); return err == nil }
