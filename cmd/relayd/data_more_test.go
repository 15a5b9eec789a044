package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"
)

// TestDataHelp: relayd -h and help list every command, plugin included;
// each data command has -h with -data and -config; -version prints it.
func TestDataHelp(t *testing.T) {
	names := []string{"import", "export", "delete", "stats", "compact", "fsck", "sync", "plugin", "help"}
	for _, args := range [][]string{{"-h"}, {"help"}, {"--help"}} {
		code, out, _ := relaydRun(args...)
		for _, n := range names {
			if code != 0 || !regexp.MustCompile(`(?m)^  `+n+` `).MatchString(out) {
				t.Errorf("relayd %v: exit %d, %q not listed:\n%s", args, code, n, out)
			}
		}
	}
	if code, _, stderr := relaydRun("import", "-url", "ws://127.0.0.1:1", "-plugins", "x", "f"); code != 2 {
		t.Errorf("import -url -plugins: exit %d, want 2: %s", code, stderr)
	}
	if code, out, _ := relaydRun("-version"); code != 0 || out != "relayd "+version()+"\n" {
		t.Errorf("-version: exit %d %q", code, out)
	}
	for _, n := range names[:7] {
		for _, args := range [][]string{{n, "-h"}, {"help", n}} {
			code, _, stderr := relaydRun(args...)
			if code != 0 || !strings.HasPrefix(stderr, "usage: relayd "+n) || !strings.Contains(stderr, "-data") || !strings.Contains(stderr, "-config") {
				t.Errorf("relayd %v: exit %d:\n%s", args, code, stderr)
			}
		}
		if code, _, _ := relaydRun(n, "-no-such-flag"); code != 2 {
			t.Errorf("relayd %s -no-such-flag: exit %d, want 2", n, code)
		}
	}
}

// TestDataImportURL publishes the dump to a running relayd with pipelined
// EVENTs: the OKs, counted by outcome, match what a local import gives,
// and the relay ends up with the same events.
func TestDataImportURL(t *testing.T) {
	dir := t.TempDir()
	fx := standardFixture(t, dir)
	cfg := writeConfig(t, fixtureLimits)
	p := startRelayd(t, "-data", filepath.Join(dir, "data"), "-config", cfg)
	code, out, stderr := relaydRun("import", "-config", cfg, "-url", p.url, "-window", "64", fx.path)
	if code != 0 {
		t.Fatalf("import -url: exit %d\n%s\n%s", code, out, stderr)
	}
	t.Logf("import -url summary:\n%s", out)
	rows, reasons := summary(t, out)
	local := map[string]bool{"invalid: malformed JSON": true, "invalid: event must be an object": true,
		`invalid: missing field "sig"`: true, "invalid: line longer than 8192 bytes (max_message_bytes)": true}
	var notSent int64
	wantReasons := map[string]int64{
		"duplicate: a newer version of this event is stored": fx.counts["replaced"],
		"blocked: this event was deleted by its author":      fx.counts["deleted"],
		"invalid: event is expired":                          fx.counts["expired"],
	}
	for r, n := range fx.reasons {
		if local[r] {
			notSent += n
		}
		wantReasons[r] = n
	}
	want := map[string]int64{
		"read": fx.counts["read"], "invalid": notSent, "sent": fx.counts["read"] - notSent,
		"accepted": fx.counts["stored"] + fx.counts["ephemeral"], "duplicate": fx.counts["duplicate"],
		"refused":    fx.counts["replaced"] + fx.counts["deleted"] + fx.counts["expired"] + fx.counts["invalid"] - notSent,
		"unanswered": 0,
	}
	if !maps.Equal(rows, want) {
		t.Errorf("rows:\n got %v\nwant %v", rows, want)
	}
	if !maps.Equal(reasons, wantReasons) {
		t.Errorf("reasons:\n got %v\nwant %v", reasons, wantReasons)
	}
	if got := reportedLines(stderr); len(got) != int(notSent) {
		t.Errorf("%d bad lines reported, want %d", len(got), notSent)
	}
	sameIDs(t, "REQ after import -url", idsOf(t, reqAll(t, p.url)), fx.kept)
}

