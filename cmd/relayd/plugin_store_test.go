package main

import (
	"bufio"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestPluginTestDurableState: `plugin test` and `plugin bench` give the
// plugin durable state through the relay's own host path, so the strikes
// example counts strikes and bans: a new store per run without -data (a
// run's verdicts depend on its fixtures alone), one store kept between
// runs with -data DIR, and bench's calls count too.
func TestPluginTestDurableState(t *testing.T) {
	const dir = "../../examples/policies/strikes"
	wasm := buildExample(t, dir, "strikes")
	settings := filepath.Join(dir, "strikes.toml")
	// Three blocked notes and a clean one by one author (79be…), in two runs.
	ev := fixtureLines(t, filepath.Join(dir, "fixtures.jsonl"))
	const strike1, strike2, strike3, clean = "4b9c212a", "2bfab27a", "c5cf9d30", "561428ab"
	tmp := t.TempDir()
	first := writeFile(t, filepath.Join(tmp, "first.jsonl"), ev[strike1]+"\n"+ev[strike2]+"\n")
	second := writeFile(t, filepath.Join(tmp, "second.jsonl"), ev[strike3]+"\n"+ev[clean]+"\n")
	data := filepath.Join(tmp, "data")
	tests := []struct {
		name   string
		flags  []string
		second []string // the verdicts of the second run
	}{
		{"new store per run", nil, []string{"reject blocked: strike 1 of 3: content contains a blocked word", "accept"}},
		{"-data keeps it", []string{"-data", data}, []string{"reject blocked: banned after 3 strikes", "reject blocked: banned after 3 strikes"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runVerdicts(t, wasm, settings, tt.flags, first, []string{
				"reject blocked: strike 1 of 3: content contains a blocked word",
				"reject blocked: strike 2 of 3: content contains a blocked word",
			})
			runVerdicts(t, wasm, settings, tt.flags, second, tt.second)
		})
	}
	t.Run("bench", func(t *testing.T) {
		benchData := filepath.Join(tmp, "bench")
		code, out, stderr := runPlugin("", "bench", "-config", settings, "-time", "1ms", "-data", benchData, wasm, first)
		if code != 0 {
			t.Fatalf("bench: exit %d\n%s%s", code, out, stderr)
		}
		// Bench called the event hook with the blocked notes over and over:
		// the author is banned in the store it kept.
		runVerdicts(t, wasm, settings, []string{"-data", benchData}, writeFile(t, filepath.Join(tmp, "clean.jsonl"), ev[clean]+"\n"),
			[]string{"reject blocked: banned after 3 strikes"})
	})
}

// runVerdicts runs `plugin test` on fixtures and checks the verdict of
// each line.
func runVerdicts(t *testing.T, wasm, settings string, flags []string, fixtures string, want []string) {
	t.Helper()
	args := append(append([]string{"test", "-config", settings}, flags...), wasm, fixtures)
	code, out, stderr := runPlugin("", args...)
	if code != 0 {
		t.Fatalf("plugin %s: exit %d\n%s%s", strings.Join(args, " "), code, out, stderr)
	}
	var got []string
	for _, l := range splitLines(out) {
		_, v, _ := strings.Cut(l, " ")
		got = append(got, v)
	}
	if strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("plugin %s:\n got %q\nwant %q", strings.Join(args, " "), got, want)
	}
}

// fixtureLines returns the event lines of a fixtures file by the first 8
// characters of their id.
func fixtureLines(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	lines := map[string]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if _, rest, ok := strings.Cut(sc.Text(), `"id":"`); ok && len(rest) >= 8 {
			lines[rest[:8]] = sc.Text()
		}
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return lines
}
