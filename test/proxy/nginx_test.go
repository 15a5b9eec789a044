// Package proxy_test runs relayd behind a real nginx (Debian package
// nginx), configured as operators do, and checks what the relay believes
// about its clients: their addresses (for bans and rate limits) and the
// URL they connected to (for NIP-42 AUTH).
//
// Everything is on loopback, with one address per role so that the relay
// can tell them apart: nginx listens on 127.0.0.2 and connects to relayd
// from 127.0.0.3 (proxy_bind); clients connect from 127.0.0.5 (banned)
// and 127.0.0.6.
package proxy_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gobwas/ws"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/internal/testing/relaydtest"
	"github.com/relayd/relayd/internal/testing/wasmbuild"
	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

const (
	nginxAddr = "127.0.0.2" // nginx listens here
	proxyAddr = "127.0.0.3" // nginx connects to relayd from here
	banned    = "127.0.0.5" // a client in the lists plugin's ip_deny
	client    = "127.0.0.6" // a client nobody bans
)

// TestNginxClientIP: behind nginx with the usual
// X-Forwarded-For $proxy_add_x_forwarded_for, the address the relay acts
// on (an IP ban in the lists plugin) is the client's, whatever the client
// writes in X-Forwarded-For or X-Real-IP, and a client that bypasses nginx
// cannot use those headers either.
func TestNginxClientIP(t *testing.T) {
	nginx := nginxPath(t)
	plugins := t.TempDir()
	relaydtest.CopyPlugin(t, plugins, "lists", wasmbuild.Build(t, "../../plugins/lists"),
		"[config]\nip_deny = [\""+banned+"\"]\n")
	cfg := relaydtest.Default(plugins)
	cfg.TrustedProxies = config.Prefixes{netip.MustParsePrefix(proxyAddr + "/32")}
	r := relaydtest.Start(t, cfg)
	r.WaitLog(t, `msg="wasm plugin loaded" plugin=lists`, time.Minute)
	front := startNginx(t, nginx, []site{{upstream: r.URL, headers: forwardHeaders}})[0]
	relayAddr := strings.TrimPrefix(r.URL, "ws://")

	tests := []struct {
		name  string
		addr  string // nginx or relayd itself
		from  string
		lines []string // extra request header lines, sent as written
		want  int
	}{
		{"banned client", front, banned, nil, http.StatusForbidden},
		{"banned client, spoofed X-Forwarded-For", front, banned, []string{"X-Forwarded-For: 198.51.100.7"}, http.StatusForbidden},
		{"banned client posing as the proxy", front, banned, []string{"X-Forwarded-For: " + proxyAddr}, http.StatusForbidden},
		{"banned client, two spoofed lines", front, banned,
			[]string{"X-Forwarded-For: 198.51.100.7", "X-Forwarded-For: 198.51.100.8"}, http.StatusForbidden},
		{"banned client, spoofed X-Real-IP", front, banned, []string{"X-Real-IP: 198.51.100.7"}, http.StatusForbidden},
		{"banned client, spoofed Forwarded", front, banned, []string{"Forwarded: for=198.51.100.7"}, http.StatusForbidden},
		{"other client", front, client, nil, http.StatusSwitchingProtocols},
		{"other client framing the banned one", front, client, []string{"X-Forwarded-For: " + banned}, http.StatusSwitchingProtocols},
		{"banned client bypassing nginx, spoofed header", relayAddr, banned, []string{"X-Forwarded-For: 198.51.100.7"}, http.StatusForbidden},
		{"other client bypassing nginx, framing", relayAddr, client, []string{"X-Forwarded-For: " + banned}, http.StatusSwitchingProtocols},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			status, body := handshake(t, tc.from, tc.addr, tc.lines)
			if status != tc.want {
				t.Fatalf("got HTTP %d %q, want %d", status, body, tc.want)
			}
			if status == http.StatusForbidden && !strings.HasPrefix(body, "blocked: your address is blocked") {
				t.Fatalf("got body %q, want the ban's reason", body)
			}
		})
	}
}

