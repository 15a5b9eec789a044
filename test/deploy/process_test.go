package deploy_test

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// nobody is the uid the unit's commands run as when the test runs as
// root (the unit's relayd user does not exist here); the image's run
// uses the Dockerfile's USER.
const nobody = 65534

// relaydProc is a relayd binary the test started, as a deployment
// starts it.
type relaydProc struct {
	cmd    *exec.Cmd
	logs   *lockedBuffer
	exited chan struct{}
	err    error // cmd.Wait's, once exited is closed
}

// startRelayd starts cmd (relayd, or a tracer running it) and returns at
// once. It is killed when the test ends; its output is shown if the test
// failed.
func startRelayd(t *testing.T, cmd *exec.Cmd) *relaydProc {
	t.Helper()
	p := &relaydProc{cmd: cmd, logs: &lockedBuffer{}, exited: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %v: %v", cmd.Args, err)
	}
	go func() {
		p.err = cmd.Wait()
		close(p.exited)
	}()
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("%v\noutput:\n%s", cmd.Args, p.logs.String())
		}
	})
	return p
}

// waitLog waits until relayd's output matches re and returns the match's
// first group (or the match). It fails if relayd exits first. relayd's
// log lines are its readiness signals ("relayd listening", "relayd
// ready").
func (p *relaydProc) waitLog(t *testing.T, re string) string {
	t.Helper()
	rx := regexp.MustCompile(re)
	deadline := time.Now().Add(3 * time.Minute)
	for {
		if m := rx.FindStringSubmatch(p.logs.String()); m != nil {
			return m[len(m)-1]
		}
		select {
		case <-p.exited:
			t.Fatalf("relayd exited (%v) before its log matched %q", p.err, re)
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("relayd's log never matched %q", re)
		}
	}
}

// signal sends sig to pid.
func signal(t *testing.T, pid int, sig syscall.Signal) {
	t.Helper()
	if err := syscall.Kill(pid, sig); err != nil {
		t.Fatalf("kill -%v %d: %v", sig, pid, err)
	}
}

// wait waits for the process to exit, at most d (what systemd or Docker
// allow before SIGKILL), and returns its exit code.
func (p *relaydProc) wait(t *testing.T, d time.Duration) int {
	t.Helper()
	select {
	case <-p.exited:
	case <-time.After(d):
		t.Fatalf("relayd still running %v after SIGTERM: the service manager would SIGKILL it", d)
	}
	var ee *exec.ExitError
	if errors.As(p.err, &ee) {
		return ee.ExitCode()
	}
	if p.err != nil {
		t.Fatal(p.err)
	}
	return 0
}

// runAs makes cmd run as uid:gid when the test runs as root (the
// deployments never run relayd as root), and says whether it does.
func runAs(cmd *exec.Cmd, uid, gid int) bool {
	if os.Getuid() != 0 {
		return false
	}
	cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: uint32(uid), Gid: uint32(gid), NoSetGroups: true}}
	return true
}

// openUp makes dir and the directories above it up to tmpRoot
// traversable and its files readable by every user, so that relayd run
// as another user can reach the binary and plugins the test built.
func openUp(t *testing.T, dir string) {
	t.Helper()
	err := filepath.Walk(dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		mode := info.Mode().Perm() | 0o444
		if info.IsDir() || mode&0o100 != 0 {
			mode |= 0o111
		}
		return os.Chmod(p, mode)
	})
	if err != nil {
		t.Fatal(err)
	}
	for d := filepath.Dir(dir); strings.HasPrefix(d, tmpRoot); d = filepath.Dir(d) {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
}

// ownedDir makes an empty directory in tmpRoot owned by uid:gid (when
// root) that every user may read, for relayd's data or config.
func ownedDir(t *testing.T, name string, uid, gid int) string {
	t.Helper()
	dir, err := os.MkdirTemp(tmpRoot, name)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if os.Getuid() == 0 {
		if err := os.Chown(dir, uid, gid); err != nil {
			t.Fatal(err)
		}
	}
	for _, d := range []string{dir, tmpRoot} {
		if err := os.Chmod(d, 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
