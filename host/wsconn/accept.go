package wsconn

import (
	"bytes"
	"crypto/sha1"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Request is what an UpgradeFunc learns of a websocket handshake.
type Request struct {
	RemoteAddr string
	Host       string
	Path       string
	// Header holds the request headers with canonical keys, every line of
	// each in order (Get gives the first); at most maxHeaders names.
	Header http.Header
}

// UpgradeFunc decides on a websocket handshake. It returns the value to
// attach to the Conn, or a non-zero HTTP status (and a reason) to refuse.
type UpgradeFunc func(req *Request) (value any, status int, reason string)

const (
	maxHead    = 8 << 10 // a handshake head larger than this is refused
	maxHeaders = 64
	handshake  = 10 * time.Second
)

// ServeListener accepts connections on ln until it is closed. Websocket
// handshakes are read with a small pooled buffer and answered here, without
// net/http, so that an upgrade leaves no per-connection garbage behind;
// every other request (NIP-11, CORS preflight, landing page) is passed to
// fallback through an internal http.Server.
func (s *Server) ServeListener(ln net.Listener, up UpgradeFunc, fallback http.Handler) error {
	httpLn := newChanListener(ln.Addr())
	hs := &http.Server{Handler: fallback, ReadHeaderTimeout: handshake, MaxHeaderBytes: maxHead}
	go hs.Serve(httpLn)
	defer hs.Close()
	var heads sync.Pool
	heads.New = func() any { b := make([]byte, maxHead); return &b }
	for {
		nc, err := ln.Accept()
		if err != nil {
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				time.Sleep(10 * time.Millisecond)
				continue
			}
			return err
		}
		go s.handshake(nc, up, httpLn, &heads)
	}
}

// handshake reads one request head and upgrades or hands it to net/http.
func (s *Server) handshake(nc net.Conn, up UpgradeFunc, httpLn *chanListener, heads *sync.Pool) {
	bp := heads.Get().(*[]byte)
	defer heads.Put(bp)
	buf := *bp
	nc.SetReadDeadline(time.Now().Add(handshake))
	n, end := 0, -1
	for end < 0 {
		if n == len(buf) {
			io.WriteString(nc, "HTTP/1.1 431 Request Header Fields Too Large\r\nConnection: close\r\n\r\n")
			nc.Close()
			return
		}
		m, err := nc.Read(buf[n:])
		if m > 0 {
			from := max(n-3, 0)
			n += m
			if i := bytes.Index(buf[from:n], []byte("\r\n\r\n")); i >= 0 {
				end = from + i + 4
			}
			continue
		}
		if err != nil {
			nc.Close()
			return
		}
	}
	req, key, isWS := parseHead(buf[:end])
	if !isWS || req == nil {
		// Not a websocket handshake: net/http answers it, reading the head
		// again from a copy.
		pre := append([]byte(nil), buf[:n]...)
		nc.SetReadDeadline(time.Time{})
		httpLn.push(&replayConn{Conn: nc, pre: pre})
		return
	}
	req.RemoteAddr = nc.RemoteAddr().String()
	value, status, reason := up(req)
	if status != 0 {
		fmt.Fprintf(nc, "HTTP/1.1 %d %s\r\nContent-Type: text/plain; charset=utf-8\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s",
			status, http.StatusText(status), len(reason), reason)
		nc.Close()
		return
	}
	nc.SetDeadline(time.Now().Add(s.conns.Load().WriteTimeout))
	resp := "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: " +
		acceptKey(key) + "\r\n\r\n"
	if _, err := io.WriteString(nc, resp); err != nil {
		nc.Close()
		return
	}
	nc.SetDeadline(time.Time{})
	s.Serve(nc, buf[end:n], value) // Serve copies the leftover bytes
}

// parseHead parses a request head. It returns the request, the client's
// Sec-WebSocket-Key, and whether this is a valid websocket handshake.
func parseHead(head []byte) (*Request, string, bool) {
	lines := strings.Split(string(head[:len(head)-4]), "\r\n")
	method, rest, ok := strings.Cut(lines[0], " ")
	if !ok {
		return nil, "", false
	}
	path, proto, _ := strings.Cut(rest, " ")
	req := &Request{Path: path, Header: make(http.Header, 8)}
	for _, l := range lines[1:] {
		k, v, ok := strings.Cut(l, ":")
		if !ok {
			continue
		}
		k = http.CanonicalHeaderKey(strings.TrimSpace(k))
		if _, seen := req.Header[k]; !seen && len(req.Header) >= maxHeaders {
			continue
		}
		// Every line is kept: a proxy may add its own X-Forwarded-For
		// line after the client's, and the last one is the one to read.
		req.Header[k] = append(req.Header[k], strings.TrimSpace(v))
	}
	req.Host = req.Header.Get("Host")
	key := req.Header.Get("Sec-Websocket-Key")
	isWS := method == http.MethodGet && proto == "HTTP/1.1" &&
		strings.EqualFold(req.Header.Get("Upgrade"), "websocket") &&
		headerHas(req.Header.Get("Connection"), "upgrade") &&
		req.Header.Get("Sec-Websocket-Version") == "13" && len(key) == 24
	return req, key, isWS
}

func headerHas(v, token string) bool {
	for _, p := range strings.Split(v, ",") {
		if strings.EqualFold(strings.TrimSpace(p), token) {
			return true
		}
	}
	return false
}

// acceptKey computes Sec-WebSocket-Accept (RFC 6455 4.2.2).
func acceptKey(key string) string {
	h := sha1.Sum([]byte(key + "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"))
	return base64.StdEncoding.EncodeToString(h[:])
}

// replayConn is a net.Conn whose first reads return pre.
type replayConn struct {
	net.Conn
	pre []byte
}

func (c *replayConn) Read(p []byte) (int, error) {
	if len(c.pre) > 0 {
		n := copy(p, c.pre)
		c.pre = c.pre[n:]
		return n, nil
	}
	return c.Conn.Read(p)
}

// chanListener is a net.Listener fed by push, for net/http.
type chanListener struct {
	addr  net.Addr
	ch    chan net.Conn
	close chan struct{}
	once  sync.Once
}

func newChanListener(addr net.Addr) *chanListener {
	return &chanListener{addr: addr, ch: make(chan net.Conn), close: make(chan struct{})}
}

func (l *chanListener) push(c net.Conn) {
	select {
	case l.ch <- c:
	case <-l.close:
		c.Close()
	}
}

func (l *chanListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.ch:
		return c, nil
	case <-l.close:
		return nil, net.ErrClosed
	}
}

func (l *chanListener) Close() error {
	l.once.Do(func() { close(l.close) })
	return nil
}

func (l *chanListener) Addr() net.Addr { return l.addr }
