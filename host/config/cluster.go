package config

import (
	"fmt"
	"net"
	"net/url"
	"regexp"
	"strings"
	"time"
)

// Cluster is the [cluster] table: several relayd nodes acting as one
// relay through NATS JetStream (host/cluster). Absent, relayd runs alone.
type Cluster struct {
	// NATSURL is one NATS client URL or a comma-separated list; the node
	// fails over between them. Either it or Embedded is set.
	NATSURL string `toml:"nats_url"`
	// Embedded runs a NATS server with JetStream inside relayd (its store
	// under the data dir, in nats/), listening on Listen for clients and
	// on ClusterListen for the Routes of the other nodes' embedded
	// servers: a small cluster without a separate NATS.
	Embedded bool `toml:"embedded"`
	// Listen is the embedded server's client address (default
	// 127.0.0.1:4222).
	Listen string `toml:"listen"`
	// ClusterListen is the embedded server's route address; set it, and
	// Routes, for more than one embedded server.
	ClusterListen string `toml:"cluster_listen"`
	// Routes are the other embedded servers' route URLs
	// (nats://HOST:PORT).
	Routes []string `toml:"routes"`
	// Node names this node, unique in the cluster (letters, digits, '-'
	// and '_').
	Node string `toml:"node"`
	// Replicas is the number of copies JetStream keeps of the event
	// stream and the shared state (1 to 5; 3 survives the loss of one
	// NATS server).
	Replicas int `toml:"replicas"`
	// Stream is the JetStream stream's name (default RELAYD_EVENTS); the
	// nodes of one relay share it, and the names of the shared buckets
	// derive from it.
	Stream string `toml:"stream"`
	// MaxAge is how long the stream keeps an event (default 7 days); a
	// node away for longer catches up by negentropy with another node.
	MaxAge Duration `toml:"max_age"`
	// MaxBytes bounds the stream's size in bytes (0: no bound but
	// MaxAge); the oldest events go first.
	MaxBytes int64 `toml:"max_bytes"`
	// PublishTimeout bounds the wait for JetStream's acknowledgement of
	// an EVENT (default 5s); past it the client gets
	// OK false "error: cluster unavailable".
	PublishTimeout Duration `toml:"publish_timeout"`
	// URL is this node's websocket URL as the other nodes reach it
	// (ws:// or wss://), published in the nodes bucket: a node whose gap
	// is older than the stream's retention catches up from it by
	// negentropy. Default ws://ADDR of the listener.
	URL string `toml:"url"`

	// Shared policy state (host/cluster/sharedstate).

	// StateLeaseWait bounds how long a plugin's bucket take (sdk.Take)
	// waits for a lease of tokens from the cluster before it is answered
	// from the node's own bucket (default 20ms); keep it well under
	// plugin_timeout.
	StateLeaseWait Duration `toml:"state_lease_wait"`
}

// Cluster defaults.
const (
	DefaultClusterStream  = "RELAYD_EVENTS"
	DefaultClusterListen  = "127.0.0.1:4222"
	DefaultClusterMaxAge  = 7 * 24 * time.Hour
	DefaultPublishTimeout = 5 * time.Second
)

// Enabled reports whether a [cluster] table turns clustering on.
func (c Cluster) Enabled() bool { return c.NATSURL != "" || c.Embedded }

// WithDefaults returns c with the unset values at their defaults.
func (c Cluster) WithDefaults() Cluster {
	if c.Stream == "" {
		c.Stream = DefaultClusterStream
	}
	if c.Replicas == 0 {
		c.Replicas = 1
	}
	if c.MaxAge.Duration == 0 {
		c.MaxAge.Duration = DefaultClusterMaxAge
	}
	if c.PublishTimeout.Duration == 0 {
		c.PublishTimeout.Duration = DefaultPublishTimeout
	}
	if c.Embedded && c.Listen == "" {
		c.Listen = DefaultClusterListen
	}
	return c
}

