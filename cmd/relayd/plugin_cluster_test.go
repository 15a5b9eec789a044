package main

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/relayd/relayd/host/cluster"
	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/internal/testing/natstest"
	"github.com/relayd/relayd/internal/testing/relaydtest"
)

// watPlugin copies the WAT guest src (host/wasmhost/testdata/wat) to
// dir/NAME.wasm and returns its path and sha256.
func watPlugin(t *testing.T, dir, name, src string) (string, string) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "host", "wasmhost", "testdata", "wat", src+".wasm"))
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(dir, name+".wasm")
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(b)
	return path, hex.EncodeToString(sum[:])
}

// TestPluginClusterUsage: push, rm and ls answer -h and bad usage like
// the other plugin commands.
func TestPluginClusterUsage(t *testing.T) {
	tests := []struct {
		args   []string
		code   int
		stderr string
	}{
		{[]string{"push", "-h"}, 0, "usage: relayd plugin push"},
		{[]string{"rm", "-h"}, 0, "usage: relayd plugin rm"},
		{[]string{"ls", "-h"}, 0, "usage: relayd plugin ls"},
		{[]string{"push"}, 2, "relayd plugin push: want NAME.wasm [NAME.toml]"},
		{[]string{"rm"}, 2, "relayd plugin rm: want one NAME"},
		{[]string{"ls", "x"}, 2, "relayd plugin ls: takes no arguments"},
		{[]string{"ls"}, 1, "want -nats URL, or -config FILE with a [cluster] table"},
		{[]string{"push", "-nope", "a.wasm"}, 2, "flag provided but not defined: -nope"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.args, " "), func(t *testing.T) {
			code, _, stderr := runPlugin("", tc.args...)
			if code != tc.code || !strings.Contains(stderr, tc.stderr) {
				t.Errorf("exit %d, want %d; stderr %q, want it to contain %q", code, tc.code, stderr, tc.stderr)
			}
		})
	}
	if _, stdout, _ := runPlugin("", "-h"); !strings.Contains(stdout, "push [-wait D]") || !strings.Contains(stdout, "ls [-json]") ||
		!strings.Contains(stdout, "rm [-wait D] NAME") {
		t.Errorf("relayd plugin -h does not list push, rm and ls:\n%s", stdout)
	}
}

// TestPluginPushCLI: relayd plugin push checks the plugin and refuses a
// broken one before it reaches the cluster; push -wait returns once every
// node runs it; ls shows each node running the same sha256; push -wait
// fails, saying why, when a node cannot run it (a local plugin of that
// name wins there); rm -wait unloads it everywhere.
func TestPluginPushCLI(t *testing.T) {
	ns := natstest.Start(t)
	local := t.TempDir()
	// b's local plugin "other", loaded before b is Ready.
	relaydtest.CopyPlugin(t, local, "other", filepath.Join("..", "..", "host", "wasmhost", "testdata", "wat", "v1.wasm"), "")
	var names []string
	for i, dir := range []string{"", local} {
		cfg := relaydtest.Default(dir)
		name := []string{"a", "b"}[i]
		cfg.Cluster = config.Cluster{NATSURL: ns.URL, Node: name}
		relaydtest.Start(t, cfg)
		names = append(names, name)
	}
	src := t.TempDir()
	nats := []string{"-nats", ns.URL}

	path, sum := watPlugin(t, src, "policy", "v1")
	code, stdout, stderr := runPlugin("", append([]string{"push", "-wait", "3m"}, append(nats, path)...)...)
	if code != 0 || !strings.Contains(stdout, "pushed policy sha256 "+sum) || strings.Count(stdout, ": done") != 2 {
		t.Fatalf("push: exit %d\nstdout %s\nstderr %s", code, stdout, stderr)
	}

	code, stdout, stderr = runPlugin("", append([]string{"ls"}, nats...)...)
	if code != 0 {
		t.Fatalf("ls: exit %d: %s", code, stderr)
	}
	rows := map[string]bool{}
	for _, line := range strings.Split(stdout, "\n") {
		rows[strings.Join(strings.Fields(line), " ")] = true
	}
	for _, row := range []string{"a policy " + sum[:12] + " pushed ok", "b policy " + sum[:12] + " pushed ok", "b other " + sum[:12] + " local ok"} {
		if !rows[row] {
			t.Errorf("ls does not show %q:\n%s", row, stdout)
		}
	}
	code, stdout, _ = runPlugin("", append([]string{"ls", "-json"}, nats...)...)
	var ls lsJSON
	if err := json.Unmarshal([]byte(stdout), &ls); code != 0 || err != nil {
		t.Fatalf("ls -json: exit %d, %v:\n%s", code, err, stdout)
	}
	if len(ls.Pushed) != 1 || ls.Pushed[0].SHA256 != sum || len(ls.Nodes) != 2 {
		t.Fatalf("ls -json: %+v", ls)
	}
	for _, n := range ls.Nodes {
		found := false
		for _, p := range n.Plugins {
			found = found || (p.Name == "policy" && p.SHA256 == sum && p.Source == "pushed")
		}
		if !found {
			t.Errorf("ls -json: node %s: %+v", n.Node, n.Plugins)
		}
	}

	// A plugin that would not load is refused before it reaches the
	// cluster: the store keeps v1.
	broken, _ := watPlugin(t, t.TempDir(), "policy", "initfail")
	code, _, stderr = runPlugin("", append([]string{"push"}, append(nats, broken)...)...)
	if code != 1 || !strings.Contains(stderr, "would not load") || !strings.Contains(stderr, "bad config") {
		t.Fatalf("broken push: exit %d, stderr %s", code, stderr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	conn, err := cluster.Connect(ctx, cluster.Options{Config: config.Cluster{NATSURL: ns.URL, Node: "test"}})
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if ps, err := conn.ListPlugins(ctx); err != nil || len(ps) != 1 || ps[0].SHA256 != sum {
		t.Fatalf("the object store after a refused push: %+v, %v", ps, err)
	}

	// b's local "other" wins over a pushed "other": -wait says so.
	other, _ := watPlugin(t, src, "other", "v2")
	code, _, stderr = runPlugin("", append([]string{"push", "-wait", "3m"}, append(nats, other)...)...)
	if code != 1 || !strings.Contains(stderr, "node b: failed to load") || !strings.Contains(stderr, "local wins") {
		t.Fatalf("push of a name b has locally: exit %d, stderr %s", code, stderr)
	}

	for _, name := range []string{"policy", "other"} {
		code, stdout, stderr = runPlugin("", append([]string{"rm", "-wait", "3m"}, append(nats, name)...)...)
		if code != 0 || strings.Count(stdout, ": done") != 2 {
			t.Fatalf("rm %s: exit %d\nstdout %s\nstderr %s", name, code, stdout, stderr)
		}
	}
	code, stdout, _ = runPlugin("", append([]string{"ls"}, nats...)...)
	if code != 0 || strings.Contains(stdout, "policy") || !strings.Contains(stdout, "(none)") {
		t.Fatalf("ls after rm: exit %d\n%s", code, stdout)
	}
	if code, _, stderr = runPlugin("", append([]string{"rm"}, append(nats, "policy")...)...); code != 1 || !strings.Contains(stderr, "plugin not pushed") {
		t.Fatalf("rm of a plugin not pushed: exit %d, %s", code, stderr)
	}
}
