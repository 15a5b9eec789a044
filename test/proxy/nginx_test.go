// Package proxy_test runs relayd behind a real nginx (Debian package
// nginx) and a real Caddy (Debian package caddy), each with the site file
// docs/deploy.md gives (deploy/nginx/relayd.conf, deploy/caddy/Caddyfile)
// and relayd with deploy/relayd.toml, and checks what the relay believes
// about its clients: their addresses (for bans and rate limits) and the
// URL they connected to (for NIP-42 AUTH), over TLS terminated by the
// proxy.
//
// The files run as they are, with only their addresses and certificates
// swapped (a test fails if a line it swaps is gone). Everything is on
// loopback, with one address per role so that the relay can tell them
// apart: the proxy listens on 127.0.0.2 and connects to relayd from
// 127.0.0.1, the trusted proxy of deploy/relayd.toml; clients connect
// from 127.0.0.5 (banned) and 127.0.0.6.
package proxy_test

import (
	"crypto/tls"
	"fmt"
	"net"
	"net/http"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/internal/testing/deploytest"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/wasmbuild"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

const (
	frontHost = "127.0.0.2" // the proxy listens here
	banned    = "127.0.0.5" // a client in the lists plugin's ip_deny
	client    = "127.0.0.6" // a client nobody bans
)

// TestProxyClientIP: behind deploy/nginx/relayd.conf and behind
// deploy/caddy/Caddyfile, the address the relay acts on (an IP ban in the
// lists plugin) is the client's, whatever the client writes in
// X-Forwarded-For, X-Real-IP or Forwarded, and a client that bypasses the
// proxy cannot use those headers either. Both proxies front one relay, so
// that the plugin compiles once (slow under the race detector).
func TestProxyClientIP(t *testing.T) {
	plugins := t.TempDir()
	relaydtest.CopyPlugin(t, plugins, "lists", wasmbuild.Build(t, "../../plugins/lists"),
		"[config]\nip_deny = [\""+banned+"\"]\n")
	r := relaydtest.Start(t, deploytest.Config(t, "relayd.toml", plugins))
	r.WaitLog(t, `msg="wasm plugin loaded" plugin=lists`, time.Minute)
	relayAddr := strings.TrimPrefix(r.URL, "ws://")
	proxies := []struct {
		name  string
		start func(t *testing.T) front
	}{
		{"nginx", func(t *testing.T) front {
			return startNginx(t, toolPath(t, "nginx", "RELAYD_REQUIRE_NGINX", "/usr/sbin"), r.URL)
		}},
		{"caddy", func(t *testing.T) front { return startCaddy(t, toolPath(t, "caddy", "RELAYD_REQUIRE_CADDY"), r.URL) }},
	}
	tests := []struct {
		name   string
		direct bool // to relayd itself, bypassing the proxy
		from   string
		lines  []string // extra request header lines, sent as written
		want   int
	}{
		{"banned client", false, banned, nil, http.StatusForbidden},
		{"banned client, spoofed X-Forwarded-For", false, banned, []string{"X-Forwarded-For: 198.51.100.7"}, http.StatusForbidden},
		{"banned client posing as the proxy", false, banned, []string{"X-Forwarded-For: 127.0.0.1"}, http.StatusForbidden},
		{"banned client, two spoofed lines", false, banned,
			[]string{"X-Forwarded-For: 198.51.100.7", "X-Forwarded-For: 198.51.100.8"}, http.StatusForbidden},
		{"banned client, spoofed X-Real-IP", false, banned, []string{"X-Real-IP: 198.51.100.7"}, http.StatusForbidden},
		{"banned client, spoofed Forwarded", false, banned, []string{"Forwarded: for=198.51.100.7"}, http.StatusForbidden},
		{"other client", false, client, nil, http.StatusSwitchingProtocols},
		{"other client framing the banned one", false, client, []string{"X-Forwarded-For: " + banned}, http.StatusSwitchingProtocols},
		{"banned client bypassing the proxy, spoofed header", true, banned, []string{"X-Forwarded-For: 198.51.100.7"}, http.StatusForbidden},
		{"other client bypassing the proxy, framing", true, client, []string{"X-Forwarded-For: " + banned}, http.StatusSwitchingProtocols},
	}
	for _, p := range proxies {
		t.Run(p.name, func(t *testing.T) {
			f := p.start(t)
			for _, tc := range tests {
				t.Run(tc.name, func(t *testing.T) {
					addr, tlsConf := f.tls, f.client
					if tc.direct {
						addr, tlsConf = relayAddr, nil
					}
					status, body := handshake(t, tc.from, addr, tlsConf, tc.lines)
					if status != tc.want {
						t.Fatalf("got HTTP %d %q, want %d", status, body, tc.want)
					}
					if status == http.StatusForbidden && !strings.HasPrefix(body, "blocked: your address is blocked") {
						t.Fatalf("got body %q, want the ban's reason", body)
					}
				})
			}
		})
	}
}

// TestNginxAuth: NIP-42 AUTH through deploy/nginx/relayd.conf, over TLS.
// With relay_url set (deploy/relayd.toml), only relay_url is accepted,
// whatever the client sends as X-Forwarded-Host. Without it, the
// X-Forwarded-Host and X-Forwarded-Proto nginx sets make the URL the
// client dialed (wss://, the proxy's address) the accepted one, and a
// client's own X-Forwarded-Host is not.
func TestNginxAuth(t *testing.T) {
	nginx := toolPath(t, "nginx", "RELAYD_REQUIRE_NGINX", "/usr/sbin")
	cfg := deploytest.Config(t, "relayd.toml", "")
	public := cfg.RelayURL
	pinned := relaydtest.Start(t, cfg)
	cfg.RelayURL = ""
	fwd := relaydtest.Start(t, cfg)
	fronts := []front{startNginx(t, nginx, fwd.URL), startNginx(t, nginx, pinned.URL)}

	tests := []struct {
		name   string
		front  front
		header ws.HandshakeHeaderHTTP // sent by the client
		tag    string
		want   bool
	}{
		{"forwarded host", fronts[0], nil, "wss://" + fronts[0].tls, true},
		{"forwarded host, trailing slash", fronts[0], nil, "wss://" + fronts[0].tls + "/", true},
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

// TestNginxRedirect: the site's plain-HTTP server sends everything but
// ACME challenges to https.
func TestNginxRedirect(t *testing.T) {
	nginx := toolPath(t, "nginx", "RELAYD_REQUIRE_NGINX", "/usr/sbin")
	r := relaydtest.Start(t, deploytest.Config(t, "relayd.toml", ""))
	f := startNginx(t, nginx, r.URL)
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Get("http://" + f.plain + "/some/path")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if want := "https://" + frontHost + "/some/path"; resp.StatusCode != http.StatusMovedPermanently || resp.Header.Get("Location") != want {
		t.Fatalf("got %d Location %q, want 301 %q", resp.StatusCode, resp.Header.Get("Location"), want)
	}
}

// TestNginxTimeouts: the site's proxy timeouts are above relayd's
// idle_timeout (and so its ping_interval), in deploy/relayd.toml and by
// default, so that nginx never cuts a connection relayd still keeps.
func TestNginxTimeouts(t *testing.T) {
	site := deploytest.Read(t, "nginx/relayd.conf")
	cfgs := map[string]config.Config{"deploy/relayd.toml": deploytest.Config(t, "relayd.toml", ""), "default": config.Default()}
	for _, directive := range []string{"proxy_read_timeout", "proxy_send_timeout"} {
		v := directiveValue(t, site, directive)
		for name, cfg := range cfgs {
			if v <= cfg.IdleTimeout || v <= cfg.PingInterval {
				t.Errorf("%s %v is not above idle_timeout %v and ping_interval %v (%s)", directive, v, cfg.IdleTimeout, cfg.PingInterval, name)
			}
		}
	}
}

// directiveValue returns the duration of the one nginx directive name in
// site ("120s", "2m").
func directiveValue(t *testing.T, site, name string) time.Duration {
	t.Helper()
	var vals []string
	for _, l := range strings.Split(site, "\n") {
		if f := strings.Fields(strings.TrimSuffix(strings.TrimSpace(l), ";")); len(f) == 2 && f[0] == name {
			vals = append(vals, f[1])
		}
	}
	if len(vals) != 1 {
		t.Fatalf("%d %s directives in the site, want 1", len(vals), name)
	}
	d, err := time.ParseDuration(vals[0])
	if err != nil {
		t.Fatalf("%s %s: %v", name, vals[0], err)
	}
	return d
}

// front is a proxy in front of one relayd: its TLS (wss) and plain
// addresses, and a TLS config that trusts its certificate.
type front struct {
	tls, plain string
	client     *tls.Config
}

// startNginx runs nginx with deploy/nginx/relayd.conf in front of the
// relay at upstream (ws://HOST:PORT), with the site's listen addresses,
// upstream and certificate swapped for the test's, and returns it once it
// accepts connections. nginx runs in the foreground (daemon off, no
// master process) with its prefix, pid file and temp paths in a
// temporary directory and its error log on stderr; it is killed when the
// test ends, and its log printed if the test failed.
//
// Ports are picked by binding port 0 and closing it, so another process
// may take one before nginx binds it: nginx then exits and is started
// again on new ports. (Handing nginx the open sockets through its NGINX
// environment variable, as on a binary upgrade, would close that window,
// but nginx 1.22 crashes on inherited sockets with master_process off.)
func startNginx(t *testing.T, nginx, upstream string) front {
	t.Helper()
	cert, key, client := testCA(t, frontHost)
	for attempt := 1; ; attempt++ {
		f := front{tls: net.JoinHostPort(frontHost, freePort(t, frontHost)), plain: net.JoinHostPort(frontHost, freePort(t, frontHost)), client: client}
		site := deploytest.Apply(t, "deploy/nginx/relayd.conf", deploytest.Read(t, "nginx/relayd.conf"), []deploytest.Edit{
			deploytest.Swap("server 127.0.0.1:7447;", "server "+strings.TrimPrefix(upstream, "ws://")+";"),
			deploytest.Swap("listen 443 ssl;", "listen "+f.tls+" ssl;"),
			deploytest.Swap("listen 80;", "listen "+f.plain+";"),
			deploytest.Drop("listen [::]:443"), // the loopback test needs no IPv6
			deploytest.Drop("listen [::]:80;"),
			deploytest.Swap("ssl_certificate", "ssl_certificate "+cert+";"),
			deploytest.Swap("ssl_certificate_key", "ssl_certificate_key "+key+";"),
		})
		prefix := t.TempDir()
		writeFile(t, filepath.Join(prefix, "relayd.conf"), []byte(site))
		conf := nginxConf(prefix)
		path := filepath.Join(prefix, "nginx.conf")
		writeFile(t, path, []byte(conf))
		cmd := exec.Command(nginx, "-p", prefix, "-c", path, "-e", "stderr")
		_, logs, err := startProc(t, cmd, conf+"\nrelayd.conf:\n"+site, f.tls, f.plain)
		if err == nil {
			return f
		}
		if attempt == 3 || !strings.Contains(logs, "Address already in use") {
			t.Fatalf("nginx: %v\n%s", err, logs)
		}
	}
}

// nginxConf is nginx's main configuration: what Debian's
// /etc/nginx/nginx.conf sets up around sites-enabled, in prefix.
func nginxConf(prefix string) string {
	return fmt.Sprintf(`daemon off;
master_process off;
pid %[1]s/nginx.pid;
error_log stderr notice;
events { worker_connections 128; }
http {
  access_log off;
  client_body_temp_path %[1]s/client_body;
  proxy_temp_path %[1]s/proxy;
  fastcgi_temp_path %[1]s/fastcgi;
  uwsgi_temp_path %[1]s/uwsgi;
  scgi_temp_path %[1]s/scgi;
  include %[1]s/relayd.conf;
}
`, prefix)
}