// URLs returns the NATS client URLs of NATSURL, split at commas.
func (c Cluster) URLs() []string {
	var urls []string
	for _, u := range strings.Split(c.NATSURL, ",") {
		if u = strings.TrimSpace(u); u != "" {
			urls = append(urls, u)
		}
	}
	return urls
}

var (
	clusterName = regexp.MustCompile(`^[A-Za-z0-9_-]{1,64}$`)
	streamName  = regexp.MustCompile(`^[A-Za-z0-9_-]{1,32}$`)
)

// validateCluster checks the [cluster] table, naming each bad key as
// cluster.key.
func (c Config) validateCluster() []error {
	cl := c.Cluster
	if !cl.Enabled() {
		if cl.Node != "" || cl.Listen != "" || len(cl.Routes) > 0 || cl.ClusterListen != "" {
			return []error{fmt.Errorf("cluster: set nats_url or embedded = true to turn clustering on")}
		}
		return nil
	}
	var errs []error
	if cl.NATSURL != "" && cl.Embedded {
		errs = append(errs, fmt.Errorf("cluster: nats_url and embedded are exclusive (an embedded node connects to its own server)"))
	}
	for _, u := range cl.URLs() {
		if p, err := url.Parse(u); err != nil || (p.Scheme != "nats" && p.Scheme != "tls") || p.Host == "" {
			errs = append(errs, fmt.Errorf("cluster.nats_url %q is not a nats:// or tls:// URL", u))
		}
	}
	if !clusterName.MatchString(cl.Node) {
		errs = append(errs, fmt.Errorf("cluster.node %q must be 1 to 64 letters, digits, '-' or '_'", cl.Node))
	}
	if cl.Replicas < 0 || cl.Replicas > 5 {
		errs = append(errs, fmt.Errorf("cluster.replicas must be 1 to 5, got %d", cl.Replicas))
	}
	if cl.Stream != "" && !streamName.MatchString(cl.Stream) {
		errs = append(errs, fmt.Errorf("cluster.stream %q must be 1 to 32 letters, digits, '-' or '_'", cl.Stream))
	}
	if cl.MaxAge.Duration < 0 || cl.MaxBytes < 0 || cl.PublishTimeout.Duration < 0 {
		errs = append(errs, fmt.Errorf("cluster: max_age, max_bytes and publish_timeout must not be negative"))
	}
	if cl.URL != "" {
		if p, err := url.Parse(cl.URL); err != nil || (p.Scheme != "ws" && p.Scheme != "wss") || p.Host == "" {
			errs = append(errs, fmt.Errorf("cluster.url %q is not a ws:// or wss:// URL", cl.URL))
		}
	}
	for _, a := range []struct{ key, v string }{{"listen", cl.Listen}, {"cluster_listen", cl.ClusterListen}} {
		if a.v == "" {
			continue
		}
		if !cl.Embedded {
			errs = append(errs, fmt.Errorf("cluster.%s is for an embedded server (embedded = true)", a.key))
		} else if _, _, err := net.SplitHostPort(a.v); err != nil {
			errs = append(errs, fmt.Errorf("cluster.%s %q: %w", a.key, a.v, err))
		}
	}
	if len(cl.Routes) > 0 && (!cl.Embedded || cl.ClusterListen == "") {
		errs = append(errs, fmt.Errorf("cluster.routes need embedded = true and cluster_listen"))
	}
	for i, r := range cl.Routes {
		if p, err := url.Parse(r); err != nil || p.Scheme != "nats" || p.Host == "" {
			errs = append(errs, fmt.Errorf("cluster.routes[%d] %q is not a nats://HOST:PORT URL", i, r))
		}
	}
	errs = append(errs, c.validateClusterState()...)
	return errs
}

// validateClusterState checks the shared state's keys.
func (c Config) validateClusterState() []error {
	w := c.Cluster.StateLeaseWait.Duration
	if w < 0 || c.PluginTimeout.Duration > 0 && w >= c.PluginTimeout.Duration {
		return []error{fmt.Errorf("cluster.state_lease_wait %v must be at least 0 and under plugin_timeout %v", w, c.PluginTimeout.Duration)}
	}
	return nil
}
