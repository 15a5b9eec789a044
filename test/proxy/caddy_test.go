package proxy_test

import (
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"
	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/internal/testing/deploytest"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// TestCaddyAuth: NIP-42 AUTH through deploy/caddy/Caddyfile, as
// TestNginxAuth: with relay_url (deploy/relayd.toml) only relay_url is
// accepted; without it, the X-Forwarded-Host and X-Forwarded-Proto Caddy
// sets make the URL the client dialed the accepted one.
func TestCaddyAuth(t *testing.T) {
	caddy := toolPath(t, "caddy", "RELAYD_REQUIRE_CADDY")
	cfg := deploytest.Config(t, "relayd.toml", "")
	public := cfg.RelayURL
	pinned := relaydtest.Start(t, cfg)
	cfg.RelayURL = ""
	fwd := relaydtest.Start(t, cfg)
	fronts := []front{startCaddy(t, caddy, fwd.URL), startCaddy(t, caddy, pinned.URL)}

	tests := []struct {
		name   string
		front  front
		header ws.HandshakeHeaderHTTP // sent by the client
		tag    string
		want   bool
	}{
		{"forwarded host", fronts[0], nil, "wss://" + fronts[0].tls, true},
		{"forwarded proto is https", fronts[0], nil, "ws://" + fronts[0].tls, false},
		{"the upstream address is not the relay's URL", fronts[0], nil, fwd.URL, false},
		{"client's own X-Forwarded-Host is overwritten", fronts[0],
			ws.HandshakeHeaderHTTP{"X-Forwarded-Host": {"relay.evil.example"}}, "wss://relay.evil.example", false},
		{"relay_url", fronts[1], nil, public, true},
		{"relay_url, not the address dialed", fronts[1], nil, "wss://" + fronts[1].tls, false},
		{"relay_url, client's X-Forwarded-Host ignored", fronts[1],
			ws.HandshakeHeaderHTTP{"X-Forwarded-Host": {"relay.evil.example"}}, "wss://relay.evil.example", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := ws.Dialer{NetDial: dialFrom(client), TLSConfig: tc.front.client}
			if tc.header != nil {
				d.Header = tc.header
			}
			c := wsc.DialDialer(t, "wss://"+tc.front.tls, d)
			if ok := c.Auth(wsc.NewKey().SK, tc.tag); ok.Accepted != tc.want {
				t.Fatalf("AUTH for %s: got %v, want accepted=%v", tc.tag, ok, tc.want)
			}
		})
	}
}

// TestCaddyPublishSubscribe: through deploy/caddy/Caddyfile over wss, a
// subscriber gets the stored event on REQ and a live one as it is
// published by another client.
func TestCaddyPublishSubscribe(t *testing.T) {
	caddy := toolPath(t, "caddy", "RELAYD_REQUIRE_CADDY")
	r := relaydtest.Start(t, deploytest.Config(t, "relayd.toml", ""))
	f := startCaddy(t, caddy, r.URL)
	dial := func() *wsc.Client {
		return wsc.DialDialer(t, "wss://"+f.tls, ws.Dialer{NetDial: dialFrom(client), TLSConfig: f.client})
	}
	key := wsc.NewKey()
	pub, sub := dial(), dial()
	first := key.Sign(t, 1, "through caddy", nostr.Now())
	if ok := pub.Publish(first); !ok.Accepted {
		t.Fatalf("publish: %v", ok)
	}
	if got := sub.Req("s", nostr.Filter{Authors: []string{key.PK}}); len(got) != 1 || got[0].ID != first.ID {
		t.Fatalf("REQ through caddy: got %v, want the stored event", got)
	}
	live := key.Sign(t, 1, "live through caddy", nostr.Now())
	if ok := pub.Publish(live); !ok.Accepted {
		t.Fatalf("publish: %v", ok)
	}
	msg := sub.Expect("EVENT")
	if ev := wsc.Event(t, msg); ev.ID != live.ID {
		t.Fatalf("live event: got %s, want %s", ev.ID, live.ID)
	}
}

// TestCaddyReloadClosesWebsockets: what docs/deploy.md tells operators
// about Caddy 2.6 holds: a config reload closes every proxied websocket
// (close code 1001, going away): clients must reconnect.
func TestCaddyReloadClosesWebsockets(t *testing.T) {
	caddy := toolPath(t, "caddy", "RELAYD_REQUIRE_CADDY")
	r := relaydtest.Start(t, deploytest.Config(t, "relayd.toml", ""))
	f, run := runCaddy(t, caddy, r.URL, net.JoinHostPort("127.0.0.1", freePort(t, "127.0.0.1")))
	c := wsc.DialDialer(t, "wss://"+f.tls, ws.Dialer{NetDial: dialFrom(client), TLSConfig: f.client})
	writeFile(t, run.path, []byte(strings.Replace(run.file, "reverse_proxy", "header X-Reloaded 1\n\treverse_proxy", 1)))
	admin := regexp.MustCompile(`admin (\S+)`).FindStringSubmatch(run.file)[1]
	reload := exec.Command(caddy, "reload", "--config", run.path, "--adapter", "caddyfile", "--address", admin)
	reload.Env = run.env
	if out, err := reload.CombinedOutput(); err != nil {
		t.Fatalf("caddy reload: %v\n%s", err, out)
	}
	fr, err := c.Frame()
	if err != nil || fr.Header.OpCode != ws.OpClose || len(fr.Payload) < 2 || binary.BigEndian.Uint16(fr.Payload) != 1001 {
		t.Fatalf("after caddy reload: frame %v %q, %v; want a close frame with 1001", fr.Header.OpCode, fr.Payload, err)
	}
}

