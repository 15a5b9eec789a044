package deploy_test

import (
	"bufio"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/internal/testing/deploytest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// unit is a parsed systemd unit file: section -> key -> values in order.
type unit map[string]map[string][]string

func parseUnit(t *testing.T, text string) unit {
	t.Helper()
	u, section := unit{}, ""
	for i, l := range strings.Split(text, "\n") {
		l = strings.TrimSpace(l)
		switch {
		case l == "" || strings.HasPrefix(l, "#") || strings.HasPrefix(l, ";"):
		case strings.HasPrefix(l, "[") && strings.HasSuffix(l, "]"):
			section = l[1 : len(l)-1]
			u[section] = map[string][]string{}
		case strings.HasSuffix(l, "\\"):
			t.Fatalf("line %d: continuation lines: teach the test", i+1)
		default:
			k, v, ok := strings.Cut(l, "=")
			if !ok || section == "" {
				t.Fatalf("line %d: %q is not KEY=VALUE in a section", i+1, l)
			}
			u[section][k] = append(u[section][k], v)
		}
	}
	return u
}

// one returns the single value of key in [Service], or fails.
func (u unit) one(t *testing.T, key string) string {
	t.Helper()
	v := u["Service"][key]
	if len(v) != 1 {
		t.Fatalf("[Service] %s: %d values, want 1", key, len(v))
	}
	return v[0]
}

// unitFile is the unit with its paths swapped for the test's: the built
// relayd for /usr/local/bin/relayd and cfgFile for /etc/relayd/relayd.toml.
func unitFile(t *testing.T, bin, cfgFile string) string {
	t.Helper()
	text := deploytest.Read(t, "systemd/relayd.service")
	return deploytest.Apply(t, "deploy/systemd/relayd.service", text, []deploytest.Edit{
		deploytest.Swap("ExecStart=/usr/local/bin/relayd", "ExecStart="+bin+" -config "+cfgFile),
	})
}

// TestSystemdUnitVerify: systemd-analyze verify finds nothing to say
// about the unit (unknown keys, bad values, a missing executable), and
// its offline security review rates it OK or better.
func TestSystemdUnitVerify(t *testing.T) {
	analyze := toolPath(t, "systemd-analyze", "RELAYD_REQUIRE_SYSTEMD", "systemd")
	b := buildStage(t)
	dir := t.TempDir()
	path := filepath.Join(dir, "relayd.service")
	writeFile(t, path, unitFile(t, b.local("/src/bin/relayd"), "/etc/relayd/relayd.toml"))

	out, err := exec.Command(analyze, "verify", path).CombinedOutput()
	if err != nil || len(out) > 0 {
		t.Errorf("systemd-analyze verify: %v\n%s", err, out)
	}
	out, err = exec.Command(analyze, "security", "--offline=true", path).CombinedOutput()
	m := regexp.MustCompile(`Overall exposure level for relayd.service: ([0-9.]+) (\w+)`).FindSubmatch(out)
	if err != nil || m == nil {
		t.Fatalf("systemd-analyze security: %v\n%s", err, out)
	}
	if level := string(m[2]); level != "OK" && level != "SAFE" {
		t.Errorf("exposure %s %s, want OK or SAFE:\n%s", m[1], level, out)
	}
}

// TestSystemdUnitRuns runs the unit's commands as systemd would, as an
// unprivileged user when the test runs as root: ExecStart (the built
// relayd with deploy/relayd.toml, its addresses and paths swapped for the
// test's) must serve a client; ExecReload must make relayd reload; SIGTERM
// must end it with status 0 within TimeoutStopSec. Under strace (Debian
// package strace) it also checks the unit's SystemCallFilter and
// RestrictAddressFamilies against every system call and socket relayd
// made, and that relayd wrote only in its data dir (ProtectSystem=strict
// leaves nothing else writable).
func TestSystemdUnitRuns(t *testing.T) {
	u := parseUnit(t, deploytest.Read(t, "systemd/relayd.service"))
	b := buildStage(t)
	bin := b.local("/src/bin/relayd")
	plugins := b.local("/src/bin/plugins-default")
	openUp(t, b.root)

	// deploy/relayd.toml keeps its data where the unit lets relayd write.
	cfg, err := config.Load(deploytest.Path(t, "relayd.toml"))
	if err != nil {
		t.Fatal(err)
	}
	if want := "/var/lib/" + u.one(t, "StateDirectory"); cfg.DataDir != want && !slices.Contains(u["Service"]["ReadWritePaths"], cfg.DataDir) {
		t.Fatalf("deploy/relayd.toml data = %q: the unit lets relayd write in %s only", cfg.DataDir, want)
	}
	data := ownedDir(t, "state-", nobody, nobody)
	cfgFile := filepath.Join(ownedDir(t, "etc-", 0, 0), "relayd.toml")
	writeFile(t, cfgFile, deploytest.Apply(t, "deploy/relayd.toml", deploytest.Read(t, "relayd.toml"), []deploytest.Edit{
		deploytest.Swap("listen =", `listen = "127.0.0.1:0"`),
		deploytest.Swap("data =", "data = "+strconv.Quote(data)),
		deploytest.Swap("plugins =", "plugins = "+strconv.Quote(plugins)),
	}))
	os.Chmod(cfgFile, 0o644)

	argv := strings.Fields(execStart(t, unitFile(t, bin, cfgFile)))
	strace := tracer(t)
	trace := filepath.Join(data, "..", filepath.Base(data)+".strace")
	var cmd *exec.Cmd
	if strace != "" {
		args := []string{"-f", "-qq", "-o", trace}
		if os.Getuid() == 0 {
			args = append(args, "-u", "nobody")
		}
		cmd = exec.Command(strace, append(append(args, "--"), argv...)...)
	} else {
		cmd = exec.Command(argv[0], argv[1:]...)
		runAs(cmd, nobody, nobody)
	}
	cmd.Dir = data // WorkingDirectory
	p := startRelayd(t, cmd)
	addr := p.waitLog(t, `msg="relayd ready" addr=(\S+)`)
	pid := cmd.Process.Pid
	if strace != "" {
		pid = tracee(t, pid)
	}

	// A client publishes and reads back, so that the trace covers the
	// websocket and store paths.
	c := wsc.Dial(t, "ws://"+addr)
	key := wsc.NewKey()
	ev := key.Sign(t, 1, "hello from the systemd test", nostr.Now())
	if ok := c.Publish(ev); !ok.Accepted {
		t.Fatalf("publish: %v", ok)
	}
	if got := c.Req("s", nostr.Filter{IDs: []string{ev.ID}}); len(got) != 1 {
		t.Fatalf("REQ: got %d events, want 1", len(got))
	}

	reload := strings.Fields(strings.ReplaceAll(u.one(t, "ExecReload"), "$MAINPID", strconv.Itoa(pid)))
	if out, err := exec.Command(reload[0], reload[1:]...).CombinedOutput(); err != nil {
		t.Fatalf("ExecReload %v: %v\n%s", reload, err, out)
	}
	p.waitLog(t, `msg="reloading`)

	signal(t, pid, syscall.SIGTERM) // KillSignal's default
	stop, err := time.ParseDuration(u.one(t, "TimeoutStopSec") + "s")
	if err != nil {
		t.Fatal(err)
	}
	if code := p.wait(t, stop); code != 0 {
		t.Fatalf("relayd exited with %d on SIGTERM, want 0", code)
	}
	t.Run("syscalls", func(t *testing.T) {
		if strace == "" {
			t.Skip("strace not installed: the system call filter is not checked (RELAYD_REQUIRE_STRACE=1 makes this a failure)")
		}
		checkTrace(t, u, trace, data)
	})
}

// TestSystemdBadConfigExit: a config file relayd refuses ends it with a
// status the unit's RestartPreventExitStatus names, so that systemd does
// not restart it in a loop.
func TestSystemdBadConfigExit(t *testing.T) {
	u := parseUnit(t, deploytest.Read(t, "systemd/relayd.service"))
	bin := buildStage(t).local("/src/bin/relayd")
	bad := filepath.Join(t.TempDir(), "relayd.toml")
	writeFile(t, bad, deploytest.Read(t, "relayd.toml")+"\nno_such_key = 1\n")
	argv := strings.Fields(execStart(t, unitFile(t, bin, bad)))
	err := exec.Command(argv[0], argv[1:]...).Run()
	code := -1
	if ee, ok := err.(*exec.ExitError); ok {
		code = ee.ExitCode()
	}
	if !slices.Contains(strings.Fields(u.one(t, "RestartPreventExitStatus")), strconv.Itoa(code)) {
		t.Fatalf("relayd with a bad config exits with %d (%v), RestartPreventExitStatus=%s", code, err, u.one(t, "RestartPreventExitStatus"))
	}
}

// execStart returns the ExecStart command line of a unit file.
func execStart(t *testing.T, text string) string {
	t.Helper()
	return parseUnit(t, text).one(t, "ExecStart")
}

// tracer returns strace, or "" when it is not installed (a failure with
// RELAYD_REQUIRE_STRACE=1).
func tracer(t *testing.T) string {
	t.Helper()
	if p, err := exec.LookPath("strace"); err == nil {
		return p
	}
	if os.Getenv("RELAYD_REQUIRE_STRACE") == "1" {
		t.Fatal("strace not found and RELAYD_REQUIRE_STRACE=1: apt-get install strace")
	}
	return ""
}

// tracee returns the pid of strace's child.
func tracee(t *testing.T, pid int) int {
	t.Helper()
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/task/" + strconv.Itoa(pid) + "/children")
	if err != nil {
		t.Fatal(err)
	}
	f := strings.Fields(string(b))
	if len(f) != 1 {
		t.Fatalf("strace has children %q, want one", f)
	}
	child, _ := strconv.Atoi(f[0])
	return child
}

// toolPath returns the named binary, looked up in PATH. It skips the test
// if it is not installed (pkg is its Debian package), unless the
// environment variable require is 1 (as in CI).
func toolPath(t *testing.T, name, require, pkg string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if os.Getenv(require) == "1" {
		t.Fatalf("%s not found and %s=1: apt-get install %s", name, require, pkg)
	}
	t.Skipf("%s not found; apt-get install %s (%s=1 makes this a failure)", name, pkg, require)
	return ""
}

func writeFile(t *testing.T, path, text string) {
	t.Helper()
	if err := os.WriteFile(path, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
}

// scanLines calls fn for each line of the file at path.
func scanLines(t *testing.T, path string, fn func(string)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	s := bufio.NewScanner(f)
	s.Buffer(make([]byte, 1<<20), 1<<20)
	for s.Scan() {
		fn(s.Text())
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
}
