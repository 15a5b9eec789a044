package cluster

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"regexp"
	"sort"
	"time"

	"github.com/nats-io/nats.go/jetstream"
)

// PluginsBucket is the object store (Conn.Bucket) of the pushed plugins:
// one object per plugin, named after it, whose data is the .wasm and whose
// metadata carry its sha256, its NAME.toml (if any), who pushed it and
// when. Every node watches it and runs what it holds (host/server).
const PluginsBucket = "PLUGINS"

// Object metadata keys of a pushed plugin.
const (
	metaSHA256   = "sha256"
	metaTOML     = "toml"
	metaPushedBy = "pushed-by"
	metaPushed   = "pushed-at"
)

// MaxPluginTOML bounds a pushed plugin's NAME.toml (it travels in the
// object's metadata).
const MaxPluginTOML = 64 << 10

// pluginName is what a pushed plugin may be called: a file name on every
// node, and an object name.
var pluginName = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_-]{0,63}$`)

// ValidPluginName reports whether name can be pushed: letters, digits,
// '-' and '_', at most 64, not starting with '-'.
func ValidPluginName(name string) bool { return pluginName.MatchString(name) }

// PushedPlugin is one plugin of the object store.
type PushedPlugin struct {
	// Name is the plugin's name: NAME.wasm on every node.
	Name string `json:"name"`
	// SHA256 is the hex sha256 of Wasm.
	SHA256 string `json:"sha256"`
	// Size is the .wasm's size in bytes.
	Size uint64 `json:"size"`
	// PushedBy says who pushed it (user@host of the relayd plugin push).
	PushedBy string `json:"pushed_by,omitempty"`
	// Pushed is when it was pushed.
	Pushed time.Time `json:"pushed"`
	// Wasm is the .wasm (ListPlugins leaves it out); TOML its NAME.toml,
	// if any.
	Wasm []byte `json:"-"`
	TOML []byte `json:"-"`
}

// pluginStore opens (creating it if needed, with the node's replicas)
// the pushed plugins' object store. An existing store is opened as it is:
// a client with another replicas setting must not change it.
func (c *Conn) pluginStore(ctx context.Context) (jetstream.ObjectStore, error) {
	obs, err := c.js.ObjectStore(ctx, c.Bucket(PluginsBucket))
	if err == nil {
		return obs, nil
	}
	if !errors.Is(err, jetstream.ErrBucketNotFound) {
		return nil, fmt.Errorf("cluster: plugins object store: %w", err)
	}
	obs, err = c.js.CreateOrUpdateObjectStore(ctx, jetstream.ObjectStoreConfig{
		Bucket:      c.Bucket(PluginsBucket),
		Description: "relayd pushed plugins",
		Replicas:    c.cfg.Replicas,
	})
	if err != nil {
		return nil, fmt.Errorf("cluster: plugins object store: %w", err)
	}
	return obs, nil
}

// PushPlugin stores the plugin name (its .wasm and optional NAME.toml) in
// the object store, replacing any previous version, and returns its
// sha256. Every node then loads it. It does not check the .wasm: relayd
// plugin push does, before.
func (c *Conn) PushPlugin(ctx context.Context, name string, wasm, toml []byte, pushedBy string) (string, error) {
	if !ValidPluginName(name) {
		return "", fmt.Errorf("cluster: plugin name %q: want letters, digits, '-' and '_' (at most 64)", name)
	}
	if len(toml) > MaxPluginTOML {
		return "", fmt.Errorf("cluster: plugin %s: settings of %d bytes, more than %d", name, len(toml), MaxPluginTOML)
	}
	obs, err := c.pluginStore(ctx)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256(wasm)
	meta := jetstream.ObjectMeta{Name: name, Metadata: map[string]string{
		metaSHA256:   hex.EncodeToString(sum[:]),
		metaPushedBy: pushedBy,
		metaPushed:   time.Now().UTC().Format(time.RFC3339Nano),
	}}
	if len(toml) > 0 {
		meta.Metadata[metaTOML] = string(toml)
	}
	if _, err := obs.Put(ctx, meta, bytes.NewReader(wasm)); err != nil {
		return "", fmt.Errorf("cluster: push plugin %s: %w", name, err)
	}
	return meta.Metadata[metaSHA256], nil
}

// ErrPluginNotFound is RemovePlugin's and GetPlugin's answer for a name
// that is not pushed.
var ErrPluginNotFound = errors.New("plugin not pushed")

// RemovePlugin deletes the pushed plugin name: every node unloads it.
func (c *Conn) RemovePlugin(ctx context.Context, name string) error {
	obs, err := c.pluginStore(ctx)
	if err != nil {
		return err
	}
	// Delete of a deleted object succeeds: ask first.
	_, err = obs.GetInfo(ctx, name)
	if err == nil {
		err = obs.Delete(ctx, name)
	}
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return fmt.Errorf("cluster: remove plugin %s: %w", name, ErrPluginNotFound)
	}
	if err != nil {
		return fmt.Errorf("cluster: remove plugin %s: %w", name, err)
	}
	return nil
}

// ListPlugins returns the pushed plugins, by name, without their .wasm.
func (c *Conn) ListPlugins(ctx context.Context) ([]PushedPlugin, error) {
	obs, err := c.pluginStore(ctx)
	if err != nil {
		return nil, err
	}
	infos, err := obs.List(ctx)
	if errors.Is(err, jetstream.ErrNoObjectsFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("cluster: list plugins: %w", err)
	}
	var out []PushedPlugin
	for _, info := range infos {
		if info.Deleted {
			continue
		}
		out = append(out, pushedInfo(info))
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// GetPlugin returns the pushed plugin name with its files, checked
// against the sha256 it was pushed with.
func (c *Conn) GetPlugin(ctx context.Context, name string) (PushedPlugin, error) {
	obs, err := c.pluginStore(ctx)
	if err != nil {
		return PushedPlugin{}, err
	}
	res, err := obs.Get(ctx, name)
	if errors.Is(err, jetstream.ErrObjectNotFound) {
		return PushedPlugin{}, fmt.Errorf("cluster: plugin %s: %w", name, ErrPluginNotFound)
	}
	if err != nil {
		return PushedPlugin{}, fmt.Errorf("cluster: plugin %s: %w", name, err)
	}
	defer res.Close()
	info, err := res.Info()
	if err != nil {
		return PushedPlugin{}, fmt.Errorf("cluster: plugin %s: %w", name, err)
	}
	p := pushedInfo(info)
	if p.Wasm, err = io.ReadAll(res); err != nil {
		return PushedPlugin{}, fmt.Errorf("cluster: plugin %s: %w", name, err)
	}
	if sum := sha256.Sum256(p.Wasm); hex.EncodeToString(sum[:]) != p.SHA256 {
		return PushedPlugin{}, fmt.Errorf("cluster: plugin %s: read sha256 %x, pushed as %s", name, sum, p.SHA256)
	}
	return p, nil
}

func pushedInfo(info *jetstream.ObjectInfo) PushedPlugin {
	p := PushedPlugin{Name: info.Name, SHA256: info.Metadata[metaSHA256], Size: info.Size, PushedBy: info.Metadata[metaPushedBy]}
	p.Pushed, _ = time.Parse(time.RFC3339Nano, info.Metadata[metaPushed])
	if t, ok := info.Metadata[metaTOML]; ok {
		p.TOML = []byte(t)
	}
	return p
}

// WatchPlugins calls changed with the object store's plugins (without
// their .wasm) once its current content is known, and again after every
// push or removal, until ctx ends or the watch fails (then it returns the
// error; the caller retries). The list comes from the watch, which reads
// the store's stream in order: unlike ListPlugins and GetPlugin, which may
// be answered by a replica that lags (the object store allows direct
// gets), it is never older than what the watch already delivered. A burst
// of changes may make one call.
func (c *Conn) WatchPlugins(ctx context.Context, changed func([]PushedPlugin)) error {
	obs, err := c.pluginStore(ctx)
	if err != nil {
		return err
	}
	w, err := obs.Watch(ctx)
	if err != nil {
		return fmt.Errorf("cluster: watch plugins: %w", err)
	}
	defer w.Stop()
	current := map[string]PushedPlugin{}
	note := func(info *jetstream.ObjectInfo) {
		if info.Deleted {
			delete(current, info.Name)
		} else {
			current[info.Name] = pushedInfo(info)
		}
	}
	initial := true
	for {
		select {
		case <-ctx.Done():
			return nil
		case info, ok := <-w.Updates():
			if !ok {
				return errors.New("cluster: watch plugins: watcher closed")
			}
			if info == nil {
				initial = false
			} else {
				note(info)
			}
			if initial {
				continue // the initial values end with nil: one call then
			}
			// Take what is already queued: one call for a burst.
			for drained := false; !drained; {
				select {
				case info, ok := <-w.Updates():
					if !ok {
						return errors.New("cluster: watch plugins: watcher closed")
					}
					if info != nil {
						note(info)
					}
				default:
					drained = true
				}
			}
			list := make([]PushedPlugin, 0, len(current))
			for _, p := range current {
				list = append(list, p)
			}
			sort.Slice(list, func(i, j int) bool { return list[i].Name < list[j].Name })
			changed(list)
		}
	}
}
