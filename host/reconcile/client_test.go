package reconcile_test

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/gobwas/ws/wsutil"
	"github.com/nbd-wtf/go-nostr"
	"github.com/nbd-wtf/go-nostr/nip77"
	"github.com/nbd-wtf/go-nostr/nip77/negentropy"
	"github.com/nbd-wtf/go-nostr/nip77/negentropy/storage/vector"

	"github.com/relayd/relayd/host/reconcile"
)

// engineRelay is a minimal NIP-77 relay for client tests: go-nostr's own
// negentropy engine on its vector storage, over gobwas websockets, as
// khatru runs it. answer, if set, replaces its reply to each client
// message: it gets the session id and the engine's answer and returns the
// frames to send (none: stay silent).
type engineRelay struct {
	url    string
	items  []negentropy.Item
	answer func(sub, out string) []string
	closes atomic.Int32 // NEG-CLOSEs received
	greet  string       // sent on connect, if set
}

func startEngineRelay(t *testing.T, items []negentropy.Item, answer func(sub, out string) []string, greet ...string) *engineRelay {
	t.Helper()
	er := &engineRelay{items: items, answer: answer, greet: strings.Join(greet, "")}
	srv := httptest.NewServer(http.HandlerFunc(er.serve))
	t.Cleanup(srv.Close)
	er.url = "ws" + strings.TrimPrefix(srv.URL, "http")
	return er
}

func (er *engineRelay) serve(w http.ResponseWriter, r *http.Request) {
	conn, _, _, err := ws.UpgradeHTTP(r, w)
	if err != nil {
		return
	}
	defer conn.Close()
	if er.greet != "" {
		wsutil.WriteServerText(conn, []byte(er.greet))
	}
	var neg *negentropy.Negentropy
	for {
		msg, err := wsutil.ReadClientText(conn)
		if err != nil {
			return
		}
		var sub, in string
		switch env := nip77.ParseNegMessage(string(msg)).(type) {
		case *nip77.OpenEnvelope:
			vec := vector.New()
			for _, it := range er.items {
				vec.Insert(it.Timestamp, it.ID)
			}
			vec.Seal()
			neg = negentropy.New(vec, 60000)
			sub, in = env.SubscriptionID, env.Message
		case *nip77.MessageEnvelope:
			sub, in = env.SubscriptionID, env.Message
		case *nip77.CloseEnvelope:
			er.closes.Add(1)
			continue
		default:
			continue
		}
		out, err := neg.Reconcile(in)
		if err != nil {
			out = "error"
		}
		frames := []string{`["NEG-MSG",` + quote(sub) + `,"` + out + `"]`}
		if er.answer != nil {
			frames = er.answer(sub, out)
		}
		for _, f := range frames {
			if wsutil.WriteServerText(conn, []byte(f)) != nil {
				return
			}
		}
	}
}

func quote(s string) string {
	b, _ := json.Marshal(s)
	return string(b)
}

// split returns the items in three groups, as the local set, the remote
// set and the expected differences see them.
func split(items []negentropy.Item, localOnly, remoteOnly int) (local, remote []negentropy.Item, have, need []string) {
	for i, it := range items {
		switch {
		case i < localOnly:
			local = append(local, it)
			have = append(have, it.ID)
		case i < localOnly+remoteOnly:
			remote = append(remote, it)
			need = append(need, it.ID)
		default:
			local, remote = append(local, it), append(remote, it)
		}
	}
	slices.Sort(have)
	slices.Sort(need)
	return local, remote, have, need
}

func setOf(items []negentropy.Item) *reconcile.Set {
	s := reconcile.NewSet(len(items))
	for _, it := range items {
		s.Add(it.Timestamp, it.ID)
	}
	s.Seal()
	return s
}

func dial(t *testing.T, url string, opts reconcile.Options) (*reconcile.Conn, context.Context) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	t.Cleanup(cancel)
	c, err := reconcile.Dial(ctx, url, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return c, ctx
}

