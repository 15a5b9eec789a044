package proxy_test

import (
	"bufio"
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"math/big"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"testing"
	"time"

	wsc "github.com/relayd/relayd/internal/testing/wsclient"
)

// freePort returns a port nothing listens on at host right now. Another
// process may take it before the caller binds it; callers retry.
func freePort(t *testing.T, host string) string {
	t.Helper()
	ln, err := net.Listen("tcp", host+":0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	_, port, _ := net.SplitHostPort(ln.Addr().String())
	return port
}

// testCA makes a certificate authority and a server certificate for the
// IP address host, writes the server's certificate and key as PEM files
// in a temporary directory and returns their paths and a TLS client
// config that trusts only the CA.
func testCA(t *testing.T, host string) (certFile, keyFile string, client *tls.Config) {
	t.Helper()
	caKey := newKey(t)
	caTmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "relayd test CA"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		IsCA:                  true,
		BasicConstraintsValid: true,
		KeyUsage:              x509.KeyUsageCertSign,
	}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	key := newKey(t)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(2),
		Subject:      pkix.Name{CommonName: host},
		IPAddresses:  []net.IP{net.ParseIP(host)},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(24 * time.Hour),
		KeyUsage:     x509.KeyUsageDigitalSignature,
		ExtKeyUsage:  []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, ca, &key.PublicKey, caKey)
	if err != nil {
		t.Fatal(err)
	}
	keyDER, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	certFile, keyFile = filepath.Join(dir, "fullchain.pem"), filepath.Join(dir, "privkey.pem")
	chain := append(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: caDER})...)
	writeFile(t, certFile, chain)
	writeFile(t, keyFile, pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: keyDER}))
	pool := x509.NewCertPool()
	pool.AddCert(ca)
	return certFile, keyFile, &tls.Config{RootCAs: pool, ServerName: host}
}

func newKey(t *testing.T) *ecdsa.PrivateKey {
	t.Helper()
	k, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	return k
}

func writeFile(t *testing.T, path string, b []byte) {
	t.Helper()
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// proc is a proxy process the test started: killed when the test ends,
// its output shown if the test failed.
type proc struct {
	cmd    *exec.Cmd
	logs   *lockedBuffer
	exited chan error
}

// startProc starts cmd with its output captured and waits until every
// addr accepts TCP connections. If cmd exits first, its output is
// returned with the error (for a retry on a port taken meanwhile).
func startProc(t *testing.T, cmd *exec.Cmd, config string, addrs ...string) (*proc, string, error) {
	t.Helper()
	p := &proc{cmd: cmd, logs: &lockedBuffer{}, exited: make(chan error, 1)}
	cmd.Stdout, cmd.Stderr = p.logs, p.logs
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", cmd.Path, err)
	}
	go func() { p.exited <- cmd.Wait() }()
	for _, addr := range addrs {
		if err := waitListening(addr, p.exited); err != nil {
			cmd.Process.Kill()
			return nil, p.logs.String(), err
		}
	}
	name := filepath.Base(cmd.Path)
	t.Cleanup(func() {
		cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("%s config:\n%s\n%s output:\n%s", name, config, name, p.logs.String())
		}
	})
	return p, "", nil
}

// waitListening waits until addr accepts TCP connections, or the process
// exits. A proxy has no readiness signal but its listening socket, so
// this polls it.
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
			return fmt.Errorf("exited before listening on %s: %v", addr, err)
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("not listening on %s after 30s", addr)
		}
	}
}

// toolPath returns the named binary (looked up in PATH, then in the
// directories given). It skips the test if it is not installed, unless
// the environment variable require is 1 (as in CI), which makes a missing
// tool a failure.
func toolPath(t *testing.T, name, require string, dirs ...string) string {
	t.Helper()
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	for _, d := range dirs {
		if p := filepath.Join(d, name); fileExists(p) {
			return p
		}
	}
	if os.Getenv(require) == "1" {
		t.Fatalf("%s not found and %s=1: apt-get install %s", name, require, name)
	}
	t.Skipf("%s not found; apt-get install %s (%s=1 makes this a failure)", name, name, require)
	return ""
}

func fileExists(p string) bool {
	_, err := os.Stat(p)
	return err == nil
}

// dialFrom returns a TCP dialer whose connections come from the loopback
// address from.
func dialFrom(from string) func(ctx context.Context, network, addr string) (net.Conn, error) {
	d := net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(from)}, Timeout: wsc.Timeout}
	return d.DialContext
}

// handshake sends a websocket upgrade from the address from to addr (over
// TLS if tc is not nil), with extra header lines sent as written, and
// returns the HTTP status and the start of the body.
func handshake(t *testing.T, from, addr string, tc *tls.Config, lines []string) (int, string) {
	t.Helper()
	nc, err := dialFrom(from)(context.Background(), "tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer nc.Close()
	if tc != nil {
		nc = tls.Client(nc, tc)
	}
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
