package manage_test

import (
	"bufio"
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/manage"
	"github.com/relayd/relayd/host/store/badgerstore"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
	"github.com/relayd/relayd/sdk/abi"
)

// fakePlugins stands for wasmhost.Manager: it serves banpubkey and
// listbannedpubkeys and records the calls.
type fakePlugins struct {
	mu    sync.Mutex
	calls []string // "method params"
	fail  error
}

func (f *fakePlugins) ManageMethods() []string {
	return []string{"banpubkey", "listbannedpubkeys", "banevent"} // banevent: the host's wins
}

func (f *fakePlugins) Manage(_ context.Context, method string, params json.RawMessage) (json.RawMessage, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, method+" "+string(params))
	if f.fail != nil {
		return nil, f.fail
	}
	return json.RawMessage(`true`), nil
}

// harness is a manage.Handler on a real badger store behind an HTTP
// server, whose URL the handler takes as the request's URL.
type harness struct {
	t      *testing.T
	st     *badgerstore.Store
	h      *manage.Handler
	srv    *httptest.Server
	admin  wsc.Key
	plug   *fakePlugins
	info   []manage.Info
	infoMu sync.Mutex
}

func newHarness(t *testing.T, dir string) *harness {
	t.Helper()
	st, err := badgerstore.Open(dir, badgerstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	hs := &harness{t: t, st: st, admin: wsc.NewKey(), plug: &fakePlugins{}}
	hs.h, err = manage.New(manage.Options{
		Store:   st,
		Plugins: hs.plug,
		Admins:  func() []string { return []string{hs.admin.PK} },
		SetInfo: func(i manage.Info) { hs.infoMu.Lock(); hs.info = append(hs.info, i); hs.infoMu.Unlock() },
		Stats:   func(context.Context) map[string]any { return map[string]any{"connections": 3} },
	})
	if err != nil {
		t.Fatal(err)
	}
	var srvURL string
	hs.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		hs.h.ServeManage(w, r, []string{srvURL + "/"})
	}))
	srvURL = hs.srv.URL
	t.Cleanup(hs.srv.Close)
	return hs
}

// call calls method as the admin through manage.Client.
func (hs *harness) call(method string, params ...any) (json.RawMessage, error) {
	c := &manage.Client{URL: hs.srv.URL, SecretKey: hs.admin.SK}
	return c.Call(context.Background(), method, params)
}

func (hs *harness) mustCall(method string, params ...any) string {
	hs.t.Helper()
	res, err := hs.call(method, params...)
	if err != nil {
		hs.t.Fatalf("%s: %v", method, err)
	}
	return string(res)
}

// authEvent builds a NIP-98 event, changed by edit before signing.
func authEvent(t *testing.T, k wsc.Key, url string, body []byte, edit func(*nostr.Event)) *nostr.Event {
	t.Helper()
	h, err := manage.AuthHeader(k.SK, url, "POST", body, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := base64.StdEncoding.DecodeString(strings.TrimPrefix(h, "Nostr "))
	var ev nostr.Event
	if err := json.Unmarshal(raw, &ev); err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&ev)
		if err := ev.Sign(k.SK); err != nil {
			t.Fatal(err)
		}
	}
	return &ev
}

func header(ev *nostr.Event) string {
	raw, _ := ev.MarshalJSON()
	return "Nostr " + base64.StdEncoding.EncodeToString(raw)
}

// post sends body with the Authorization header auth ("" for none).
func (hs *harness) post(body []byte, auth string) (int, string) {
	hs.t.Helper()
	req, _ := http.NewRequest("POST", hs.srv.URL, bytes.NewReader(body))
	req.Header.Set("Content-Type", manage.ContentType)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		hs.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, strings.TrimSpace(string(b))
}

func tagSet(name, v string) func(*nostr.Event) {
	return func(ev *nostr.Event) {
		for _, t := range ev.Tags {
			if t[0] == name {
				t[1] = v
			}
		}
	}
}