// TestNginxAuth: NIP-42 AUTH through nginx, which sends relayd its
// upstream address as Host (the default proxy_set_header Host
// $proxy_host). With X-Forwarded-Host set by nginx, the relay URL the
// client used is accepted and a client's own X-Forwarded-Host is not;
// with relay_url set, no forwarded header is needed and only relay_url is
// accepted.
func TestNginxAuth(t *testing.T) {
	nginx := nginxPath(t)
	const public = "wss://relay.example.com" // the relay_url behind the second site
	cfg := relaydtest.Default("")
	cfg.TrustedProxies = config.Prefixes{netip.MustParsePrefix(proxyAddr + "/32")}
	fwd := relaydtest.Start(t, cfg)
	cfg.RelayURL = public
	pinned := relaydtest.Start(t, cfg)
	fronts := startNginx(t, nginx, []site{{upstream: fwd.URL, headers: forwardHeaders}, {upstream: pinned.URL}})

	tests := []struct {
		name   string
		front  string                 // the nginx site dialed
		header ws.HandshakeHeaderHTTP // sent by the client
		tag    string
		want   bool
	}{
		{"forwarded host", fronts[0], nil, "ws://" + fronts[0], true},
		{"forwarded host, trailing slash", fronts[0], nil, "ws://" + fronts[0] + "/", true},
		{"forwarded proto is http", fronts[0], nil, "wss://" + fronts[0], false},
		{"the upstream address is not the relay's URL", fronts[0], nil, fwd.URL, false},
		{"client's own X-Forwarded-Host is overwritten", fronts[0],
			ws.HandshakeHeaderHTTP{"X-Forwarded-Host": {"relay.evil.example"}}, "ws://relay.evil.example", false},
		{"relay_url", fronts[1], nil, public, true},
		{"relay_url, not the address dialed", fronts[1], nil, "ws://" + fronts[1], false},
		{"relay_url, client's X-Forwarded-Host ignored", fronts[1],
			ws.HandshakeHeaderHTTP{"X-Forwarded-Host": {"relay.evil.example"}}, "wss://relay.evil.example", false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			d := ws.Dialer{NetDial: dialFrom(client)}
			if tc.header != nil {
				d.Header = tc.header
			}
			c := wsc.DialDialer(t, "ws://"+tc.front, d)
			if ok := c.Auth(wsc.NewKey().SK, tc.tag); ok.Accepted != tc.want {
				t.Fatalf("AUTH for %s: got %v, want accepted=%v", tc.tag, ok, tc.want)
			}
		})
	}
}

// forwardHeaders is what nginx's guides tell operators to send.
var forwardHeaders = []string{
	"X-Forwarded-For $proxy_add_x_forwarded_for",
	"X-Forwarded-Host $http_host",
	"X-Forwarded-Proto $scheme",
}

// nginxPath returns the nginx binary. It skips the test if nginx is not
// installed, unless RELAYD_REQUIRE_NGINX=1 (as in CI), which makes a
// missing nginx a failure.
func nginxPath(t *testing.T) string {
	t.Helper()
	p, err := exec.LookPath("nginx")
	if err != nil {
		if _, serr := os.Stat("/usr/sbin/nginx"); serr == nil {
			return "/usr/sbin/nginx"
		}
		if os.Getenv("RELAYD_REQUIRE_NGINX") == "1" {
			t.Fatal("nginx not found and RELAYD_REQUIRE_NGINX=1: apt-get install nginx")
		}
		t.Skip("nginx not found; apt-get install nginx (RELAYD_REQUIRE_NGINX=1 makes this a failure)")
	}
	return p
}

// site is one nginx server block proxying websockets to upstream.
type site struct {
	upstream string   // ws://host:port of a relayd
	headers  []string // proxy_set_header arguments beyond Upgrade and Connection
}