// startCaddy runs `caddy run` with deploy/caddy/Caddyfile in front of the
// relay at upstream (ws://HOST:PORT): the site address and the upstream
// swapped for the test's, and global options added for a test (no admin
// endpoint, certificates from Caddy's internal CA, nothing installed in
// the system's trust store, no HTTP redirect server). Caddy's data and
// config (its CA among them) are in a temporary HOME. It returns once
// Caddy serves the site's certificate; Caddy is killed when the test
// ends. A port taken meanwhile is retried as in startNginx.
func startCaddy(t *testing.T, caddy, upstream string) front {
	t.Helper()
	f, _ := runCaddy(t, caddy, upstream, "off")
	return f
}

// caddyRun is a running Caddy's Caddyfile and environment, for `caddy
// reload`.
type caddyRun struct {
	path, file string
	env        []string
}

// runCaddy is startCaddy with Caddy's admin endpoint at admin ("off" for
// none).
func runCaddy(t *testing.T, caddy, upstream, admin string) (front, caddyRun) {
	t.Helper()
	for attempt := 1; ; attempt++ {
		port := freePort(t, frontHost)
		f := front{tls: net.JoinHostPort(frontHost, port)}
		file := deploytest.Apply(t, "deploy/caddy/Caddyfile", deploytest.Read(t, "caddy/Caddyfile"), []deploytest.Edit{
			deploytest.Swap("{", "{\n\tadmin "+admin+"\n\tlocal_certs\n\tskip_install_trust\n\tauto_https disable_redirects\n\thttps_port "+port),
			deploytest.Swap("relay.example.com {", f.tls+" {"),
			deploytest.Swap("reverse_proxy 127.0.0.1:7447", "reverse_proxy "+strings.TrimPrefix(upstream, "ws://")),
		})
		home := t.TempDir()
		run := caddyRun{path: filepath.Join(home, "Caddyfile"), file: file,
			env: append(os.Environ(), "HOME="+home, "XDG_DATA_HOME="+filepath.Join(home, "data"), "XDG_CONFIG_HOME="+filepath.Join(home, "config"))}
		writeFile(t, run.path, []byte(file))
		cmd := exec.Command(caddy, "run", "--config", run.path, "--adapter", "caddyfile")
		cmd.Env = run.env
		p, logs, err := startProc(t, cmd, file, f.tls)
		if err != nil {
			if attempt == 3 || !strings.Contains(logs, "address already in use") {
				t.Fatalf("caddy: %v\n%s", err, logs)
			}
			continue
		}
		p.waitLog(t, `"msg":"certificate obtained successfully","identifier":"`+frontHost+`"`)
		f.client = caddyCA(t, filepath.Join(home, "data", "caddy", "pki", "authorities", "local", "root.crt"))
		p.waitTLS(t, f.tls, f.client)
		return f, run
	}
}

// caddyCA is a TLS client config that trusts Caddy's internal root.
func caddyCA(t *testing.T, root string) *tls.Config {
	t.Helper()
	b, err := os.ReadFile(root)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(b) {
		t.Fatalf("no certificate in %s", root)
	}
	return &tls.Config{RootCAs: pool, ServerName: frontHost}
}

// waitLog waits until the process's output contains s, or it exits.
func (p *proc) waitLog(t *testing.T, s string) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !strings.Contains(p.logs.String(), s) {
		select {
		case err := <-p.exited:
			p.exited <- err
			t.Fatalf("exited before saying %q: %v", s, err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("never said %q", s)
		}
	}
}

// waitTLS waits until a TLS handshake with addr succeeds: Caddy logs that
// it obtained the certificate a moment before it serves it.
func (p *proc) waitTLS(t *testing.T, addr string, tc *tls.Config) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := tls.DialWithDialer(&net.Dialer{Timeout: wsc.Timeout}, "tcp", addr, tc)
		if err == nil {
			c.Close()
			return
		}
		select {
		case err := <-p.exited:
			p.exited <- err
			t.Fatalf("exited before serving TLS on %s: %v", addr, err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("no TLS handshake with %s after 30s: %v", addr, err)
		}
	}
}