// TestDataImportPlugins: with -plugins, a real WASM policy sees each
// imported event with source Import, no session, a received_at and the
// file as strfry's sourceInfo, and refuses some; the summary counts them by
// policy and reason and the store has everything else.
func TestDataImportPlugins(t *testing.T) {
	dir := t.TempDir()
	g := newFixtureGen(t, 9, 5)
	g.notes(300)
	var likes, nines []fixtureItem
	for i := range 20 {
		likes = append(likes, fixtureItem{line: line(g.sign(i%5, 7, g.now-60, "+", nostr.Tag{"e", strings.Repeat("a", 64)})),
			outcome: "refused", reason: "importsrc: blocked: no reactions from imports"})
	}
	for i := range 5 {
		nines = append(nines, fixtureItem{line: line(g.sign(i%5, 9, g.now-60, fmt.Sprint("chat ", i))), outcome: "refused"})
	}
	g.add(likes...)
	g.add(nines...)
	fx := g.write(dir)
	plugins := filepath.Join(dir, "plugins")
	os.Mkdir(plugins, 0o755)
	wasm, err := os.ReadFile("../../host/wasmhost/testdata/wat/importsrc.wasm")
	if err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(plugins, "importsrc.wasm"), wasm, 0o644)
	data := filepath.Join(dir, "data")
	code, out, stderr := relaydRun("import", "-data", data, "-plugins", plugins, fx.path)
	if code != 0 {
		t.Fatalf("import -plugins: exit %d\n%s\n%s", code, out, stderr)
	}
	t.Logf("import -plugins summary:\n%s", out)
	rows, reasons := summary(t, out)
	if rows["read"] != 325 || rows["stored"] != 300 || rows["refused"] != 25 {
		t.Errorf("rows %v, want 325 read, 300 stored, 25 refused", rows)
	}
	if reasons["importsrc: blocked: no reactions from imports"] != 20 {
		t.Errorf("reasons %v, want 20 reactions refused", reasons)
	}
	tail := `"sourceType":"Import","sourceInfo":"` + fx.path + `"}`
	var seen int64
	for r, n := range reasons {
		if strings.HasPrefix(r, "importsrc: blocked: ") && strings.HasSuffix(r, tail) {
			seen += n
		}
	}
	if seen != 5 {
		t.Errorf("%d refusals carry %s, want 5: %v", seen, tail, reasons)
	}
	sameIDs(t, "export after import -plugins", idsOf(t, exportLines(t, "-data", data)), fx.kept)
}

// TestDataImportInterrupt: SIGINT during an import (its input still open)
// commits what was read and ends with a summary; the store is sound and
// holds exactly what the summary says was stored.
func TestDataImportInterrupt(t *testing.T) {
	dir := t.TempDir()
	g := newFixtureGen(t, 10, 4)
	g.notes(400)
	fx := g.write(dir)
	data := filepath.Join(dir, "data")
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	enc, _ := json.Marshal([]string{"import", "-data", data, "-progress", "20ms", "-"})
	cmd.Env = append(os.Environ(), "RELAYD_TEST_ARGS="+string(enc))
	in, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	cmd.Stdout = &out
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(errPipe)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	waitLine := func(re *regexp.Regexp) {
		t.Helper()
		deadline := time.After(60 * time.Second)
		for {
			select {
			case l, ok := <-lines:
				if !ok {
					t.Fatalf("import ended before %q", re)
				}
				if re.MatchString(l) {
					return
				}
			case <-deadline:
				t.Fatalf("no %q from the import", re)
			}
		}
	}
	waitLine(regexp.MustCompile(`^relayd import: importing - into`))
	const sent = 250
	b, _ := os.ReadFile(fx.path)
	all := strings.SplitAfter(string(b), "\n")
	io.WriteString(in, strings.Join(all[:sent], ""))
	waitLine(regexp.MustCompile(fmt.Sprintf(`^relayd import: %d events`, sent)))
	cmd.Process.Signal(syscall.SIGINT)
	err = cmd.Wait()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() != 130 {
		t.Fatalf("import after SIGINT: %v, want exit 130\n%s", err, out.String())
	}
	rows, _ := summary(t, out.String())
	if rows["read"] != sent || rows["stored"] != sent || !strings.Contains(out.String(), fmt.Sprintf("interrupted after line %d", sent)) {
		t.Errorf("summary after SIGINT:\n%s", out.String())
	}
	fsckClean(t, data)
	if got := exportLines(t, "-data", data); len(got) != sent {
		t.Errorf("%d events stored, the summary says %d", len(got), sent)
	}
}
