package cluster

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"
	"github.com/nats-io/nats.go"
	"github.com/nats-io/nats.go/jetstream"

	"github.com/relayd/relayd/host/config"
	"github.com/relayd/relayd/host/store"
)

// Bounds of connecting.
const (
	// embeddedReady bounds the wait for the embedded server to accept
	// clients.
	embeddedReady = 30 * time.Second
	// reconnectWait is the pause between reconnection attempts; the node
	// retries forever.
	reconnectWait = 250 * time.Millisecond
)

// Options say how a node joins its cluster.
type Options struct {
	// Config is the [cluster] table (defaults are applied by Connect).
	Config config.Cluster
	// DataDir is the node's data dir; an embedded server keeps its
	// JetStream store in DataDir/nats.
	DataDir string
	// Logger gets the connection's events (disconnected, reconnected).
	Logger *slog.Logger
}

// Conn is a node's connection to its cluster: the NATS connection, its
// JetStream context and, with embedded = true, the NATS server the node
// runs.
type Conn struct {
	cfg config.Cluster
	log *slog.Logger
	srv *server.Server
	nc  *nats.Conn
	js  jetstream.JetStream
}

// Connect starts the embedded NATS server if the config asks for one, and
// connects to NATS. The connection reconnects by itself, forever, to any
// of the configured servers; Connect fails only if the config is unusable
// or no server answers before ctx ends.
func Connect(ctx context.Context, o Options) (*Conn, error) {
	cfg := o.Config.WithDefaults()
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := &Conn{cfg: cfg, log: log.With("component", "cluster", "node", cfg.Node)}
	urls := cfg.URLs()
	if cfg.Embedded {
		srv, err := startEmbedded(cfg, o.DataDir)
		if err != nil {
			return nil, err
		}
		c.srv = srv
		urls = []string{srv.ClientURL()}
	}
	nc, err := c.dial(ctx, urls)
	if err != nil {
		c.shutdownServer()
		return nil, err
	}
	c.nc = nc
	js, err := jetstream.New(nc)
	if err != nil {
		c.Close()
		return nil, fmt.Errorf("cluster: jetstream: %w", err)
	}
	c.js = js
	return c, nil
}

// dial connects to the first server of urls that answers, retrying until
// ctx ends.
func (c *Conn) dial(ctx context.Context, urls []string) (*nats.Conn, error) {
	opts := []nats.Option{
		nats.Name("relayd " + c.cfg.Node),
		nats.MaxReconnects(-1),
		nats.ReconnectWait(reconnectWait),
		nats.DisconnectErrHandler(func(_ *nats.Conn, err error) {
			c.log.Warn("cluster: disconnected from NATS", "err", err)
		}),
		nats.ReconnectHandler(func(nc *nats.Conn) {
			c.log.Info("cluster: reconnected to NATS", "server", nc.ConnectedUrlRedacted())
		}),
	}
	for {
		nc, err := nats.Connect(strings.Join(urls, ","), opts...)
		if err == nil {
			c.log.Info("cluster: connected to NATS", "server", nc.ConnectedUrlRedacted())
			return nc, nil
		}
		select {
		case <-ctx.Done():
			return nil, fmt.Errorf("cluster: connect to %s: %w", strings.Join(urls, ","), err)
		case <-time.After(reconnectWait):
		}
	}
}

// startEmbedded runs the node's own NATS server with JetStream.
func startEmbedded(cfg config.Cluster, dataDir string) (*server.Server, error) {
	host, port, err := splitHostPort(cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("cluster: listen %q: %w", cfg.Listen, err)
	}
	opts := &server.Options{
		ServerName: cfg.Node,
		Host:       host,
		Port:       port,
		JetStream:  true,
		StoreDir:   filepath.Join(dataDir, "nats"),
		NoLog:      true,
		NoSigs:     true,
	}
	if cfg.ClusterListen != "" {
		h, p, err := splitHostPort(cfg.ClusterListen)
		if err != nil {
			return nil, fmt.Errorf("cluster: cluster_listen %q: %w", cfg.ClusterListen, err)
		}
		opts.Cluster = server.ClusterOpts{Name: "relayd-" + cfg.Stream, Host: h, Port: p}
		for _, r := range cfg.Routes {
			u, err := url.Parse(r)
			if err != nil {
				return nil, fmt.Errorf("cluster: route %q: %w", r, err)
			}
			opts.Routes = append(opts.Routes, u)
		}
	}
	srv, err := server.NewServer(opts)
	if err != nil {
		return nil, fmt.Errorf("cluster: embedded NATS server: %w", err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(embeddedReady) {
		srv.Shutdown()
		return nil, fmt.Errorf("cluster: embedded NATS server on %s not ready within %v", cfg.Listen, embeddedReady)
	}
	return srv, nil
}

func splitHostPort(addr string) (string, int, error) {
	h, p, err := net.SplitHostPort(addr)
	if err != nil {
		return "", 0, err
	}
	port, err := strconv.Atoi(p)
	if err != nil {
		return "", 0, fmt.Errorf("port %q: %w", p, err)
	}
	if port == 0 {
		port = server.RANDOM_PORT // nats-server reads 0 as its default port
	}
	return h, port, nil
}

// Config returns the [cluster] table the node runs with, defaults applied.
func (c *Conn) Config() config.Cluster { return c.cfg }

// Node returns the node's name.
func (c *Conn) Node() string { return c.cfg.Node }

// NATS returns the node's NATS connection.
func (c *Conn) NATS() *nats.Conn { return c.nc }

// JetStream returns the node's JetStream context.
func (c *Conn) JetStream() jetstream.JetStream { return c.js }

// Bucket returns the name of the shared bucket (key-value or object
// store) called name: the stream's name, '_', name.
func (c *Conn) Bucket(name string) string { return c.cfg.Stream + "_" + name }

// Subject returns the subject of the stream's token path: the stream's
// name, '.', the tokens joined by '.'.
func (c *Conn) Subject(tokens ...string) string {
	return c.cfg.Stream + "." + strings.Join(tokens, ".")
}

// Connected reports whether the NATS connection is up right now.
func (c *Conn) Connected() bool { return c.nc != nil && c.nc.IsConnected() }

// Embedded returns the NATS server the node runs, or nil.
func (c *Conn) Embedded() *server.Server { return c.srv }

// Close drains nothing: it closes the NATS connection and shuts the
// embedded server down.
func (c *Conn) Close() error {
	if c.nc != nil {
		c.nc.Close()
	}
	c.shutdownServer()
	return nil
}

func (c *Conn) shutdownServer() {
	if c.srv != nil {
		c.srv.Shutdown()
		c.srv.WaitForShutdown()
	}
}

// ErrUnavailable is what a node answers when JetStream does not
// acknowledge in time: the client gets OK false "error: cluster
// unavailable", never an OK true that is not replicated.
// It is store.ErrUnavailable, which the relay maps to that answer.
var ErrUnavailable = store.ErrUnavailable