// TestAuthorisation: every way a NIP-98 header can be wrong gets the same
// 401 answer; the accepted variants (a trailing slash, ws for http) pass.
func TestAuthorisation(t *testing.T) {
	hs := newHarness(t, t.TempDir())
	body := []byte(`{"method":"supportedmethods","params":[]}`)
	u := hs.srv.URL // the handler expects srv.URL + "/"
	stranger := wsc.NewKey()
	const unauthorised = `{"error":"unauthorized"}`
	replayed := header(authEvent(t, hs.admin, u, body, nil))
	if code, got := hs.post(body, replayed); code != 200 {
		t.Fatalf("first use: got %d %s", code, got)
	}
	tests := []struct {
		name string
		auth func() string
		want int
	}{
		{"valid", func() string { return header(authEvent(t, hs.admin, u, body, nil)) }, 200},
		{"trailing slash", func() string { return header(authEvent(t, hs.admin, u+"/", body, nil)) }, 200},
		{"ws scheme for http", func() string {
			return header(authEvent(t, hs.admin, "ws"+strings.TrimPrefix(u, "http"), body, nil))
		}, 200},
		{"missing header", func() string { return "" }, 401},
		{"not Nostr scheme", func() string { return "Bearer abc" }, 401},
		{"not base64", func() string { return "Nostr !!!" }, 401},
		{"not an admin", func() string { return header(authEvent(t, stranger, u, body, nil)) }, 401},
		{"bad signature", func() string {
			ev := authEvent(t, hs.admin, u, body, nil)
			ev.Sig = strings.Repeat("1", 128)
			return header(ev)
		}, 401},
		{"bad id", func() string {
			ev := authEvent(t, hs.admin, u, body, nil)
			ev.Content = "changed after signing"
			return header(ev)
		}, 401},
		{"replayed", func() string { return replayed }, 401},
		{"expired", func() string {
			return header(authEvent(t, hs.admin, u, body, func(ev *nostr.Event) { ev.CreatedAt -= 120 }))
		}, 401},
		{"from the future", func() string {
			return header(authEvent(t, hs.admin, u, body, func(ev *nostr.Event) { ev.CreatedAt += 120 }))
		}, 401},
		{"wrong kind", func() string {
			return header(authEvent(t, hs.admin, u, body, func(ev *nostr.Event) { ev.Kind = 22242 }))
		}, 401},
		{"wrong URL", func() string { return header(authEvent(t, hs.admin, u+"/other", body, nil)) }, 401},
		{"wrong host", func() string { return header(authEvent(t, hs.admin, "http://relay.example.com/", body, nil)) }, 401},
		{"wrong method tag", func() string { return header(authEvent(t, hs.admin, u, body, tagSet("method", "GET"))) }, 401},
		{"wrong payload", func() string {
			return header(authEvent(t, hs.admin, u, []byte(`{"method":"stats","params":[]}`), nil))
		}, 401},
		{"no payload tag", func() string {
			return header(authEvent(t, hs.admin, u, body, func(ev *nostr.Event) { ev.Tags = ev.Tags[:2] }))
		}, 401},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, got := hs.post(body, tc.auth())
			if code != tc.want {
				t.Fatalf("got %d %s, want %d", code, got, tc.want)
			}
			if tc.want == 401 && got != unauthorised {
				t.Fatalf("got %s, want %s (no hint)", got, unauthorised)
			}
		})
	}
}

// TestBodyBound: a body over MaxBody is refused before anything else.
func TestBodyBound(t *testing.T) {
	hs := newHarness(t, t.TempDir())
	body := []byte(`{"method":"stats","params":["` + strings.Repeat("x", 65<<10) + `"]}`)
	if code, _ := hs.post(body, header(authEvent(t, hs.admin, hs.srv.URL, body, nil))); code != http.StatusRequestEntityTooLarge {
		t.Fatalf("got %d, want 413", code)
	}
}

