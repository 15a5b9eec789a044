package relay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"time"

	"github.com/relayd/relayd/host/envelope"
	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/host/wsconn"
)

// session is the relay's state for one client connection.
//
// Messages from one connection are handled one at a time, in order, by the
// connection's reader (wsconn guarantees it). Replies that complete later
// (an OK after the store's commit) keep their order through the reply
// chain in reply.go.
type session struct {
	r         *Relay
	conn      *wsconn.Conn
	ps        *policy.Session
	challenge string
	host      string // Host header, for NIP-42 relay URL checks

	mu     sync.Mutex // guards subs, negs and the reply chain
	subs   map[string]*sub
	negs   map[string]*negSession // NIP-77 sessions (neg.go)
	chain  replyChain
	closed bool

	// negSerial numbers the NIP-77 sessions; only the reader writes it.
	negSerial uint64
}

// handler adapts Relay to wsconn.Handler without exporting the methods.
type handler Relay

func (h *handler) OnOpen(c *wsconn.Conn) {
	s := c.Value().(*session)
	s.conn = c
	s.send(envelope.AppendAuth(nil, s.challenge))
}

func (h *handler) OnMessage(c *wsconn.Conn, msg []byte) {
	c.Value().(*session).onMessage(msg)
}

func (h *handler) OnClose(c *wsconn.Conn, reason wsconn.CloseReason) {
	s := c.Value().(*session)
	r := (*Relay)(h)
	s.mu.Lock()
	s.closed = true
	s.subs = nil
	s.mu.Unlock()
	s.closeNegs()
	r.subs.RemoveSession(s.ps.ID)
	r.stats.Connections.Add(-1)
	if ch := r.chain.Load(); ch.Has(policy.HookClose) {
		ch.Close(context.Background(), s.ps)
	}
}

func isUpgrade(req *http.Request) bool {
	return strings.EqualFold(req.Header.Get("Upgrade"), "websocket")
}

func setCORS(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Headers", "*")
	h.Set("Access-Control-Allow-Methods", "GET, OPTIONS")
}

// upgrade runs the connect hook, then hands the websocket to wsconn. It
// serves relays mounted on a net/http server (ServeHTTP).
func (r *Relay) upgrade(w http.ResponseWriter, req *http.Request) {
	s, status, reason := r.newSession(req.RemoteAddr, req.Host, req.Header)
	if status != 0 {
		http.Error(w, reason, status)
		return
	}
	// OnOpen attaches the connection and queues the AUTH challenge before
	// the first message is read.
	if _, err := r.ws.Upgrade(w, req, s); err != nil {
		r.stats.Connections.Add(-1)
		r.log.Debug("upgrade failed", "remote", req.RemoteAddr, "err", err)
	}
}

// upgradeFunc is upgrade for wsconn's own handshake reader (Serve).
func (r *Relay) upgradeFunc(req *wsconn.Request) (any, int, string) {
	s, status, reason := r.newSession(req.RemoteAddr, req.Host, req.Header)
	if status != 0 {
		return nil, status, reason
	}
	return s, 0, ""
}

// newSession admits a connection: the connection cap, then the connect
// hook. It returns the session, or an HTTP status and reason to refuse.
func (r *Relay) newSession(remote, host string, h http.Header) (*session, int, string) {
	if int(r.stats.Connections.Load()) >= r.opts.MaxConnections {
		return nil, http.StatusServiceUnavailable, "too many connections"
	}
	ps := &policy.Session{
		ID:          r.sessionID.Add(1),
		IP:          r.clientIP(remote, h),
		ConnectedAt: time.Now().Unix(),
		Headers:     selectHeaders(h),
	}
	if ch := r.chain.Load(); ch.Has(policy.HookConnect) {
		if v := ch.Connect(context.Background(), &policy.ConnInput{Session: ps}); v.Final() {
			if v.Action == policy.RateLimited {
				return nil, http.StatusTooManyRequests, v.Reason()
			}
			return nil, http.StatusForbidden, v.Reason()
		}
	}
	r.stats.Connections.Add(1)
	return &session{r: r, ps: ps, challenge: newChallenge(), host: host, subs: map[string]*sub{}}, 0, ""
}

func newChallenge() string {
	var b [16]byte
	rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

func selectHeaders(h http.Header) map[string]string {
	out := make(map[string]string, 3)
	for _, k := range []string{"Origin", "User-Agent", "X-Forwarded-For"} {
		if v := h.Get(k); v != "" {
			out[strings.ToLower(k)] = v
		}
	}
	return out
}

// clientIP returns the peer address, or the proxy's view of it when the
// relay is told to trust a proxy.
func (r *Relay) clientIP(remote string, h http.Header) netip.Addr {
	if r.opts.TrustProxy {
		if v := h.Get("X-Real-IP"); v != "" {
			if a, err := netip.ParseAddr(strings.TrimSpace(v)); err == nil {
				return a.Unmap()
			}
		}
		if v := h.Get("X-Forwarded-For"); v != "" {
			first, _, _ := strings.Cut(v, ",")
			if a, err := netip.ParseAddr(strings.TrimSpace(first)); err == nil {
				return a.Unmap()
			}
		}
	}
	host, _, err := net.SplitHostPort(remote)
	if err != nil {
		host = remote
	}
	a, _ := netip.ParseAddr(host)
	return a.Unmap()
}

func (h *handler) OnTooLarge(c *wsconn.Conn, head []byte, size int64) {
	c.Value().(*session).tooLarge(head, size)
}
