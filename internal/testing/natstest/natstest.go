// Package natstest runs real NATS servers with JetStream in-process for
// tests: one server, or a cluster of several routed to each other on
// 127.0.0.1, each with its own JetStream store in a temporary directory.
// A server can be stopped and started again on the same ports and store,
// which is what the cluster's failure tests need.
package natstest

import (
	"fmt"
	"net"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/nats-io/nats-server/v2/server"
)

// readyTimeout bounds how long a server may take to accept clients.
const readyTimeout = 30 * time.Second

// Server is one NATS server of a test.
type Server struct {
	// Name is the server's name (unique in its cluster).
	Name string
	// URL is the client URL, nats://127.0.0.1:PORT.
	URL string

	t    testing.TB
	opts server.Options
	srv  *server.Server
}

// Cluster is a set of routed servers forming one JetStream cluster.
type Cluster struct {
	// Servers are the cluster's servers, in start order.
	Servers []*Server
}

// URLs returns the client URLs of every server, comma-separated, as a
// [cluster] nats_url takes them.
func (c *Cluster) URLs() string {
	urls := make([]string, len(c.Servers))
	for i, s := range c.Servers {
		urls[i] = s.URL
	}
	return strings.Join(urls, ",")
}

// Start runs one JetStream server; it shuts down when the test ends.
func Start(t testing.TB) *Server {
	t.Helper()
	return StartCluster(t, 1).Servers[0]
}

// StartCluster runs n JetStream servers routed to each other (for n > 1,
// a JetStream cluster named "relayd-test") and waits until each accepts
// clients and, for a cluster, until JetStream has a meta leader. They shut
// down when the test ends.
func StartCluster(t testing.TB, n int) *Cluster {
	t.Helper()
	clientPorts := freePorts(t, n)
	var routePorts []int
	if n > 1 {
		routePorts = freePorts(t, n)
	}
	c := &Cluster{}
	for i := 0; i < n; i++ {
		s := &Server{t: t, Name: fmt.Sprintf("nats-%d", i+1)}
		s.opts = server.Options{
			ServerName: s.Name,
			Host:       "127.0.0.1",
			Port:       clientPorts[i],
			JetStream:  true,
			StoreDir:   t.TempDir(),
			NoLog:      true,
			NoSigs:     true,
		}
		if n > 1 {
			s.opts.Cluster = server.ClusterOpts{Name: "relayd-test", Host: "127.0.0.1", Port: routePorts[i]}
			for j, p := range routePorts {
				if j != i {
					s.opts.Routes = append(s.opts.Routes, &url.URL{Scheme: "nats", Host: fmt.Sprintf("127.0.0.1:%d", p)})
				}
			}
		}
		s.URL = fmt.Sprintf("nats://127.0.0.1:%d", clientPorts[i])
		c.Servers = append(c.Servers, s)
	}
	for _, s := range c.Servers {
		s.Restart()
	}
	if n > 1 {
		c.waitMetaLeader()
	}
	return c
}

// waitMetaLeader waits until one running server is JetStream's meta
// leader and every running server is current with it.
func (c *Cluster) waitMetaLeader() {
	t := c.Servers[0].t
	t.Helper()
	deadline := time.Now().Add(readyTimeout)
	for !c.metaReady() {
		if time.Now().After(deadline) {
			t.Fatalf("natstest: no JetStream meta leader after %v", readyTimeout)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// WaitReady waits until the running servers have a JetStream meta leader
// again (after Stop or Restart of one of them).
func (c *Cluster) WaitReady() { c.waitMetaLeader() }

func (c *Cluster) metaReady() bool {
	leader := false
	for _, s := range c.Servers {
		if s.srv == nil || !s.srv.Running() {
			continue
		}
		if !s.srv.JetStreamIsCurrent() {
			return false
		}
		leader = leader || s.srv.JetStreamIsLeader()
	}
	return leader
}

// Restart starts the server (again) on its ports and store, and waits
// until it accepts clients. It shuts down when the test ends.
func (s *Server) Restart() {
	s.t.Helper()
	if s.srv != nil && s.srv.Running() {
		s.t.Fatalf("natstest: %s is running", s.Name)
	}
	opts := s.opts // the server keeps and changes its options
	srv, err := server.NewServer(&opts)
	if err != nil {
		s.t.Fatalf("natstest: %s: %v", s.Name, err)
	}
	go srv.Start()
	if !srv.ReadyForConnections(readyTimeout) {
		srv.Shutdown()
		s.t.Fatalf("natstest: %s did not accept clients within %v", s.Name, readyTimeout)
	}
	s.srv = srv
	s.t.Cleanup(func() { s.stop() })
}

// Stop shuts the server down, as a crash of its process would end it for
// its clients (its store stays for Restart).
func (s *Server) Stop() {
	s.t.Helper()
	if s.srv == nil || !s.srv.Running() {
		s.t.Fatalf("natstest: %s is not running", s.Name)
	}
	s.stop()
}

func (s *Server) stop() {
	if s.srv != nil {
		s.srv.Shutdown()
		s.srv.WaitForShutdown()
	}
}

// NATS returns the running server itself (monitoring calls, Jsz).
func (s *Server) NATS() *server.Server { return s.srv }

// freePorts returns n loopback TCP ports that were free a moment ago.
func freePorts(t testing.TB, n int) []int {
	t.Helper()
	ports := make([]int, 0, n)
	var ls []net.Listener
	for i := 0; i < n; i++ {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatalf("natstest: free port: %v", err)
		}
		ls = append(ls, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	for _, l := range ls {
		l.Close()
	}
	return ports
}
