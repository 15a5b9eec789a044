// Package assemblyscript tests the AssemblyScript SDK (sdk/assemblyscript)
// through the real host where the conformance kit (sdk/tck) does not
// reach: values larger than its read buffers, its JSON reader, views used
// after their call, and its abort replacement; and (newabi_test.go) its
// management methods, store_query and tick on a real badger store.
package assemblyscript

import (
	"bytes"
	"context"
	"log/slog"
	"net/netip"
	"strings"
	"sync"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wasmhost"
	"github.com/relayd/relayd/internal/testing/asbuild"
	"github.com/relayd/relayd/internal/testing/relaydtest"
)

// logBuffer is a slog destination the test reads.
type logBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *logBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *logBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// load builds testdata/sdkcheck and loads it with a pool of one; the
// relay's log goes to the returned buffer.
func load(t *testing.T) (policy.Policy, *logBuffer) {
	t.Helper()
	dir := t.TempDir()
	relaydtest.CopyPlugin(t, dir, "sdkcheck", asbuild.Build(t, "testdata/sdkcheck"), "pool = 1\non_error = \"open\"\n")
	logs := &logBuffer{}
	m, err := wasmhost.NewManager(wasmhost.Options{Dir: dir, Logger: slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { m.Close() })
	if err := m.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	return m.Holder().Load().Entries()[0].Policy, logs
}

// call runs the event hook with cmd in a "cmd" tag and content.
func call(p policy.Policy, cmd, content string, kind int) (policy.Verdict, error) {
	s := &policy.Session{ID: 1, IP: netip.MustParseAddr("203.0.113.7")}
	ev := &nostr.Event{ID: strings.Repeat("e", 64), PubKey: strings.Repeat("a", 64), CreatedAt: 1700000000,
		Kind: kind, Tags: nostr.Tags{{"cmd", cmd}}, Content: content, Sig: strings.Repeat("f", 128)}
	raw, _ := ev.MarshalJSON()
	return p.Event(context.Background(), &policy.EventInput{Session: s, Event: ev, Raw: raw, ReceivedAt: 1700000001, Source: s.Source()})
}

// TestReadSizes: values shorter than, just past, and far past the SDK's
// 2 KiB read buffer and its 64 KiB kept-buffer limit arrive whole, in
// UTF-8 with multi-byte characters, and each call reads its own.
func TestReadSizes(t *testing.T) {
	p, _ := load(t)
	tests := []struct {
		name    string
		content string
	}{
		{"short", "gm nostr"},
		{"buffer size", strings.Repeat("x", 2048)},
		{"one past the buffer", strings.Repeat("y", 2049)},
		{"multi-byte past the buffer", strings.Repeat("é", 1500)},
		{"past the kept limit", "start..." + strings.Repeat("z", 100_000) + "...end.."},
		{"short after a long one", "again gm"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := call(p, "len", tc.content, 1)
			if err != nil {
				t.Fatal(err)
			}
			r := []rune(tc.content)
			want := strings.Join([]string{itoa(len(tc.content)), string(r[:min(8, len(r))]), string(r[max(0, len(r)-8):])}, " ")
			if v.Action != policy.Reject || v.Message != want {
				t.Errorf("got %v %q, want %q", v.Action, v.Message, want)
			}
		})
	}
}

func itoa(n int) string {
	var b []byte
	for n >= 10 {
		b = append([]byte{byte('0' + n%10)}, b...)
		n /= 10
	}
	return string(append([]byte{byte('0' + n)}, b...))
}

// TestJSON: the SDK's JSON reader (parseJSON) against what a config or a
// filter can hold, and its refusals.
func TestJSON(t *testing.T) {
	p, _ := load(t)
	tests := []struct {
		in, want string
	}{
		{`{"kinds": [0, 1, 3, 7], "words": ["casino", "free money"]}`, `{"kinds":[0,1,3,7],"words":["casino","free money"]}`},
		{` [true, false, null, -1.5, 1e3, 0] `, `[true,false,null,-1.5,1000,0]`},
		{`"tab\tquote\" back\\ slash\/ \u00e9 \ud83c\udfb0 nul\u0000"`, `"tab\tquote\" back\\ slash/ é 🎰 nul\u0000"`},
		{`{"a":{"b":{"c":[[]]}}}`, `{"a":{"b":{"c":[[]]}}}`},
		{`{"dup":1,"dup":2}`, `{"dup":1,"dup":2}`},
		{`{"a":1,}`, `error: json: want a string key at offset 7`},
		{`[1 2]`, `error: json: want ',' or ']' at offset 3`},
		{`"open`, `error: json: unterminated string at offset 5`},
		{`{"a":1} x`, `error: json: data after the value at offset 8`},
		{`"\x"`, `error: json: bad escape at offset 3`},
		{`"\u12"`, `error: json: short \u escape at offset 3`},
		{`"\u12zz"`, `error: json: bad \u escape at offset 3`},
		{strings.Repeat("[", 70) + strings.Repeat("]", 70), `error: json: nested too deep at offset 65`},
		{`nope`, `error: json: unexpected character at offset 0`},
		{``, `error: json: unexpected end at offset 0`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			v, err := call(p, "json", tc.in, 1)
			if err != nil {
				t.Fatal(err)
			}
			if v.Message != tc.want {
				t.Errorf("got %q, want %q", v.Message, tc.want)
			}
		})
	}
}

// TestViewExpires: an Event kept in a global past its call reads nothing
// of a later call: its Get forms give ErrExpired (-1000) and its plain
// accessors abort, a plugin error the relay logs with the SDK's message.
func TestViewExpires(t *testing.T) {
	p, logs := load(t)
	if v, err := call(p, "keep", "secret of call one", 1); err != nil || v.Action != policy.Accept {
		t.Fatalf("keep: %v, %v", v, err)
	}
	if v, err := call(p, "reuse-get", "content of call two", 1); err != nil || v.Message != "-1000" {
		t.Fatalf("reuse-get: %v %q, %v; want -1000 (ErrExpired)", v.Action, v.Message, err)
	}
	_, err := call(p, "reuse", "content of call three", 1)
	if err == nil {
		t.Fatal("reuse: no plugin error")
	}
	if want := "abort: sdk: view used after its call (copy what you need during the call)"; !strings.Contains(logs.String(), want) {
		t.Errorf("log has no %q:\n%s", want, logs.String())
	}
}

// TestAbort: a thrown error and an index out of range are plugin errors,
// and the relay's log has the message and where, through relayd_v1.log
// (AssemblyScript's env.abort is replaced: the module imports no "env").
func TestAbort(t *testing.T) {
	p, logs := load(t)
	tests := []struct {
		cmd  string
		want string
	}{
		{"throw", `msg="abort: boom (index.ts:`},
		{"index", `msg="abort: Index out of range (~lib/array.ts:`},
	}
	for _, tc := range tests {
		t.Run(tc.cmd, func(t *testing.T) {
			if _, err := call(p, tc.cmd, "x", 5); err == nil {
				t.Fatal("no plugin error")
			}
			if !strings.Contains(logs.String(), tc.want) {
				t.Errorf("log has no %q:\n%s", tc.want, logs.String())
			}
		})
	}
	if v, err := call(p, "len", "still works", 1); err != nil || v.Message != "11 still wo ll works" {
		t.Errorf("after the aborts: %v %q, %v", v.Action, v.Message, err)
	}
}
