package wasmhost_test

import (
	"context"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost"
	"github.com/relayd/relayd/sdk/abi"
)

const filesTOML = `files = ["a.txt"]`

// fileAnswer calls the files guest (testdata/wat/files.wat), which answers
// with the contents of a.txt, or with "check N" (prefix invalid) if one of
// its get_file checks failed.
func fileAnswer(p policy.Policy) (string, error) {
	v, err := p.Event(ctx, event(1))
	if err != nil {
		return "", err
	}
	if v.Prefix != policy.PrefixBlocked {
		return "failed " + v.Message, nil
	}
	return v.Message, nil
}

// TestWasmFiles changes, breaks and unlists the file a plugin lists: each
// change of the file reloads the plugin, a broken file keeps the previous
// version, and only listed files can be read.
func TestWasmFiles(t *testing.T) {
	dir := t.TempDir()
	m, logs, err := newManager(t, wasmhost.Options{Dir: dir},
		guest{name: "files", wasm: "files", toml: filesTOML, files: map[string]string{"a.txt": "v1"}})
	if err != nil {
		t.Fatal(err)
	}
	write := func(body string) func() {
		return func() {
			if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte(body), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	phases := []struct {
		name    string
		do      func()
		wantErr []string // substrings of Reload's error; none: no error
		want    string   // the plugin's answer after the reload
		same    bool     // the plugin was not reloaded
	}{
		{"first load", func() {}, nil, "v1", true},
		{"unchanged file", func() { os.WriteFile(filepath.Join(dir, "other.txt"), []byte("x"), 0o644) }, nil, "v1", true},
		{"file written in place", write("v2"), nil, "v2", false},
		{"file renamed over", func() { writeAtomic(t, filepath.Join(dir, "a.txt"), []byte("v3")) }, nil, "v3", false},
		{"file removed", func() { os.Remove(filepath.Join(dir, "a.txt")) },
			[]string{"plugin[files]", `file "a.txt"`, "no such file"}, "v3", true},
		{"file back", write("v4"), nil, "v4", false},
		{"file over the limit", write(strings.Repeat("x", abi.MaxFileLen+1)),
			[]string{"plugin[files]", `file "a.txt"`, "over 8388608 bytes"}, "v4", true},
		{"empty file", write(""), nil, "", false},
		{"file replaced by a directory", func() {
			os.Remove(filepath.Join(dir, "a.txt"))
			os.Mkdir(filepath.Join(dir, "a.txt"), 0o755)
		}, []string{"plugin[files]", `file "a.txt"`, "not a regular file"}, "", true},
		{"file unlisted", func() {
			os.Remove(filepath.Join(dir, "a.txt"))
			write("v5")()
			writeAtomic(t, filepath.Join(dir, "files.toml"), []byte("order = 1"))
		}, nil, "failed check 2", false},
	}
	for _, ph := range phases {
		before := plugin(t, m, "files")
		ph.do()
		err := m.Reload(ctx)
		switch {
		case len(ph.wantErr) == 0 && err != nil:
			t.Fatalf("%s: Reload: %v", ph.name, err)
		case len(ph.wantErr) > 0 && err == nil:
			t.Fatalf("%s: Reload: got nil error, want %q", ph.name, ph.wantErr)
		}
		for _, w := range ph.wantErr {
			if !strings.Contains(err.Error(), w) {
				t.Errorf("%s: error %q lacks %q", ph.name, err, w)
			}
		}
		p := plugin(t, m, "files")
		if got, err := fileAnswer(p); err != nil || got != ph.want {
			t.Fatalf("%s: got %.40q, %v, want %q", ph.name, got, err, ph.want)
		}
		if (p == before) != ph.same {
			t.Errorf("%s: plugin reloaded: got %v, want %v", ph.name, p != before, !ph.same)
		}
	}
	if !strings.Contains(logs.String(), `msg="wasm plugin failed to load" plugin=files`) {
		t.Errorf("the failed loads were not logged with the plugin's name:\n%s", logs)
	}
}

// TestWasmFilesSettings: a "files" setting the relay refuses fails the
// load, naming the plugin and the file, and reads nothing outside the
// plugin directory.
func TestWasmFilesSettings(t *testing.T) {
	many := make([]string, 17)
	for i := range many {
		many[i] = `"f` + string(rune('a'+i)) + `.txt"`
	}
	tests := []struct {
		name, toml string
		want       string // substring of the error; "" for none
	}{
		{"missing file", `files = ["nope.txt"]`, `file "nope.txt": open `},
		{"path", `files = ["sub/a.txt"]`, `files: "sub/a.txt": want the plain name of a file in the plugin directory`},
		{"parent", `files = [".."]`, `files: "..": want the plain name`},
		{"outside", `files = ["../secret.txt"]`, `files: "../secret.txt": want the plain name`},
		{"backslash", `files = ["a\\b.txt"]`, `want the plain name`},
		{"empty name", `files = [""]`, `files: "": want the plain name`},
		{"a plugin", `files = ["good.wasm"]`, `files: "good.wasm": plugins and their settings cannot be listed`},
		{"settings", `files = ["good.toml"]`, `plugins and their settings cannot be listed`},
		{"twice", `files = ["a.txt", "a.txt"]`, `files: "a.txt" listed twice`},
		{"too many", `files = [` + strings.Join(many, ", ") + `]`, "files: 17 listed, at most 16"},
		{"disabled plugin", "enabled = false\nfiles = [\"nope.txt\"]", ""},
		{"listed but unused", `files = ["a.txt"]`, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			parent := t.TempDir()
			dir := filepath.Join(parent, "plugins")
			os.Mkdir(dir, 0o755)
			os.WriteFile(filepath.Join(parent, "secret.txt"), []byte("secret"), 0o644)
			m, _, err := newManager(t, wasmhost.Options{Dir: dir}, guest{name: "good", wasm: "accept"},
				guest{name: "bad", wasm: "accept", toml: tc.toml, files: map[string]string{"a.txt": "a"}})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), "plugin[bad]") {
				t.Fatalf("Load: got %v, want an error of plugin[bad] with %q", err, tc.want)
			}
			if es := m.Holder().Load().Entries(); len(es) != 1 || es[0].Policy.Name() != "good" {
				t.Errorf("chain: got %d entries, want only good", len(es))
			}
		})
	}
}

