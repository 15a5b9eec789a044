package deploy_test

import (
	"os/exec"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

// syscallGroups returns systemd's system call groups (@system-service
// and the rest) as systemd-analyze syscall-filter lists them: group ->
// members, which may be groups.
func syscallGroups(t *testing.T) map[string][]string {
	t.Helper()
	analyze := toolPath(t, "systemd-analyze", "RELAYD_REQUIRE_SYSTEMD", "systemd")
	out, err := exec.Command(analyze, "syscall-filter").Output()
	if err != nil {
		t.Fatalf("systemd-analyze syscall-filter: %v", err)
	}
	groups, cur := map[string][]string{}, ""
	for _, l := range strings.Split(string(out), "\n") {
		switch {
		case strings.HasPrefix(l, "@"):
			cur = strings.TrimSpace(l)
		case strings.HasPrefix(l, "    ") && !strings.HasPrefix(strings.TrimSpace(l), "#") && cur != "":
			groups[cur] = append(groups[cur], strings.TrimSpace(l))
		}
	}
	if len(groups["@system-service"]) == 0 {
		t.Fatalf("systemd-analyze syscall-filter lists no @system-service:\n%s", out)
	}
	return groups
}

// expand returns the system calls name stands for.
func expand(groups map[string][]string, name string, into map[string]bool) {
	if !strings.HasPrefix(name, "@") {
		into[name] = true
		return
	}
	for _, m := range groups[name] {
		expand(groups, m, into)
	}
}

// allowed says which system calls the unit's SystemCallFilter lines let
// through, as systemd reads them: the first line sets an allow list (or,
// with ~, a deny list), later lines add to it or (with ~) take away.
func allowed(t *testing.T, groups map[string][]string, filters []string) func(string) bool {
	t.Helper()
	if len(filters) == 0 {
		return func(string) bool { return true }
	}
	allow, deny := map[string]bool{}, map[string]bool{}
	denyList := strings.HasPrefix(filters[0], "~")
	for _, f := range filters {
		neg := strings.HasPrefix(f, "~")
		for _, name := range strings.Fields(strings.TrimPrefix(f, "~")) {
			members := map[string]bool{}
			expand(groups, name, members)
			if len(members) == 0 {
				t.Fatalf("SystemCallFilter: %s is empty here", name)
			}
			for m := range members {
				if neg {
					deny[m] = true
					delete(allow, m)
				} else {
					allow[m] = true
					delete(deny, m)
				}
			}
		}
	}
	return func(sc string) bool {
		if denyList {
			return !deny[sc]
		}
		return allow[sc]
	}
}

var (
	traceCall   = regexp.MustCompile(`^\d+\s+([a-z0-9_]+)\((.*)`)
	traceSocket = regexp.MustCompile(`^socket\((AF_[A-Z0-9]+)`)
	tracePath   = regexp.MustCompile(`AT_FDCWD, "((?:[^"\\]|\\.)*)"`)
)

// writers are the system calls that change the file system at the paths
// they name (openat only with a flag that writes).
var writers = map[string]bool{
	"openat": true, "mkdirat": true, "renameat": true, "renameat2": true, "unlinkat": true,
	"linkat": true, "symlinkat": true, "fchmodat": true, "fchownat": true, "utimensat": true,
}

// checkTrace reads strace's log of relayd and checks that every system
// call it made passes the unit's SystemCallFilter, that it opened only
// the socket families of RestrictAddressFamilies, and that it changed no
// file outside data (its working directory).
func checkTrace(t *testing.T, u unit, trace, data string) {
	t.Helper()
	pass := allowed(t, syscallGroups(t), u["Service"]["SystemCallFilter"])
	families := map[string]bool{}
	for _, v := range u["Service"]["RestrictAddressFamilies"] {
		for _, f := range strings.Fields(v) {
			families[f] = true
		}
	}
	denied, badFamilies, outside := map[string]int{}, map[string]int{}, map[string]int{}
	calls := 0
	scanLines(t, trace, func(l string) {
		m := traceCall.FindStringSubmatch(l)
		if m == nil {
			return // "<... resumed>", signals, exit
		}
		calls++
		name, rest := m[1], m[2]
		if !pass(name) {
			denied[name]++
		}
		if f := traceSocket.FindStringSubmatch(name + "(" + rest); f != nil && len(families) > 0 && !families[f[1]] {
			badFamilies[f[1]]++
		}
		if !writers[name] || (name == "openat" && !regexp.MustCompile(`O_WRONLY|O_RDWR|O_CREAT|O_TRUNC`).MatchString(rest)) {
			return
		}
		for _, p := range tracePath.FindAllStringSubmatch(rest, -1) {
			path := p[1]
			if !filepath.IsAbs(path) {
				path = filepath.Join(data, path)
			}
			if rel, err := filepath.Rel(data, filepath.Clean(path)); err != nil || strings.HasPrefix(rel, "..") {
				outside[name+" "+path]++
			}
		}
	})
	if calls < 1000 {
		t.Fatalf("only %d system calls in %s: is strace's log complete?", calls, trace)
	}
	for what, m := range map[string]map[string]int{
		"system calls SystemCallFilter refuses":              denied,
		"socket families RestrictAddressFamilies refuses":    badFamilies,
		"writes outside the data dir (ProtectSystem=strict)": outside,
	} {
		if len(m) > 0 {
			var keys []string
			for k, n := range m {
				keys = append(keys, k+" ×"+strconv.Itoa(n))
			}
			sort.Strings(keys)
			t.Errorf("%s: %s", what, strings.Join(keys, ", "))
		}
	}
}
