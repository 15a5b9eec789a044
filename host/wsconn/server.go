package wsconn

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gobwas/ws"

	"github.com/relayd/relayd/host/limits"
)

// Options configure a Server. Zero values get the defaults of
// host/limits (MaxMessageBytes, QueueBytes, WriteTimeout, PingInterval;
// IdleTimeout three PingIntervals) or the one noted.
type Options struct {
	// MaxMessageBytes bounds one message, fragments included.
	MaxMessageBytes int
	// QueueBytes bounds the payload bytes queued to one connection; a
	// client over it is disconnected.
	QueueBytes int
	// WriteTimeout bounds one socket write.
	WriteTimeout time.Duration
	// PingInterval is how long a connection may be silent before the
	// server pings it.
	PingInterval time.Duration
	// IdleTimeout closes a connection from which nothing, not even a pong,
	// arrived for this long.
	IdleTimeout time.Duration
	// ReadBufferBytes is the size of the large shared read buffers a busy
	// connection switches to after filling a small one (64 KiB).
	ReadBufferBytes int
	// Logger receives one line per abnormal close.
	Logger *slog.Logger
}

func (o *Options) setDefaults() {
	def := limits.Default()
	if o.MaxMessageBytes <= 0 {
		o.MaxMessageBytes = def.MaxMessageBytes
	}
	if o.QueueBytes <= 0 {
		o.QueueBytes = def.QueueBytes
	}
	if o.WriteTimeout <= 0 {
		o.WriteTimeout = def.WriteTimeout
	}
	if o.PingInterval <= 0 {
		o.PingInterval = def.PingInterval
	}
	if o.IdleTimeout <= 0 {
		o.IdleTimeout = 3 * o.PingInterval
	}
	if o.ReadBufferBytes <= 0 {
		o.ReadBufferBytes = 64 << 10
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
}

// Handler receives what arrives on connections.
type Handler interface {
	// OnOpen is called once per connection, before any OnMessage. It may
	// send (a greeting is queued ahead of every reply).
	OnOpen(c *Conn)
	// OnMessage is called with each complete data message, in arrival
	// order, never concurrently for one connection. msg is valid only
	// during the call. OnMessage may block (that stops reading from this
	// connection only).
	OnMessage(c *Conn, msg []byte)
	// OnTooLarge is called, in message order, for a message over
	// MaxMessageBytes, which was read past without being buffered. head
	// holds its first bytes (up to 512), size its length. The connection
	// stays open.
	OnTooLarge(c *Conn, head []byte, size int64)
	// OnClose is called once per connection after it is closed and after
	// the last OnMessage returned.
	OnClose(c *Conn, reason CloseReason)
}

// Server owns upgraded websocket connections: it reads them (on Linux
// through one epoll set, without a goroutine per idle connection; on other
// systems with one blocking reader goroutine each, see Reader) and writes
// them through one bounded queue each. It is safe for concurrent use.
type Server struct {
	opts    Options                 // as NewServer got them; Logger and ReadBufferBytes hold for good
	conns   atomic.Pointer[Options] // what connections served from now on get (SetOptions)
	h       Handler
	poll    *poller
	nextID  atomic.Uint64
	now     atomic.Int64 // coarse clock, unix nanoseconds
	shards  [64]connShard
	count   atomic.Int64
	rsmall  sync.Pool // small read buffers: most reads are one small message
	rbufs   sync.Pool // large read buffers for busy connections
	wbufs   sync.Pool
	fl      flusher
	inline  sync.Pool    // *inlineFlusher, for Batch (epoll build)
	writers atomic.Int64 // writer goroutines started
	// passes hands read passes to reader goroutines parked after their
	// last pass (epoll build; see reader), at most maxIdle of them.
	passes      chan *Conn
	idleReaders atomic.Int32
	maxIdle     int32
	done        chan struct{}
	closing     atomic.Bool
	once        sync.Once
	wg          sync.WaitGroup
}

// flusher is the server's writer of connections whose queue became
// non-empty (Linux with the epoll reader; see flushLoop). Its lock nests
// inside Conn.mu.
type flusher struct {
	mu      sync.Mutex
	ready   []*Conn       // connections whose writer role the flusher holds, in order
	idle    bool          // the flusher waits on wake
	stopped bool          // the server closed: new writers are goroutines
	wake    chan struct{} // capacity 1

	hold      int     // Batch calls running: their readied connections wait for them
	lastBatch int64   // unix nanoseconds when the last Batch ended
	spare     []*Conn // a ready list for reuse
}

type connShard struct {
	mu sync.Mutex
	m  map[uint64]*Conn
}

// ErrServerClosed is returned by Serve after Shutdown or Close.
var ErrServerClosed = errors.New("wsconn: server closed")

// NewServer starts a server's poller and housekeeping goroutines.
func NewServer(opts Options, h Handler) (*Server, error) {
	opts.setDefaults()
	p, err := newPoller()
	if err != nil {
		return nil, err
	}
	s := &Server{opts: opts, h: h, poll: p, done: make(chan struct{}), passes: make(chan *Conn),
		maxIdle: int32(2 * runtime.GOMAXPROCS(0))}
	s.conns.Store(&opts)
	for i := range s.shards {
		s.shards[i].m = make(map[uint64]*Conn)
	}
	rb := opts.ReadBufferBytes
	s.rsmall.New = func() any { b := make([]byte, smallRead); return &b }
	s.rbufs.New = func() any { b := make([]byte, rb); return &b }
	s.wbufs.New = func() any { b := make([]byte, 0, smallWrite); return &b }
	s.now.Store(time.Now().UnixNano())
	s.wg.Add(1)
	go s.sweep()
	s.startFlusher()
	s.startPoller()
	return s, nil
}

// SetOptions sets the options of the connections served from now on:
// MaxMessageBytes, QueueBytes, WriteTimeout, PingInterval and IdleTimeout
// (zero values get the defaults). Open connections keep the options they
// were served with. ReadBufferBytes and Logger are NewServer's for good.
func (s *Server) SetOptions(o Options) {
	o.ReadBufferBytes, o.Logger = s.opts.ReadBufferBytes, s.opts.Logger
	o.setDefaults()
	s.conns.Store(&o)
}

// Len returns the number of open connections.
func (s *Server) Len() int { return int(s.count.Load()) }

// Serve takes over an upgraded connection. buffered holds bytes already read
// past the handshake (they are processed first). value is attached to the
// Conn for the handler (Conn.Value). Handler.OnOpen runs before Serve
// starts reading; OnMessage calls may begin before Serve returns.
func (s *Server) Serve(nc net.Conn, buffered []byte, value any) (*Conn, error) {
	if s.closing.Load() {
		nc.Close()
		return nil, ErrServerClosed
	}
	c := &Conn{srv: s, o: s.conns.Load(), id: s.nextID.Add(1), nc: nc, value: value, pongAt: -1}
	c.lastRead.Store(s.now.Load())
	c.reading = true // the first read below owns the reader role
	s.put(c)
	if err := s.attach(c); err != nil {
		s.del(c.id)
		nc.Close()
		return nil, err
	}
	if len(buffered) > 0 {
		buffered = append([]byte(nil), buffered...)
	}
	s.h.OnOpen(c)
	c.startReading(buffered)
	return c, nil
}

func (s *Server) shard(id uint64) *connShard { return &s.shards[id%uint64(len(s.shards))] }

func (s *Server) put(c *Conn) {
	sh := s.shard(c.id)
	sh.mu.Lock()
	sh.m[c.id] = c
	sh.mu.Unlock()
	s.count.Add(1)
}

func (s *Server) del(id uint64) {
	sh := s.shard(id)
	sh.mu.Lock()
	if _, ok := sh.m[id]; ok {
		delete(sh.m, id)
		s.count.Add(-1)
	}
	sh.mu.Unlock()
}

func (s *Server) get(id uint64) *Conn {
	sh := s.shard(id)
	sh.mu.Lock()
	c := sh.m[id]
	sh.mu.Unlock()
	return c
}

// each calls fn for every open connection (a snapshot per shard).
func (s *Server) each(fn func(c *Conn)) {
	var buf []*Conn
	for i := range s.shards {
		sh := &s.shards[i]
		sh.mu.Lock()
		buf = buf[:0]
		for _, c := range sh.m {
			buf = append(buf, c)
		}
		sh.mu.Unlock()
		for _, c := range buf {
			fn(c)
		}
	}
}

// sweep keeps the coarse clock, pings quiet connections and closes idle ones.
func (s *Server) sweep() {
	defer s.wg.Done()
	t := time.NewTicker(time.Second)
	defer t.Stop()
	for {
		select {
		case <-s.done:
			return
		case now := <-t.C:
			n := now.UnixNano()
			s.now.Store(n)
			s.each(func(c *Conn) {
				ping, idle := int64(c.o.PingInterval), int64(c.o.IdleTimeout)
				quiet := n - c.lastRead.Load()
				switch {
				case quiet > idle:
					c.Close(ReasonIdle, "")
				case quiet > ping && n-c.lastPing.Load() > ping:
					c.lastPing.Store(n)
					c.ping()
				}
			})
		}
	}
}

// Shutdown sends every connection a close frame after its queued messages,
// waits until all are closed or ctx ends, then cuts the rest. New Serve
// calls fail.
func (s *Server) Shutdown(ctx context.Context) error {
	s.closing.Store(true)
	s.each(func(c *Conn) { c.Close(ReasonShutdown, "relay shutting down") })
	t := time.NewTicker(10 * time.Millisecond)
	defer t.Stop()
	var err error
wait:
	for s.count.Load() > 0 {
		select {
		case <-ctx.Done():
			err = ctx.Err()
			break wait
		case <-t.C:
		}
	}
	s.Close()
	return err
}

// Close cuts every connection and stops the server.
func (s *Server) Close() {
	s.once.Do(func() {
		s.closing.Store(true)
		s.each(func(c *Conn) { c.abort(ReasonShutdown, nil) })
		close(s.done)
		s.poll.close()
		s.wg.Wait()
		s.poll.release()
	})
}

// Upgrade performs the websocket handshake on an HTTP request and hands the
// connection to Serve. On failure the handshake response has been written.
func (s *Server) Upgrade(w http.ResponseWriter, r *http.Request, value any) (*Conn, error) {
	u := ws.HTTPUpgrader{Timeout: s.conns.Load().WriteTimeout}
	nc, rw, _, err := u.Upgrade(r, w)
	if err != nil {
		return nil, fmt.Errorf("wsconn: upgrade: %w", err)
	}
	var buffered []byte
	if rw != nil && rw.Reader.Buffered() > 0 {
		buffered, _ = rw.Reader.Peek(rw.Reader.Buffered())
	}
	return s.Serve(nc, buffered, value)
}
