package relay

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
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
	host      string // public host[:port], for NIP-42 relay URL checks
	scheme    string // public scheme (ws, wss) if a trusted proxy said it

	mu    sync.Mutex // guards subs, negs and the reply chain
	subs  map[string]*sub
	negs  map[string]*negSession // NIP-77 sessions (neg.go)
	chain replyChain

	dq     deliveryQueue // live events waiting for the deliver hook
	closed atomic.Bool   // the connection closed: drop queued deliveries

	// admitted: the connect hook let the session in (or it came while the
	// relay was starting, and lateConnect has since). Only then does the
	// close hook run, so the two pair up. refused is the reader's.
	admitted atomic.Bool
	refused  bool

	// negSerial numbers the NIP-77 sessions; only the reader writes it.
	negSerial uint64

	// recvAt is when the reader read the message it is handling; okLater
	// says the EVENT being handled gets its OK when the store commits
	// (metrics.go). Both are the reader's.
	recvAt  time.Time
	okLater bool
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
	s.closed.Store(true)
	s.mu.Lock()
	s.subs = nil
	s.mu.Unlock()
	s.closeNegs()
	r.subs.RemoveSession(s.ps.ID)
	r.stats.Connections.Add(-1)
	if reason == wsconn.ReasonQueueFull {
		r.stats.SlowReadersCut.Add(1)
	}
	if ch := r.chain.Load(); ch.Has(policy.HookClose) && s.admitted.Load() {
		ch.Close(context.Background(), s.ps)
	}
}

func isUpgrade(req *http.Request) bool {
	return strings.EqualFold(req.Header.Get("Upgrade"), "websocket")
}

func setCORS(h http.Header) {
	h.Set("Access-Control-Allow-Origin", "*")
	h.Set("Access-Control-Allow-Headers", "Authorization, *") // "*" does not cover Authorization (NIP-86 from a browser)
	h.Set("Access-Control-Allow-Methods", "GET, POST, OPTIONS")
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
	if int(r.stats.Connections.Load()) >= r.cur().lim.MaxConnections {
		return nil, http.StatusServiceUnavailable, "too many connections"
	}
	o := r.originOf(remote, host, h)
	ps := &policy.Session{
		ID:          r.sessionID.Add(1),
		IP:          o.ip,
		ConnectedAt: time.Now().Unix(),
		Headers:     selectHeaders(h),
	}
	starting := r.starting.Load()
	if ch := r.chain.Load(); ch.Has(policy.HookConnect) && !starting {
		if v := ch.Connect(context.Background(), &policy.ConnInput{Session: ps}); v.Final() {
			if v.Action == policy.RateLimited {
				return nil, http.StatusTooManyRequests, v.Reason()
			}
			return nil, http.StatusForbidden, v.Reason()
		}
	}
	r.stats.Connections.Add(1)
	s := &session{r: r, ps: ps, challenge: newChallenge(), host: o.host, scheme: o.scheme, subs: map[string]*sub{}}
	s.admitted.Store(!starting)
	return s, 0, ""
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

func (h *handler) OnTooLarge(c *wsconn.Conn, head []byte, size int64) {
	c.Value().(*session).tooLarge(head, size)
}
