package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"github.com/relayd/relayd/host/cluster"
	"github.com/relayd/relayd/host/wasmhost"
)

// Bounds of the pushed plugins' sync.
const (
	// pluginPull bounds the first copy of the pushed plugins at start
	// (before the first load); past it the node loads what it has on disk
	// and the watch catches up.
	pluginPull = 30 * time.Second
	// pluginRetry is the pause before the sync retries a failed watch,
	// copy or nodes-bucket write.
	pluginRetry = time.Second
	// pluginOp bounds one copy of the object store or one nodes-bucket
	// write.
	pluginOp = 30 * time.Second
)

// pushedDirName is the directory, in the data dir, where a node keeps
// the pushed plugins it runs: NAME.wasm and NAME.toml as in a plugin
// directory, written atomically from the cluster's object store.
const pushedDirName = "cluster-plugins"

// pluginSync keeps a node's pushed plugins in step with the cluster's
// object store (cluster.PluginsBucket): it copies them into
// DATA/cluster-plugins and makes the plugin manager reload them, and
// writes what the node runs to its entry in the nodes bucket after every
// reload.
type pluginSync struct {
	node *clusterNode
	dir  string
	m    *wasmhost.Manager
	// reloaded is signalled (never blocking) after every reload.
	reloaded chan struct{}
	// wanted is the object store's content as the watch last saw it
	// (haveWant once it did); wake tells the applier.
	mu       sync.Mutex
	wanted   []cluster.PushedPlugin
	haveWant bool
	wake     chan struct{}
}

// pluginOptions makes the manager options load the pushed plugins beside
// the local ones, and report its reloads to the sync. Without [cluster]
// it changes nothing.
func (c *clusterNode) pluginOptions(dataDir string, o *wasmhost.Options) {
	if c == nil {
		return
	}
	c.plugins = &pluginSync{node: c, dir: filepath.Join(dataDir, pushedDirName), reloaded: make(chan struct{}, 1), wake: make(chan struct{}, 1)}
	o.PushedDir = c.plugins.dir
	o.OnReload = func() {
		select {
		case c.plugins.reloaded <- struct{}{}:
		default:
		}
	}
}

// pullPlugins copies the pushed plugins into the pushed directory before
// the first load, so a node starts with the cluster's plugins in its
// chain. It waits at most pluginPull; failing that, the node starts with
// what it copied before (logged) and the watch catches up.
func (c *clusterNode) pullPlugins(ctx context.Context, m *wasmhost.Manager) {
	if c == nil || c.plugins == nil {
		return
	}
	c.plugins.m = m
	ctx, cancel := context.WithTimeout(ctx, pluginPull)
	defer cancel()
	if err := os.MkdirAll(c.plugins.dir, 0o755); err != nil {
		c.log.Error("cluster: pushed plugins dir", "err", err)
		return
	}
	list, err := c.conn.ListPlugins(ctx)
	var ch pluginChanges
	if err == nil {
		ch, err = c.plugins.fetch(ctx, list)
	}
	if err == nil {
		err = ch.write(c.plugins.dir)
	}
	if err != nil {
		c.log.Error("cluster: could not copy the pushed plugins at start; running the copies from the last run", "err", err)
	}
}

// syncPlugins keeps the pushed plugins in step with the object store and
// the node's entry in the nodes bucket in step with its reloads, until ctx
// ends. It starts once the first load returned.
func (c *clusterNode) syncPlugins(ctx context.Context, loaded <-chan struct{}) {
	if c == nil || c.plugins == nil || c.plugins.m == nil {
		return
	}
	select {
	case <-loaded:
	case <-ctx.Done():
		return
	}
	s := c.plugins
	go s.announce(ctx)
	select { // announce the first load
	case s.reloaded <- struct{}{}:
	default: // a reload already did
	}
	go s.applier(ctx)
	for ctx.Err() == nil {
		err := c.conn.WatchPlugins(ctx, s.want)
		if ctx.Err() != nil {
			return
		}
		c.log.Warn("cluster: watching the pushed plugins; retrying", "err", err)
		select {
		case <-ctx.Done():
		case <-time.After(pluginRetry):
		}
	}
}

// want records the object store's content as the watch last saw it, for
// the applier.
func (s *pluginSync) want(list []cluster.PushedPlugin) {
	s.mu.Lock()
	s.wanted, s.haveWant = list, true
	s.mu.Unlock()
	select {
	case s.wake <- struct{}{}:
	default:
	}
}

// applier brings the pushed directory to the latest wanted content and
// reloads, until ctx ends. A failed try (NATS away, a replica that lags
// behind the watch) is retried after pluginRetry with the content wanted
// then, so a newer push supersedes the one being retried.
func (s *pluginSync) applier(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.wake:
		}
		s.mu.Lock()
		want, ok := s.wanted, s.haveWant
		s.mu.Unlock()
		if !ok {
			continue
		}
		if err := s.applyOnce(ctx, want); err != nil && ctx.Err() == nil {
			s.node.log.Warn("cluster: copying the pushed plugins; retrying", "err", err)
			go func() {
				select {
				case <-ctx.Done():
				case <-time.After(pluginRetry):
					select {
					case s.wake <- struct{}{}:
					default:
					}
				}
			}()
		}
	}
}

func (s *pluginSync) applyOnce(ctx context.Context, want []cluster.PushedPlugin) error {
	opCtx, cancel := context.WithTimeout(ctx, pluginOp)
	defer cancel()
	ch, err := s.fetch(opCtx, want)
	if err != nil {
		return err
	}
	if ch.empty() {
		return nil
	}
	for _, p := range ch.put {
		s.node.log.Info("cluster: pushed plugin received", "plugin", p.Name, "sha256", p.SHA256, "pushed_by", p.PushedBy)
	}
	for _, name := range ch.remove {
		s.node.log.Info("cluster: pushed plugin removed", "plugin", name)
	}
	// Load errors are the manager's to log and report (Running); only a
	// failed write is retried.
	var werr error
	_ = s.m.ReloadPushed(ctx, func() error { werr = ch.write(s.dir); return werr })
	return werr
}

