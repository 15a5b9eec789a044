// Package wasmbuild builds Go packages to WebAssembly plugins for tests:
// GOOS=wasip1 GOARCH=wasm go build -buildmode=c-shared, once per package
// per test binary (the Go build cache makes later runs fast).
package wasmbuild

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"
)

type result struct {
	once sync.Once
	path string
	err  error
	out  []byte
}

var (
	mu      sync.Mutex
	builds  = map[string]*result{}
	outDir  string
	outErr  error
	outOnce sync.Once
)

// Build compiles the Go main package in dir (relative to the test's
// working directory, or absolute) and returns the path of the .wasm. It
// fails the test if the build fails. Safe for concurrent use.
func Build(t testing.TB, dir string) string {
	t.Helper()
	abs, err := filepath.Abs(dir)
	if err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	r := builds[abs]
	if r == nil {
		r = &result{}
		builds[abs] = r
	}
	mu.Unlock()
	r.once.Do(func() { r.path, r.out, r.err = build(abs) })
	if r.err != nil {
		t.Fatalf("wasmbuild %s: %v\n%s", dir, r.err, r.out)
	}
	return r.path
}

func build(dir string) (string, []byte, error) {
	outOnce.Do(func() { outDir, outErr = os.MkdirTemp("", "wasmbuild-") })
	if outErr != nil {
		return "", nil, outErr
	}
	out := filepath.Join(outDir, strings.ReplaceAll(strings.Trim(dir, string(filepath.Separator)), string(filepath.Separator), "_")+".wasm")
	cmd := exec.Command(goTool(), "build", "-buildmode=c-shared", "-o", out, ".")
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOOS=wasip1", "GOARCH=wasm", "CGO_ENABLED=0")
	b, err := cmd.CombinedOutput()
	return out, b, err
}

// RemoveAll deletes the built files; call it from TestMain after m.Run.
func RemoveAll() {
	if outDir != "" {
		os.RemoveAll(outDir)
	}
}

func goTool() string {
	p := filepath.Join(runtime.GOROOT(), "bin", "go")
	if _, err := os.Stat(p); err == nil {
		return p
	}
	return "go"
}