// TestWasmWatchFiles: Run reloads a plugin when a file it lists is written
// in place, renamed over, removed (the load fails and the previous version
// stays) and created again.
func TestWasmWatchFiles(t *testing.T) {
	dir := t.TempDir()
	m, logs, err := newManager(t, wasmhost.Options{Dir: dir, Debounce: 20 * time.Millisecond},
		guest{name: "files", wasm: "files", toml: filesTOML, files: map[string]string{"a.txt": "w1"}})
	if err != nil {
		t.Fatal(err)
	}
	runCtx, cancel := context.WithCancel(ctx)
	done := make(chan error)
	go func() { done <- m.Run(runCtx) }()
	defer func() { cancel(); <-done }()
	path := filepath.Join(dir, "a.txt")
	// waitFor polls until cond holds. Until the watcher is set up a write
	// may go unseen, so each round does the change again (every change
	// below can be repeated).
	waitFor := func(what string, change func(), cond func() bool) {
		t.Helper()
		deadline := time.Now().Add(10 * time.Second)
		for i := 0; !cond(); i++ {
			if time.Now().After(deadline) {
				t.Fatalf("%s: never seen\n%s", what, logs)
			}
			if i%20 == 0 {
				change()
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	answers := func(want string) func() bool {
		return func() bool {
			got, err := fileAnswer(plugin(t, m, "files"))
			return err == nil && got == want
		}
	}
	waitFor("write in place", func() { os.WriteFile(path, []byte("w2"), 0o644) }, answers("w2"))
	waitFor("rename over", func() { writeAtomic(t, path, []byte("w3")) }, answers("w3"))
	waitFor("remove", func() { os.Remove(path) }, func() bool {
		l := logs.String()
		return strings.Contains(l, `msg="wasm plugin failed to load" plugin=files`) && strings.Contains(l, "a.txt: no such file")
	})
	if got, err := fileAnswer(plugin(t, m, "files")); err != nil || got != "w3" {
		t.Errorf("after the file was removed: got %q, %v, want the previous version (w3)", got, err)
	}
	waitFor("create", func() { os.WriteFile(path, []byte("w4"), 0o644) }, answers("w4"))
}

// TestWasmCheckFiles: Check reports the listed files it read and the
// problems of the others.
func TestWasmCheckFiles(t *testing.T) {
	dir := t.TempDir()
	install(t, dir, guest{name: "files", wasm: "files", toml: filesTOML, files: map[string]string{"a.txt": "abc"}})
	install(t, dir, guest{name: "missing", wasm: "files", toml: `files = ["a.txt", "b.txt"]`})
	tests := []struct {
		name    string
		file    string
		ok      bool
		files   string
		problem string
	}{
		{"files read", "files.wasm", true, "a.txt 3 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", ""},
		{"file missing", "missing.wasm", false, "a.txt 3 ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad",
			`file "b.txt": open ` + filepath.Join(dir, "b.txt")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r, err := wasmhost.Check(ctx, filepath.Join(dir, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			var files []string
			for _, f := range r.Files {
				files = append(files, f.Name+" "+strconv.Itoa(f.Size)+" "+f.SHA256)
			}
			if r.OK() != tc.ok || strings.Join(files, ",") != tc.files {
				t.Errorf("got ok=%v files=%q problems=%q, want ok=%v files=%q", r.OK(), files, r.Problems, tc.ok, tc.files)
			}
			if tc.problem != "" && (len(r.Problems) != 1 || !strings.Contains(r.Problems[0], tc.problem)) {
				t.Errorf("problems: got %q, want one with %q", r.Problems, tc.problem)
			}
			if tc.ok && strings.Join(r.Hooks, ",") != "event" {
				t.Errorf("hooks: got %v, want event", r.Hooks)
			}
		})
	}
}