// announce writes what the node runs to its entry in the nodes bucket
// after every reload, retrying a failed write, until ctx ends.
func (s *pluginSync) announce(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-s.reloaded:
		}
		for {
			plugins := nodePlugins(s.m.Running())
			opCtx, cancel := context.WithTimeout(ctx, pluginOp)
			err := s.node.putSelf(opCtx, func(self *cluster.NodeInfo) { self.Plugins = plugins })
			cancel()
			if err == nil || ctx.Err() != nil {
				break
			}
			s.node.log.Warn("cluster: could not write this node's plugins to the nodes bucket; retrying", "err", err)
			select {
			case <-ctx.Done():
				return
			case <-time.After(pluginRetry):
			}
		}
	}
}

// nodePlugins is rs as the nodes bucket lists it.
func nodePlugins(rs []wasmhost.RunningPlugin) []cluster.NodePlugin {
	out := make([]cluster.NodePlugin, 0, len(rs))
	for _, r := range rs {
		out = append(out, cluster.NodePlugin{Name: r.Name, SHA256: r.SHA256, Source: r.Source, Failed: r.Failed, Error: r.Error})
	}
	return out
}

// pluginChanges are the pushed plugins to write and to remove to bring
// the pushed directory in step with the object store.
type pluginChanges struct {
	put    []cluster.PushedPlugin
	remove []string
}

func (ch pluginChanges) empty() bool { return len(ch.put) == 0 && len(ch.remove) == 0 }

// fetch compares want, the object store's plugins, with the pushed
// directory and reads the plugins that differ. A read that returns another
// version than want's (a lagging replica) is an error: the caller retries.
func (s *pluginSync) fetch(ctx context.Context, want []cluster.PushedPlugin) (pluginChanges, error) {
	var ch pluginChanges
	wanted := map[string]bool{}
	for _, p := range want {
		if !cluster.ValidPluginName(p.Name) { // not pushed by relayd: never a path
			s.node.log.Warn("cluster: object in the plugins store with an invalid name; ignored", "name", p.Name)
			continue
		}
		wanted[p.Name] = true
		if onDisk(s.dir, p.Name) == p.SHA256 && sameTOML(s.dir, p) {
			continue
		}
		full, err := s.node.conn.GetPlugin(ctx, p.Name)
		if err != nil {
			return ch, err
		}
		if full.SHA256 != p.SHA256 || !bytes.Equal(full.TOML, p.TOML) {
			return ch, fmt.Errorf("cluster: plugin %s: read version %s, want %s (a replica behind)", p.Name, full.SHA256, p.SHA256)
		}
		ch.put = append(ch.put, full)
	}
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return ch, fmt.Errorf("cluster: pushed plugins dir: %w", err)
	}
	for _, e := range ents {
		name, ok := strings.CutSuffix(e.Name(), ".wasm")
		if ok && !wanted[name] {
			ch.remove = append(ch.remove, name)
		}
	}
	return ch, nil
}

// onDisk returns the hex sha256 of dir/NAME.wasm, "" if unreadable.
func onDisk(dir, name string) string {
	b, err := os.ReadFile(filepath.Join(dir, name+".wasm"))
	if err != nil {
		return ""
	}
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// sameTOML reports whether dir/NAME.toml is p's settings (absent if p has
// none).
func sameTOML(dir string, p cluster.PushedPlugin) bool {
	b, err := os.ReadFile(filepath.Join(dir, p.Name+".toml"))
	if errors.Is(err, os.ErrNotExist) {
		return len(p.TOML) == 0
	}
	return err == nil && bytes.Equal(b, p.TOML)
}

// write applies ch to dir: each plugin's settings, then its .wasm, each
// written to a temporary file, synced and renamed over the old one; then
// the removals. The caller holds off reloads meanwhile
// (Manager.ReloadPushed), so no load sees a plugin half written.
func (ch pluginChanges) write(dir string) error {
	for _, p := range ch.put {
		toml := filepath.Join(dir, p.Name+".toml")
		if len(p.TOML) > 0 {
			if err := writeFileAtomic(toml, p.TOML); err != nil {
				return err
			}
		} else if err := os.Remove(toml); err != nil && !errors.Is(err, os.ErrNotExist) {
			return fmt.Errorf("cluster: pushed plugin %s: %w", p.Name, err)
		}
		if err := writeFileAtomic(filepath.Join(dir, p.Name+".wasm"), p.Wasm); err != nil {
			return err
		}
	}
	for _, name := range ch.remove {
		for _, ext := range []string{".wasm", ".toml"} {
			if err := os.Remove(filepath.Join(dir, name+ext)); err != nil && !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("cluster: remove pushed plugin %s: %w", name, err)
			}
		}
	}
	return syncDir(dir)
}

// writeFileAtomic writes b to path through a synced temporary file
// renamed over it.
func writeFileAtomic(path string, b []byte) error {
	tmp := filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp")
	f, err := os.OpenFile(tmp, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return fmt.Errorf("cluster: write %s: %w", path, err)
	}
	_, err = f.Write(b)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("cluster: write %s: %w", path, err)
	}
	return nil
}

// syncDir makes the renames in dir durable.
func syncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return fmt.Errorf("cluster: sync %s: %w", dir, err)
	}
	defer d.Close()
	if err := d.Sync(); err != nil {
		return fmt.Errorf("cluster: sync %s: %w", dir, err)
	}
	return nil
}