// TestHostMethods: each host method, authorised, through the client.
func TestHostMethods(t *testing.T) {
	dir := t.TempDir()
	hs := newHarness(t, dir)
	ctx := context.Background()
	k := wsc.NewKey()
	ev := k.Sign(t, 1, "spam", nostr.Now())
	raw, _ := ev.MarshalJSON()
	if err := hs.st.Save(ctx, ev, raw); err != nil {
		t.Fatal(err)
	}
	want := `["allowevent","banevent","banpubkey","changerelaydescription","changerelayicon","changerelayname",` +
		`"listbannedevents","listbannedpubkeys","stats","supportedmethods"]`
	if got := hs.mustCall("supportedmethods"); got != want {
		t.Errorf("supportedmethods: got %s, want %s", got, want)
	}
	if got := hs.mustCall("banevent", ev.ID, "spam"); got != "true" {
		t.Errorf("banevent: got %s", got)
	}
	if err := hs.st.Save(ctx, ev, raw); err == nil || !strings.Contains(err.Error(), "banned") {
		t.Errorf("save after banevent: got %v, want banned", err)
	}
	if got := hs.mustCall("listbannedevents"); got != `[{"id":"`+ev.ID+`","reason":"spam"}]` {
		t.Errorf("listbannedevents: got %s", got)
	}
	hs.mustCall("allowevent", ev.ID, "")
	if got := hs.mustCall("listbannedevents"); got != `[]` {
		t.Errorf("listbannedevents after allowevent: got %s", got)
	}
	if err := hs.st.Save(ctx, ev, raw); err != nil {
		t.Errorf("save after allowevent: %v", err)
	}
	hs.mustCall("changerelayname", "Renamed")
	hs.mustCall("changerelaydescription", "Described")
	hs.mustCall("changerelayicon", "https://example.com/i.png")
	hs.infoMu.Lock()
	last := hs.info[len(hs.info)-1]
	hs.infoMu.Unlock()
	if want := (manage.Info{Name: "Renamed", Description: "Described", Icon: "https://example.com/i.png"}); last != want {
		t.Errorf("SetInfo: got %+v, want %+v", last, want)
	}
	if got := hs.mustCall("stats"); got != `{"connections":3}` {
		t.Errorf("stats: got %s", got)
	}
	for _, tc := range []struct{ method, params, wantErr string }{
		{"banevent", `["nothex"]`, "invalid params"},
		{"banevent", `[]`, "invalid params"},
		{"changerelayname", `[1]`, "invalid params"},
		{"nosuchmethod", `[]`, "unknown method"},
		{"supportedmethods", `{}`, "invalid params"},
	} {
		var params []any
		json.Unmarshal([]byte(tc.params), &params)
		if tc.params == `{}` {
			params = nil // sent as []; the object case is below
		}
		if tc.params == `{}` {
			body := []byte(`{"method":"supportedmethods","params":{}}`)
			if _, got := hs.post(body, header(authEvent(t, hs.admin, hs.srv.URL, body, nil))); !strings.Contains(got, tc.wantErr) {
				t.Errorf("%s %s: got %s, want %q", tc.method, tc.params, got, tc.wantErr)
			}
			continue
		}
		_, err := hs.call(tc.method, params...)
		var rpc *manage.RPCError
		if !errors.As(err, &rpc) || !strings.Contains(rpc.Message, tc.wantErr) {
			t.Errorf("%s %s: got %v, want %q", tc.method, tc.params, err, tc.wantErr)
		}
	}

	// The overrides are in the store: a new handler starts with them.
	h2, err := manage.New(manage.Options{Store: hs.st, Admins: func() []string { return nil }})
	if err != nil {
		t.Fatal(err)
	}
	if got := h2.Info(); got != last {
		t.Errorf("overrides read back: got %+v, want %+v", got, last)
	}
}

// TestPluginMethods: methods the plugins declare go to them; banpubkey's
// purge option deletes the author's events once the plugin accepted.
func TestPluginMethods(t *testing.T) {
	hs := newHarness(t, t.TempDir())
	ctx := context.Background()
	spammer, other := wsc.NewKey(), wsc.NewKey()
	for i, k := range []wsc.Key{spammer, spammer, other} {
		ev := k.Sign(t, 1, "n", nostr.Now()-nostr.Timestamp(i))
		raw, _ := ev.MarshalJSON()
		if err := hs.st.Save(ctx, ev, raw); err != nil {
			t.Fatal(err)
		}
	}
	if got := hs.mustCall("listbannedpubkeys"); got != "true" {
		t.Errorf("listbannedpubkeys: got %s", got)
	}
	if got := hs.mustCall("banpubkey", spammer.PK, "spam"); got != "true" {
		t.Errorf("banpubkey: got %s", got)
	}
	if n, _ := hs.st.Count(ctx, nostr.Filter{}); n != 3 {
		t.Errorf("without purge: %d events, want 3", n)
	}
	if got := hs.mustCall("banpubkey", spammer.PK, "spam", map[string]any{"purge": true}); got != `{"purged":2}` {
		t.Errorf("banpubkey with purge: got %s", got)
	}
	if n, _ := hs.st.Count(ctx, nostr.Filter{}); n != 1 {
		t.Errorf("after purge: %d events, want 1", n)
	}
	hs.plug.mu.Lock()
	calls := slices.Clone(hs.plug.calls)
	hs.plug.mu.Unlock()
	wantCalls := []string{"listbannedpubkeys []", `banpubkey ["` + spammer.PK + `","spam"]`, `banpubkey ["` + spammer.PK + `","spam"]`}
	if !slices.Equal(calls, wantCalls) {
		t.Errorf("plugin calls: got %q, want %q", calls, wantCalls)
	}

	// A refused ban purges nothing.
	hs.plug.mu.Lock()
	hs.plug.fail = errors.New("no such luck")
	hs.plug.mu.Unlock()
	_, err := hs.call("banpubkey", other.PK, "", map[string]any{"purge": true})
	if err == nil || err.Error() != "no such luck" {
		t.Errorf("refused ban: got %v, want the plugin's error", err)
	}
	if n, _ := hs.st.Count(ctx, nostr.Filter{}); n != 1 {
		t.Errorf("after a refused ban: %d events, want 1", n)
	}
}