// startNginx runs nginx in front of sites and returns the host:port each
// one is served on, once nginx accepts connections. nginx runs in the
// foreground (daemon off, no master process) with its prefix, pid file and
// temp paths in a temporary directory and its error log on stderr; it is
// killed when the test ends, and its log printed if the test failed.
//
// Ports are picked by binding port 0 and closing it, so another process
// may take one before nginx binds it: nginx then exits and is started
// again on new ports. (Handing nginx the open sockets through its NGINX
// environment variable, as on a binary upgrade, would close that window,
// but nginx 1.22 crashes on inherited sockets with master_process off.)
func startNginx(t *testing.T, nginx string, sites []site) []string {
	t.Helper()
	for attempt := 1; ; attempt++ {
		addrs, logs, err := tryNginx(t, nginx, sites)
		if err == nil {
			return addrs
		}
		if attempt == 3 || !strings.Contains(logs, "Address already in use") {
			t.Fatalf("nginx: %v\n%s", err, logs)
		}
	}
}

func tryNginx(t *testing.T, nginx string, sites []site) ([]string, string, error) {
	t.Helper()
	addrs := make([]string, len(sites))
	for i := range sites {
		ln, err := net.Listen("tcp", nginxAddr+":0")
		if err != nil {
			t.Fatal(err)
		}
		addrs[i] = ln.Addr().String()
		ln.Close()
	}
	prefix := t.TempDir()
	conf := nginxConf(prefix, addrs, sites)
	path := filepath.Join(prefix, "nginx.conf")
	if err := os.WriteFile(path, []byte(conf), 0o644); err != nil {
		t.Fatal(err)
	}
	logs := &lockedBuffer{}
	cmd := exec.Command(nginx, "-p", prefix, "-c", path, "-e", "stderr")
	cmd.Stdout, cmd.Stderr = logs, logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start nginx: %v", err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	for _, addr := range addrs {
		if err := waitListening(addr, exited); err != nil {
			cmd.Process.Kill()
			return nil, logs.String(), err
		}
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-exited
		if t.Failed() {
			t.Logf("nginx.conf:\n%s\nnginx log:\n%s", conf, logs.String())
		}
	})
	return addrs, "", nil
}

// waitListening waits until addr accepts TCP connections, or nginx exits.
// nginx has no readiness signal but its listening socket, so this polls it.
func waitListening(addr string, exited <-chan error) error {
	deadline := time.Now().Add(30 * time.Second)
	for {
		c, err := net.Dial("tcp", addr)
		if err == nil {
			c.Close()
			return nil
		}
		select {
		case err := <-exited:
			return fmt.Errorf("nginx exited before listening on %s: %v", addr, err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("nginx not listening on %s after 30s", addr)
		}
	}
}

// nginxConf is the configuration: sites[i] on addrs[i], each proxying
// websockets from the proxy's own address.
func nginxConf(prefix string, addrs []string, sites []site) string {
	var b strings.Builder
	fmt.Fprintf(&b, `daemon off;
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
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
`, prefix)
	for i, s := range sites {
		fmt.Fprintf(&b, `  server {
    listen %s;
    location / {
      proxy_pass http://%s;
      proxy_bind %s;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
`, addrs[i], strings.TrimPrefix(s.upstream, "ws://"), proxyAddr)
		for _, h := range s.headers {
			fmt.Fprintf(&b, "      proxy_set_header %s;\n", h)
		}
		b.WriteString("    }\n  }\n")
	}
	b.WriteString("}\n")
	return b.String()
}

// dialFrom returns a TCP dialer whose connections come from the loopback
// address from.
func dialFrom(from string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: wsc.Timeout}
	return d.DialContext
}

// handshake sends a websocket upgrade from the address from to addr, with
// extra header lines sent as written, and returns the HTTP status and the
// start of the body.
func handshake(t *testing.T, from, addr string, lines []string) (int, string) {
	t.Helper()
	nc, err := dialFrom(from)(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	nc.SetDeadline(time.Now().Add(wsc.Timeout))
	req := "GET / HTTP/1.1\r\nHost: " + addr + "\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
		"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
	for _, l := range lines {
		req += l + "\r\n"
	}
	if _, err := nc.Write([]byte(req + "\r\n")); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(nc), nil)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusSwitchingProtocols {
		return resp.StatusCode, ""
	}
	buf := make([]byte, 512)
	n, _ := resp.Body.Read(buf)
	return resp.StatusCode, string(buf[:n])
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}
