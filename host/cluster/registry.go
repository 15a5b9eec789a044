package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// NodesBucket is the key-value bucket (Conn.Bucket) where each node
// publishes what it is: its NodeInfo under its name.
const NodesBucket = "NODES"

// NodeInfo is what a node says about itself in the nodes bucket: where
// other nodes and tools reach it, and what it runs.
type NodeInfo struct {
	// Node is the node's name.
	Node string `json:"node"`
	// URL is the node's relay URL (ws://, for negentropy catch-up by
	// another node), if known.
	URL string `json:"url,omitempty"`
	// Version is the relayd version it runs.
	Version string `json:"version,omitempty"`
	// Updated is when the node last wrote its entry.
	Updated time.Time `json:"updated"`
	// Plugins are the plugins it runs, in chain order.
	Plugins []NodePlugin `json:"plugins,omitempty"`
	// LastSeq is the last stream sequence it applied.
	LastSeq uint64 `json:"last_seq,omitempty"`
}

// NodePlugin is one plugin a node runs.
type NodePlugin struct {
	// Name is the plugin's name.
	Name string `json:"name"`
	// SHA256 is the hex sha256 of its .wasm.
	SHA256 string `json:"sha256"`
	// Source is "local" (the node's plugin directory) or "pushed" (the
	// cluster's object store).
	Source string `json:"source"`
	// Failed is the hex sha256 of a version that failed to load on the
	// node (it runs SHA256, the previous version, or none); Error says
	// why.
	Failed string `json:"failed,omitempty"`
	// Error is why Failed did not load.
	Error string `json:"error,omitempty"`
}

// nodes opens (creating it if needed) the nodes bucket. An existing
// bucket is opened as it is: a client with another replicas setting (a
// relayd plugin ls run with defaults) must not change it.
func (c *Conn) nodes(ctx context.Context) (jetstream.KeyValue, error) {
	kv, err := c.js.KeyValue(ctx, c.Bucket(NodesBucket))
	if err == nil {
		return kv, nil
	}
	if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("cluster: nodes bucket: %w", err)
	}
	kv, err = c.js.CreateOrUpdateKeyValue(ctx, jetstream.KeyValueConfig{
		Bucket:   c.Bucket(NodesBucket),
		Replicas: c.cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: nodes bucket: %w", err)
	}
	return kv, nil
}

// PutNode writes info (its Node set to this node, Updated to now) to the
// nodes bucket.
func (c *Conn) PutNode(ctx context.Context, info NodeInfo) error {
	kv, err := c.nodes(ctx)
	if err != nil {
		return err
	}
	info.Node = c.cfg.Node
	info.Updated = time.Now().UTC()
	b, err := json.Marshal(info)
	if err != nil {
		return fmt.Errorf("cluster: node info: %w", err)
	}
	if _, err := kv.Put(ctx, info.Node, b); err != nil {
		return fmt.Errorf("cluster: put node %s: %w", info.Node, err)
	}
	return nil
}

// Nodes returns every node's entry, by name.
func (c *Conn) Nodes(ctx context.Context) ([]NodeInfo, error) {
	kv, err := c.nodes(ctx)
	if err != nil {
		return nil, err
	}
	keys, err := c.nodeKeys(ctx)
	if err != nil {
		return nil, err
	}
	var out []NodeInfo
	for _, k := range keys {
		e, err := kv.Get(ctx, k)
		if errors.Is(err, jetstream.ErrKeyNotFound) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("cluster: node %s: %w", k, err)
		}
		var info NodeInfo
		if err := json.Unmarshal(e.Value(), &info); err != nil {
			return nil, fmt.Errorf("cluster: node %s: %w", k, err)
		}
		out = append(out, info)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Node < out[j].Node })
	return out, nil
}

// nodeKeys lists the nodes bucket's keys from its stream's state, which
// the server reads at once. kv.Keys walks a consumer instead, and misses
// a key rewritten while it walks (the old value is gone, the new one
// comes after the walk ends): every node rewrites its entry at each
// reload, so a listing could miss a node.
func (c *Conn) nodeKeys(ctx context.Context) ([]string, error) {
	bucket := c.Bucket(NodesBucket)
	st, err := c.js.Stream(ctx, "KV_"+bucket)
	if err != nil {
		return nil, fmt.Errorf("cluster: list nodes: %w", err)
	}
	prefix := "$KV." + bucket + "."
	info, err := st.Info(ctx, jetstream.WithSubjectFilter(prefix+">"))
	if err != nil {
		return nil, fmt.Errorf("cluster: list nodes: %w", err)
	}
	keys := make([]string, 0, len(info.State.Subjects))
	for subj := range info.State.Subjects {
		keys = append(keys, strings.TrimPrefix(subj, prefix))
	}
	sort.Strings(keys)
	return keys, nil
}