// TestReplayBound: with MaxSeen live auth events remembered, the next is
// refused until one expires; expired ones are dropped.
func TestReplayBound(t *testing.T) {
	st, err := badgerstore.Open(t.TempDir(), badgerstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin := wsc.NewKey()
	now := time.Now()
	var clock sync.Mutex
	h, err := manage.New(manage.Options{Store: st, Admins: func() []string { return []string{admin.PK} }, MaxSeen: 2,
		Now: func() time.Time { clock.Lock(); defer clock.Unlock(); return now }})
	if err != nil {
		t.Fatal(err)
	}
	body := []byte(`{"method":"stats"}`)
	post := func(created time.Time) int {
		ev := authEvent(t, admin, "http://relay.test/", body, func(ev *nostr.Event) { ev.CreatedAt = nostr.Timestamp(created.Unix()) })
		req := httptest.NewRequest("POST", "http://relay.test/", bytes.NewReader(body))
		req.Header.Set("Authorization", header(ev))
		w := httptest.NewRecorder()
		h.ServeManage(w, req, []string{"http://relay.test/"})
		return w.Code
	}
	steps := []struct {
		name    string
		advance time.Duration
		created time.Duration // relative to the clock
		want    int
	}{
		{"first", 0, 0, 200},
		{"second", 0, -time.Second, 200},
		{"third: full", 0, -2 * time.Second, 401},
		{"later: the first two expired", 2 * time.Minute, 0, 200},
	}
	for _, s := range steps {
		clock.Lock()
		now = now.Add(s.advance)
		c := now.Add(s.created)
		clock.Unlock()
		if got := post(c); got != s.want {
			t.Errorf("%s: got %d, want %d", s.name, got, s.want)
		}
	}
}

// TestHostMethodsAreTheABIs: the methods the host serves are the ones
// sdk/abi reserves (plugins declaring one are refused at load).
func TestHostMethodsAreTheABIs(t *testing.T) {
	st, err := badgerstore.Open(t.TempDir(), badgerstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	admin := wsc.NewKey()
	h, err := manage.New(manage.Options{Store: st, Admins: func() []string { return []string{admin.PK} }})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h.ServeManage(w, r, []string{"http://" + r.Host})
	}))
	defer srv.Close()
	res, err := (&manage.Client{URL: srv.URL, SecretKey: admin.SK}).Call(context.Background(), "supportedmethods", nil)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	json.Unmarshal(res, &got)
	want := slices.Sorted(slices.Values(abi.HostMethods()))
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
}

// TestSlowBody: a body that stops coming is given up after ReadTimeout:
// the connection gets an answer instead of being held.
func TestSlowBody(t *testing.T) {
	st, err := badgerstore.Open(t.TempDir(), badgerstore.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	h, err := manage.New(manage.Options{Store: st, Admins: func() []string { return nil }, ReadTimeout: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { h.ServeManage(w, r, nil) }))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(30 * time.Second)) // a guard against a hang
	fmt.Fprintf(conn, "POST / HTTP/1.1\r\nHost: x\r\nContent-Type: %s\r\nContent-Length: 100\r\n\r\n{\"method\"", manage.ContentType)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatalf("no answer to a stalled body: %v", err)
	}
	if resp.StatusCode != http.StatusBadRequest {
		t.Fatalf("got %d, want 400", resp.StatusCode)
	}
}
