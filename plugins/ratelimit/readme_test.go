package main

import (
	"strconv"
	"testing"

	"github.com/relayd/relayd/internal/testing/plugintest"
	"github.com/relayd/relayd/sdk/sdktest"
)

// repeat returns n copies of s.
func repeat(n int, s step) []step {
	out := make([]step, n)
	for i := range out {
		out[i] = s
	}
	return out
}

func concat(parts ...[]step) []step {
	var out []step
	for _, p := range parts {
		out = append(out, p...)
	}
	return out
}

// TestRatelimitReadmeExamples plays a scenario against each toml example
// of README.md, in order, natively and then through the host's load check.
func TestRatelimitReadmeExamples(t *testing.T) {
	s := func(c func(*sdktest.Host) sdktest.Result, want string) []step { return []step{{0, c, want}} }
	scenarios := [][]step{
		concat(
			repeat(20, step{0, pre(alice, 1, pkA), ok}),
			s(pre(alice, 1, pkA), limited("events from your IP", "2", "20", "500ms")),
			s(pre(alice, 7, pkA), ok),
			repeat(25, step{0, pre(local, 1, pkA), ok}),
			repeat(30, step{0, post(bob, 1, pkB), ok}),
			s(post(alice, 1, pkB), limited("events from this pubkey", "1", "30", "1s")),
			repeat(30, step{0, post(local, 1, pkB), ok}),
			repeat(10, step{0, conn(bob), ok}),
			s(conn(bob), limited("new connections from your IP", "0.1666", "10", "6.003s")),
			repeat(12, step{0, conn(sdktest.Session{ID: 9, IP: "127.0.0.1"}), ok}),
		),
		concat(
			repeat(100, step{0, post(alice, 7, pkA), ok}),
			repeat(100, step{0, post(bob, 20001, pkB), ok}),
			s(post(alice, 29999, pkA), limited("events of this kind on this relay", "50", "200", "20ms")),
			s(post(alice, 1, pkA), ok),
			s(post(alice, 7, modHex), ok),
			repeat(50, step{0, req(alice), ok}),
			s(count(alice), limited("requests from your IP", "5", "50", "200ms")),
			s(req(authed(alice, modHex)), ok),
			s(req(bob), ok),
		),
		concat(
			repeat(50, step{0, pre(v6a, 1, pkA), ok}),
			s(pre(v6c, 1, pkA), limited("events from your IP", "5", "50", "200ms")),
			s(pre(sdktest.Session{ID: 8, IP: "2001:db8:1:100::1"}, 1, pkA), ok),
		),
	}
	examples := plugintest.ReadExamples(t, "README.md").Settings()
	if len(examples) != len(scenarios) {
		t.Fatalf("README.md has %d toml examples, the test has scenarios for %d", len(examples), len(scenarios))
	}
	for i, ex := range examples {
		t.Run("example"+strconv.Itoa(i+1), func(t *testing.T) { run(t, ex, scenarios[i]) })
	}
	t.Run("host", func(t *testing.T) { plugintest.Chain(t, pluginName, plugintest.Options{}, examples...) })
}
