package deploy_test

import (
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/relayd/relayd/internal/testing/deploytest"
)

// TestDeployDoc keeps docs/deploy.md true to the repository: each file it
// shows after a <!-- deploy/PATH --> marker is that file, whole; every
// file of deploy/ is shown; every test and benchmark it names exists; and
// every relayd command line it gives (in sh blocks and code spans) uses a
// command and flags relayd has.
func TestDeployDoc(t *testing.T) {
	root := deploytest.Root(t)
	doc := readRepo(t, "docs/deploy.md")

	t.Run("files shown whole", func(t *testing.T) {
		shown := map[string]bool{}
		for _, m := range regexp.MustCompile("(?s)<!-- (deploy/\\S+) -->\n```\\w*\n(.*?)```\n").FindAllStringSubmatch(doc, -1) {
			shown[m[1]] = true
			if want := readRepo(t, m[1]); m[2] != want {
				t.Errorf("docs/deploy.md shows %s other than it is: change both", m[1])
			}
		}
		err := filepath.WalkDir(filepath.Join(root, "deploy"), func(p string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			rel, _ := filepath.Rel(root, p)
			if !shown[filepath.ToSlash(rel)] {
				t.Errorf("%s is not shown in docs/deploy.md", rel)
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
	})

	t.Run("tests named exist", func(t *testing.T) {
		have := testNames(t, root)
		for _, name := range regexp.MustCompile(`\b(?:Test|Benchmark)[A-Z]\w*`).FindAllString(doc, -1) {
			if !have[name] {
				t.Errorf("docs/deploy.md names %s, which no _test.go file defines", name)
			}
		}
	})

	t.Run("relayd command lines", func(t *testing.T) {
		bin := buildStage(t).local("/src/bin/relayd")
		lines := commandLines(doc)
		if len(lines) < 5 {
			t.Fatalf("found %d relayd command lines in docs/deploy.md: is the scan broken?", len(lines))
		}
		for _, args := range lines {
			checkCommand(t, bin, args)
		}
	})
}

// testNames are the Test and Benchmark functions of the repository's
// _test.go files.
func testNames(t *testing.T, root string) map[string]bool {
	t.Helper()
	names := map[string]bool{}
	re := regexp.MustCompile(`(?m)^func ((?:Test|Benchmark)\w+)\(`)
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || !strings.HasSuffix(p, "_test.go") {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range re.FindAllSubmatch(b, -1) {
			names[string(m[1])] = true
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return names
}

// commandLines returns the relayd invocations in the doc's sh blocks and
// code spans: the arguments after relayd, up to the end of the shell
// command.
func commandLines(doc string) [][]string {
	var texts []string
	for _, m := range regexp.MustCompile("(?s)```sh\n(.*?)```").FindAllStringSubmatch(doc, -1) {
		texts = append(texts, strings.Split(m[1], "\n")...)
	}
	prose := regexp.MustCompile("(?s)```.*?```").ReplaceAllString(doc, "")
	for i, span := range strings.Split(prose, "`") {
		if i%2 == 1 {
			texts = append(texts, span)
		}
	}
	var out [][]string
	for _, text := range texts {
		tokens := strings.Fields(text)
		for i, tok := range tokens {
			if tok != "relayd" && !strings.HasSuffix(tok, "bin/relayd") {
				continue
			}
			if i > 0 && (tokens[i-1] == "-u" || slices.Contains([]string{"stop", "start", "restart", "reload", "status"}, tokens[i-1])) {
				continue // a user or a unit name
			}
			var args []string
			for _, a := range tokens[i+1:] {
				if slices.Contains([]string{"&&", ";", "|", ">", "<", "2>"}, a) || strings.HasSuffix(a, ";") {
					break
				}
				args = append(args, a)
			}
			if len(args) > 0 {
				out = append(out, args)
			}
		}
	}
	return out
}

// checkCommand checks that args (what follows relayd) name a relayd
// command, or the relay itself, and flags it has. An argument that is
// neither a command nor a flag means the word relayd was a file name.
func checkCommand(t *testing.T, bin string, args []string) {
	t.Helper()
	var help []byte
	var flags []string
	switch {
	case strings.HasPrefix(args[0], "-"):
		// The relay's flags: a flag it does not know makes it print them all.
		help, _ = exec.Command(bin, "-no-such-flag").CombinedOutput()
		flags = args
	default:
		out, err := exec.Command(bin, args[0], "-h").CombinedOutput()
		if err != nil || !strings.Contains(string(out), "usage: relayd "+args[0]) {
			if regexp.MustCompile(`^[a-z]+$`).MatchString(args[0]) {
				t.Errorf("relayd %s: not a relayd command (%v)", strings.Join(args, " "), err)
			}
			return
		}
		help, flags = out, args[1:]
	}
	for _, a := range flags {
		if !strings.HasPrefix(a, "-") || a == "-" {
			continue
		}
		name, _, _ := strings.Cut(strings.TrimLeft(a, "-"), "=")
		if !regexp.MustCompile(`(?m)^\s+-` + regexp.QuoteMeta(name) + `\b`).Match(help) {
			t.Errorf("relayd %s: no flag -%s", strings.Join(args, " "), name)
		}
	}
}