// TestClientAgainstEngine runs our client against go-nostr's engine as
// the relay, from no differences to thousands each way. go-nostr's
// NegentropySync hangs past 64 differences in the direction it does not
// read; ours reads both while the engine runs.
func TestClientAgainstEngine(t *testing.T) {
	tests := []struct {
		name                      string
		n, localOnly, remoteOnly  int
		span                      int
		frameSize, wantMoreRounds int
	}{
		{"empty both", 0, 0, 0, 1, 0, 0},
		{"same", 500, 0, 0, 1000, 0, 0},
		{"local only", 300, 300, 0, 1000, 0, 0},
		{"remote only", 300, 0, 300, 1000, 0, 0},
		{"small both ways", 100, 10, 20, 50, 0, 0},
		{"thousands each way", 9000, 3000, 3000, 1 << 30, 0, 2},
		{"thousands each way, small frames", 9000, 3000, 3000, 100000, reconcile.MinFrameSize, 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			local, remote, have, need := split(randomItems(uint64(tc.n)+9, tc.n, tc.span), tc.localOnly, tc.remoteOnly)
			er := startEngineRelay(t, remote, nil)
			c, ctx := dial(t, er.url, reconcile.Options{FrameSize: tc.frameSize})
			res, err := c.Reconcile(ctx, nostr.Filter{Kinds: []int{1}}, setOf(local))
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(res.Have, have) || !slices.Equal(res.Need, need) {
				t.Fatalf("have %d need %d, want %d and %d", len(res.Have), len(res.Need), len(have), len(need))
			}
			if res.Rounds < 1 || res.Rounds < tc.wantMoreRounds || res.BytesSent == 0 || res.BytesReceived == 0 {
				t.Fatalf("rounds %d, bytes %d/%d", res.Rounds, res.BytesSent, res.BytesReceived)
			}
			// The session is closed, and the connection still works.
			if res, err = c.Reconcile(ctx, nostr.Filter{}, setOf(remote)); err != nil || len(res.Have)+len(res.Need) != 0 {
				t.Fatalf("second reconciliation: %v, %v", res, err)
			}
			for er.closes.Load() != 2 {
				if ctx.Err() != nil {
					t.Fatalf("%d NEG-CLOSEs, want 2", er.closes.Load())
				}
				time.Sleep(time.Millisecond)
			}
		})
	}
}

