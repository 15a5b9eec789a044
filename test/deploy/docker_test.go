// Package deploy_test checks the deployment files docs/deploy.md shows
// (deploy/): that the doc shows them as they are, and that each does what
// the doc says where this machine can tell. The Dockerfile's build stage
// runs here (no image is built: there is no Docker engine), then the
// image's command and health check on its output; the systemd unit is
// checked by systemd-analyze and its commands run (under strace, to hold
// its system call filter against what relayd calls). The reverse proxy
// sites are run by test/proxy.
package deploy_test

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/internal/testing/deploytest"
)

// image maps the paths of the Dockerfile's final image to the files
// that the build stage (or the context) gave them, on this machine.
type image struct {
	b     *build
	stage int
	files map[string]string // image path -> local path
}

// newImage reads the final stage's COPY instructions. Every source must
// exist: in the build stage's output (--from=build) or in the context
// as .dockerignore leaves it.
func newImage(t *testing.T, b *build) *image {
	t.Helper()
	im := &image{b: b, stage: len(b.df.stages) - 1, files: map[string]string{}}
	for _, in := range b.df.stage(im.stage) {
		if in.cmd != "COPY" {
			continue
		}
		if len(in.words) != 2 {
			t.Fatalf("COPY %s: the test maps one source per COPY", in.args)
		}
		src, dst := in.words[0], in.words[1]
		local := filepath.Join(b.context, src)
		if from := in.flags["from"]; from != "" {
			b.df.stageIndex(t, from)
			local = b.local(src)
		}
		if _, err := os.Stat(local); err != nil {
			t.Fatalf("COPY %s: the source is not there: %v", in.args, err)
		}
		im.files[path.Clean(dst)] = local
	}
	return im
}

// local returns the local file behind the image path p, or fails.
func (im *image) local(t *testing.T, p string) string {
	t.Helper()
	for q := path.Clean(p); q != "/"; q = path.Dir(q) {
		if l, ok := im.files[q]; ok {
			rel, _ := filepath.Rel(q, path.Clean(p))
			return filepath.Join(l, rel)
		}
	}
	t.Fatalf("%s is not in the image (no COPY puts it there)", p)
	return ""
}

// config loads the image's relayd.toml, the one its command names.
func (im *image) config(t *testing.T, command []string) (config.Config, string) {
	t.Helper()
	for i, a := range command {
		if a == "-config" && i+1 < len(command) {
			file := command[i+1]
			cfg, err := config.Load(im.local(t, file))
			if err != nil {
				t.Fatal(err)
			}
			return cfg, file
		}
	}
	t.Fatalf("the image's command %q names no -config", command)
	return config.Config{}, ""
}

// TestDockerfile checks deploy/docker/Dockerfile against the repository
// and the config it ships, without building it.
func TestDockerfile(t *testing.T) {
	df := parseDockerfile(t, deploytest.Read(t, "docker/Dockerfile"))
	buildFrom := df.last(t, df.stageIndex(t, "build"), "FROM").words[0]
	final := len(df.stages) - 1
	runFrom := df.last(t, final, "FROM").words[0]
	goVersion := regexp.MustCompile(`(?m)^go (\d+\.\d+)`).FindStringSubmatch(readRepo(t, "go.mod"))
	makefile := readRepo(t, "Makefile")

	t.Run("builder Go is go.mod's", func(t *testing.T) {
		tag := strings.TrimPrefix(buildFrom, "golang:")
		if goVersion == nil || !strings.HasPrefix(tag, goVersion[1]+"-") {
			t.Fatalf("build stage FROM %s, want golang:%v-<debian release>", buildFrom, goVersion)
		}
	})
	t.Run("runtime is the builder's Debian release", func(t *testing.T) {
		release := buildFrom[strings.LastIndex(buildFrom, "-")+1:]
		if !strings.HasPrefix(runFrom, "debian:"+release) {
			t.Fatalf("final stage FROM %s, build stage %s: relayd links the build stage's glibc", runFrom, buildFrom)
		}
	})
	t.Run("make targets exist", func(t *testing.T) {
		for _, in := range df.stage(df.stageIndex(t, "build")) {
			if in.cmd != "RUN" || len(in.words) == 0 || in.words[0] != "make" {
				continue
			}
			for _, target := range in.words[1:] {
				if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(target) + `:`).MatchString(makefile) {
					t.Errorf("make %s: no such target in the Makefile", target)
				}
			}
		}
	})
	t.Run("non-root user made in the image", func(t *testing.T) {
		uid := imageUID(t, df)
		if uid == 0 {
			t.Fatal("USER is root")
		}
		made := false
		for _, in := range df.stage(final) {
			made = made || (in.cmd == "RUN" && strings.Contains(in.args, "useradd") && strings.Contains(in.args, "--uid "+strconv.Itoa(uid)))
		}
		if !made {
			t.Fatalf("no RUN useradd --uid %d in the final stage", uid)
		}
	})
	t.Run("volume, port and health check match the config", func(t *testing.T) {
		cfg, err := config.Load(deploytest.Path(t, "docker/relayd.toml"))
		if err != nil {
			t.Fatal(err)
		}
		host, port, _ := net.SplitHostPort(cfg.Listen)
		if ip := net.ParseIP(host); host != "" && (ip == nil || !ip.IsUnspecified()) {
			t.Errorf("listen %s: a container must listen on every address", cfg.Listen)
		}
		if v := df.last(t, final, "VOLUME").args; v != cfg.DataDir {
			t.Errorf("VOLUME %s, data dir %s", v, cfg.DataDir)
		}
		if e := df.last(t, final, "EXPOSE").args; e != port {
			t.Errorf("EXPOSE %s, listen %s", e, cfg.Listen)
		}
		if hc := df.last(t, final, "HEALTHCHECK").args; !strings.Contains(hc, "127.0.0.1:"+port) {
			t.Errorf("HEALTHCHECK %s does not ask port %s", hc, port)
		}
	})
}

