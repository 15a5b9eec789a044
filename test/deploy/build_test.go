package deploy_test

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"testing"

	"github.com/relayd/relayd/internal/testing/deploytest"
)

// The Dockerfile's build stage runs once per test binary, in tmpRoot,
// removed by TestMain.
var (
	tmpRoot string
	built   struct {
		once sync.Once
		b    *build
		err  error
	}
)

func TestMain(m *testing.M) {
	var err error
	if tmpRoot, err = os.MkdirTemp("", "relayd-deploy-test-"); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	os.RemoveAll(tmpRoot)
	os.Exit(code)
}

// build is what the Dockerfile's build stage left: a copy of the build
// context (after .dockerignore) and the stage's file system.
type build struct {
	df      dockerfile
	context string // the build context as the Docker engine would send it
	root    string // the build stage's "/"
	log     string // what its RUN commands printed
}

// local returns where the build stage's path p (absolute, in the image)
// is on this machine.
func (b *build) local(p string) string { return filepath.Join(b.root, filepath.FromSlash(p)) }

// buildStage runs the build stage of deploy/docker/Dockerfile on this
// machine, once: the context is copied as the engine would send it
// (deploy/docker/Dockerfile.dockerignore applied), COPY copies from it,
// WORKDIR and ENV apply, and each RUN runs with sh -c, with the Go
// toolchain that runs the test and nothing downloaded (GOPROXY=off,
// GOTOOLCHAIN=local: the module cache must hold what go.mod needs, as
// .ci/run's go mod download makes sure). Only the base image differs: the
// machine's Go and C compiler stand in for golang:*-bookworm's.
func buildStage(t testing.TB) *build {
	t.Helper()
	built.once.Do(func() {
		// Set first: a t.Fatal inside runBuildStage ends this test and
		// leaves the later ones this error.
		built.err = errors.New("it failed in an earlier test")
		built.b, built.err = runBuildStage(t)
	})
	if built.err != nil {
		log := ""
		if built.b != nil {
			log = built.b.log
		}
		t.Fatalf("the Dockerfile's build stage: %v\n%s", built.err, log)
	}
	return built.b
}

func runBuildStage(t testing.TB) (*build, error) {
	b := &build{df: parseDockerfile(t, deploytest.Read(t, "docker/Dockerfile"))}
	b.context = filepath.Join(tmpRoot, "context")
	b.root = filepath.Join(tmpRoot, "build")
	ignore := parseDockerignore(t, deploytest.Read(t, "docker/Dockerfile.dockerignore"))
	if err := copyContext(deploytest.Root(t), b.context, ignore); err != nil {
		return b, err
	}
	stage := b.df.stageIndex(t, "build")
	workdir, env := "/", []string{
		"PATH=" + filepath.Join(runtime.GOROOT(), "bin") + string(os.PathListSeparator) + os.Getenv("PATH"),
		"GOPROXY=off", "GOTOOLCHAIN=local", "GOFLAGS=",
	}
	var log strings.Builder
	for _, in := range b.df.stage(stage) {
		switch in.cmd {
		case "FROM":
		case "WORKDIR":
			workdir = path.Join(workdir, in.args)
			if err := os.MkdirAll(b.local(workdir), 0o755); err != nil {
				return b, err
			}
		case "ENV":
			env = append(env, strings.Replace(in.args, " ", "=", 1))
		case "COPY":
			if len(in.flags) > 0 || len(in.words) < 2 {
				return b, fmt.Errorf("COPY %s: the test copies only from the context", in.args)
			}
			dst := path.Join(workdir, in.words[len(in.words)-1])
			for _, src := range in.words[:len(in.words)-1] {
				if err := copyInto(filepath.Join(b.context, src), b.local(dst), len(in.words) > 2 || strings.HasSuffix(in.words[len(in.words)-1], "/")); err != nil {
					return b, fmt.Errorf("COPY %s: %w", in.args, err)
				}
			}
		case "RUN":
			cmd := exec.Command("sh", "-c", in.args)
			cmd.Dir, cmd.Env = b.local(workdir), append(os.Environ(), env...)
			out, err := cmd.CombinedOutput()
			fmt.Fprintf(&log, "RUN %s\n%s", in.args, out)
			b.log = log.String()
			if err != nil {
				return b, fmt.Errorf("RUN %s: %w", in.args, err)
			}
		default:
			return b, fmt.Errorf("%s in the build stage: teach the test what it means", in.cmd)
		}
	}
	return b, nil
}

// dockerignore is a parsed .dockerignore: the patterns the test's copy of
// the context supports (paths and globs from the context's root, and
// **/ for any depth). An exception (!) fails the test.
type dockerignore []string

func parseDockerignore(t testing.TB, text string) dockerignore {
	t.Helper()
	var d dockerignore
	for _, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		if l == "" || strings.HasPrefix(l, "#") {
			continue
		}
		if strings.HasPrefix(l, "!") {
			t.Fatalf(".dockerignore: exception %q: teach the test", l)
		}
		d = append(d, path.Clean(strings.TrimPrefix(l, "/")))
	}
	return d
}

// ignored says whether rel (slash-separated, from the context's root) or
// a directory above it matches a pattern.
func (d dockerignore) ignored(rel string) bool {
	for _, p := range d {
		for q := rel; q != "."; q = path.Dir(q) {
			if rest, ok := strings.CutPrefix(p, "**/"); ok {
				if m, _ := path.Match(rest, path.Base(q)); m {
					return true
				}
			} else if m, _ := path.Match(p, q); m {
				return true
			}
		}
	}
	return false
}

// copyContext copies the directory src to dst, leaving out what ignore
// matches.
func copyContext(src, dst string, ignore dockerignore) error {
	return filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if rel != "." && ignore.ignored(filepath.ToSlash(rel)) {
			if e.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		return copyEntry(p, filepath.Join(dst, rel), e)
	})
}

// copyInto copies src (a file or a directory's contents) to dst, as COPY
// does: into dst/ when intoDir, else to dst itself.
func copyInto(src, dst string, intoDir bool) error {
	info, err := os.Stat(src)
	if err != nil {
		return err
	}
	if !info.IsDir() && intoDir {
		dst = filepath.Join(dst, filepath.Base(src))
	}
	return filepath.WalkDir(src, func(p string, e fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		return copyEntry(p, filepath.Join(dst, rel), e)
	})
}

func copyEntry(src, dst string, e fs.DirEntry) error {
	info, err := e.Info()
	if err != nil {
		return err
	}
	switch {
	case e.IsDir():
		return os.MkdirAll(dst, 0o755)
	case info.Mode()&fs.ModeSymlink != 0:
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	case !info.Mode().IsRegular():
		return nil
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_CREATE|os.O_WRONLY|os.O_TRUNC, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Test_dockerignore: the patterns match as the Docker engine's do for
// the forms the test supports.
func Test_dockerignore(t *testing.T) {
	d := parseDockerignore(t, "# c\n.git\nbin\n/data\n**/*.test\ndocs/*.md\n")
	tests := []struct {
		path string
		want bool
	}{
		{".git", true},
		{"bin/relayd", true},
		{"data/events/MANIFEST", true},
		{"cmd/relayd/main.go", false},
		{"cmd/bin", false},
		{"host/relay/relay.test", true},
		{"x.test", true},
		{"docs/deploy.md", true},
		{"docs/img/a.png", false},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			if got := d.ignored(tc.path); got != tc.want {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}