// TestClientRelayMisbehaves: refusals, silence, garbage and floods from
// the relay end Reconcile with a clear error, never a hang.
func TestClientRelayMisbehaves(t *testing.T) {
	items := randomItems(5, 400, 1000)
	tests := []struct {
		name   string
		opts   reconcile.Options
		greet  string
		answer func(sub, out string) []string
		check  func(error) bool
	}{
		{"NEG-ERR", reconcile.Options{}, "", func(sub, _ string) []string {
			return []string{`["NEG-ERR",` + quote(sub) + `,"blocked: too many events; narrow the filter"]`}
		}, func(err error) bool {
			var re *reconcile.RelayError
			return errors.As(err, &re) && re.Prefix() == "blocked" && re.Label == "NEG-ERR"
		}},
		{"NEG-ERROR of go-nostr relays", reconcile.Options{}, "", func(sub, _ string) []string {
			return []string{`["NEG-ERROR",` + quote(sub) + `,"auth-required: who are you"]`}
		}, func(err error) bool {
			var re *reconcile.RelayError
			return errors.As(err, &re) && re.Prefix() == "auth-required"
		}},
		{"CLOSED", reconcile.Options{}, "", func(sub, _ string) []string {
			return []string{`["CLOSED",` + quote(sub) + `,"error: no"]`}
		}, func(err error) bool {
			var re *reconcile.RelayError
			return errors.As(err, &re) && re.Label == "CLOSED"
		}},
		{"silent after a NOTICE", reconcile.Options{ReadTimeout: 100 * time.Millisecond}, "", func(string, string) []string {
			return []string{`["NOTICE","unknown message type NEG-OPEN"]`}
		}, func(err error) bool {
			return errors.Is(err, reconcile.ErrTimeout) && strings.Contains(err.Error(), "unknown message type NEG-OPEN")
		}},
		{"garbage hex", reconcile.Options{}, "", func(sub, _ string) []string {
			return []string{`["NEG-MSG",` + quote(sub) + `,"610000028fffffff7f"]`}
		}, func(err error) bool { return errors.Is(err, reconcile.ErrMalformed) }},
		{"not hex", reconcile.Options{}, "", func(sub, _ string) []string {
			return []string{`["NEG-MSG",` + quote(sub) + `,"zz"]`}
		}, func(err error) bool { return errors.Is(err, reconcile.ErrMalformed) }},
		{"not a string", reconcile.Options{}, "", func(sub, _ string) []string {
			return []string{`["NEG-MSG",` + quote(sub) + `,{"a":1}]`}
		}, func(err error) bool { return errors.Is(err, reconcile.ErrMalformed) }},
		{"huge message", reconcile.Options{MaxMessageBytes: 1 << 16}, "", func(sub, _ string) []string {
			return []string{`["NOTICE","` + strings.Repeat("x", 1<<17) + `"]`}
		}, func(err error) bool { return errors.Is(err, reconcile.ErrTooLarge) }},
		{"other sessions and junk are ignored", reconcile.Options{}, `["AUTH","challenge-1"]`, func(sub, out string) []string {
			return []string{`not json`, `[]`, `[1,2,3]`, `["NEG-ERR","someone-else","blocked: x"]`, `["EVENT","x",{}]`,
				`["NEG-MSG",` + quote(sub) + `,"` + out + `"]`}
		}, func(err error) bool { return err == nil }},
		{"endless junk", reconcile.Options{}, "", func(string, string) []string {
			junk := make([]string, 1100)
			for i := range junk {
				junk[i] = `["NOTICE","still here"]`
			}
			return junk
		}, func(err error) bool { return errors.Is(err, reconcile.ErrStray) }},
		{"too many differences", reconcile.Options{MaxDiff: 100}, "", nil,
			func(err error) bool { return errors.Is(err, reconcile.ErrTooManyDifferences) }},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			er := startEngineRelay(t, items, tc.answer, tc.greet)
			c, ctx := dial(t, er.url, tc.opts)
			_, err := c.Reconcile(ctx, nostr.Filter{}, setOf(nil))
			if !tc.check(err) {
				t.Fatalf("got %v", err)
			}
			if tc.greet != "" && c.Challenge() != "challenge-1" {
				t.Fatalf("challenge %q, want challenge-1", c.Challenge())
			}
			if tc.name == "garbage hex" || tc.name == "too many differences" || err == nil {
				// The client ends the relay's session itself.
				for er.closes.Load() != 1 {
					if ctx.Err() != nil {
						t.Fatal("no NEG-CLOSE after the failure")
					}
					time.Sleep(time.Millisecond)
				}
			}
		})
	}
}

// TestClientContext: cancelling the context ends a Reconcile waiting on a
// silent relay.
func TestClientContext(t *testing.T) {
	arrived := make(chan struct{})
	er := startEngineRelay(t, nil, func(string, string) []string { close(arrived); return nil })
	c, _ := dial(t, er.url, reconcile.Options{})
	ctx, cancel := context.WithCancel(context.Background())
	go func() { <-arrived; cancel() }()
	if _, err := c.Reconcile(ctx, nostr.Filter{}, setOf(nil)); !errors.Is(err, context.Canceled) {
		t.Fatalf("got %v, want context.Canceled", err)
	}
}

func TestClientUnsealedSet(t *testing.T) {
	er := startEngineRelay(t, nil, nil)
	c, ctx := dial(t, er.url, reconcile.Options{})
	if _, err := c.Reconcile(ctx, nostr.Filter{}, reconcile.NewSet(0)); err == nil {
		t.Fatal("unsealed set accepted")
	}
}