// imageUID is the uid of the final stage's USER.
func imageUID(t *testing.T, df dockerfile) int {
	t.Helper()
	u := df.last(t, len(df.stages)-1, "USER").args
	uid, err := strconv.Atoi(strings.Split(u, ":")[0])
	if err != nil {
		t.Fatalf("USER %s: use a numeric uid (Kubernetes' runAsNonRoot can only check those)", u)
	}
	return uid
}

// TestDockerImageRuns runs the Dockerfile's build stage (buildStage),
// then the final image's ENTRYPOINT and CMD on what it built, with the
// image's paths mapped to it and as the image's user (when the test runs
// as root): relayd must start with the image's config and every default
// plugin, the HEALTHCHECK command must pass while it runs and fail once
// it stopped, and SIGTERM (docker stop) must end it with status 0.
func TestDockerImageRuns(t *testing.T) {
	b := buildStage(t)
	im := newImage(t, b)
	df := b.df
	command := append(append([]string{}, df.last(t, im.stage, "ENTRYPOINT").exec...), df.last(t, im.stage, "CMD").exec...)
	if len(command) < 2 || command[0] != "relayd" {
		t.Fatalf("ENTRYPOINT and CMD %q: want relayd and its flags", command)
	}
	cfg, cfgFile := im.config(t, command)
	uid := imageUID(t, df)
	bin := im.local(t, "/usr/local/bin/relayd")
	openUp(t, b.root)
	openUp(t, b.context)
	data := ownedDir(t, "volume-", uid, uid)
	// The image's paths, mapped; the data volume and the port are the
	// test's.
	args := []string{"-config", im.local(t, cfgFile),
		"-data", data, "-plugins", im.local(t, cfg.PluginDir), "-listen", "127.0.0.1:0"}
	cmd := exec.Command(bin, args...)
	runAs(cmd, uid, uid)
	p := startRelayd(t, cmd)
	addr := p.waitLog(t, `msg="relayd listening" addr=(\S+)`)

	hc := df.last(t, im.stage, "HEALTHCHECK")
	check := strings.TrimPrefix(hc.args[strings.Index(hc.args, "CMD "):], "CMD ")
	check = strings.Replace(check, "127.0.0.1:7447", addr, 1)
	if out, err := exec.Command("sh", "-c", check).CombinedOutput(); err != nil {
		t.Fatalf("HEALTHCHECK %s while relayd runs: %v\n%s", check, err, out)
	}
	p.waitLog(t, `msg="relayd ready"`)
	if os.Getuid() == 0 {
		checkUID(t, cmd.Process.Pid, uid)
	}
	for _, name := range defaultPlugins(t) {
		if !strings.Contains(p.logs.String(), `msg="wasm plugin loaded" plugin=`+name+" ") {
			t.Errorf("default plugin %s not loaded from the image's %s", name, cfg.PluginDir)
		}
	}
	signal(t, cmd.Process.Pid, syscall.SIGTERM)
	if code := p.wait(t, defaultStopTimeout); code != 0 {
		t.Fatalf("relayd exited with %d on SIGTERM, want 0", code)
	}
	if err := exec.Command("sh", "-c", check).Run(); err == nil {
		t.Fatalf("HEALTHCHECK %s passes with relayd stopped", check)
	}
}

// checkUID checks that process pid runs as uid.
func checkUID(t *testing.T, pid, uid int) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	m := regexp.MustCompile(`(?m)^Uid:\s+(\d+)`).FindSubmatch(b)
	if m == nil || string(m[1]) != strconv.Itoa(uid) {
		t.Fatalf("relayd runs as uid %s, want %d", m, uid)
	}
}

// defaultStopTimeout is how long `docker stop` waits after SIGTERM.
const defaultStopTimeout = 10 * time.Second

// defaultPlugins are the names of the default plugin set that loads as
// shipped (a NAME.toml with enabled = false is left out).
func defaultPlugins(t *testing.T) []string {
	t.Helper()
	files, err := filepath.Glob(filepath.Join(deploytest.Root(t), "plugins", "defaults", "*.toml"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no plugins/defaults/*.toml: %v", err)
	}
	disabled := regexp.MustCompile(`(?m)^enabled\s*=\s*false`)
	var names []string
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		if disabled.Match(b) { // shipped switched off (wot: it needs the operator's keys)
			continue
		}
		names = append(names, strings.TrimSuffix(filepath.Base(f), ".toml"))
	}
	return names
}

// readRepo returns a file of the repository.
func readRepo(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(deploytest.Root(t), name))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
