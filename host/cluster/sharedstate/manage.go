package sharedstate

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"
	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/manage"
)

// The host's NIP-86 state across the cluster: the MANAGE bucket holds
// "ban.<id hex>" → reason for each banned event, "host.<name>" → value
// for each host setting (the NIP-11 overrides) and "purge.<pubkey hex>"
// → unix time for each author purged (banpubkey with {"purge": true}; the
// other nodes delete the author's events created up to then). A change made through one
// node's management API is written to the bucket first (acknowledged, or
// the call fails and nothing changes), then applied to the node's store;
// every node watches the bucket and applies each change to its own store
// (banevent deletes the event there and refuses it from then on) and, for
// a host setting, to its relay (changed).

// Admin returns st as the management API's store in cluster mode (see
// above); the rest of st is untouched.
func (s *Shared) Admin(st manage.Store) manage.Store { return &admin{Store: st, s: s} }

type admin struct {
	manage.Store
	s *Shared
}

func banKey(id [32]byte) string  { return "ban." + hex.EncodeToString(id[:]) }
func hostKey(name string) string { return "host." + enc([]byte(name)) }
func opCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, opTimeout)
}

// BanEvent bans id on every node.
func (a *admin) BanEvent(ctx context.Context, id [32]byte, reason string) (bool, error) {
	c, cancel := opCtx(ctx)
	defer cancel()
	if _, err := a.s.manage.Put(c, banKey(id), []byte(reason)); err != nil {
		return false, fmt.Errorf("cluster: %w", err)
	}
	return a.Store.BanEvent(ctx, id, reason)
}

// AllowEvent lifts id's ban on every node.
func (a *admin) AllowEvent(ctx context.Context, id [32]byte) (bool, error) {
	c, cancel := opCtx(ctx)
	defer cancel()
	if err := a.s.manage.Delete(c, banKey(id)); err != nil {
		return false, fmt.Errorf("cluster: %w", err)
	}
	return a.Store.AllowEvent(ctx, id)
}

// SetHostSetting sets name on every node.
func (a *admin) SetHostSetting(ctx context.Context, name, value string) error {
	c, cancel := opCtx(ctx)
	defer cancel()
	if _, err := a.s.manage.Put(c, hostKey(name), []byte(value)); err != nil {
		return fmt.Errorf("cluster: %w", err)
	}
	return a.Store.SetHostSetting(ctx, name, value)
}

// DeleteMatching purges on every node when f is an author purge
// (banpubkey's {"purge": true}: one author, nothing else); any other
// filter, or a dry run, stays on this node.
func (a *admin) DeleteMatching(ctx context.Context, f nostr.Filter, dryRun bool) (int, error) {
	if pk, ok := purgeOf(f); ok && !dryRun {
		c, cancel := opCtx(ctx)
		defer cancel()
		now := strconv.FormatInt(time.Now().Unix(), 10)
		if _, err := a.s.manage.Put(c, "purge."+pk, []byte(now)); err != nil {
			return 0, fmt.Errorf("cluster: %w", err)
		}
	}
	return a.Store.DeleteMatching(ctx, f, dryRun)
}

// purgeOf returns the author of an author purge filter.
func purgeOf(f nostr.Filter) (string, bool) {
	if len(f.Authors) != 1 || len(f.IDs) > 0 || len(f.Kinds) > 0 || len(f.Tags) > 0 || f.Since != nil || f.Until != nil ||
		f.Search != "" || len(f.Authors[0]) != 64 {
		return "", false
	}
	if _, err := hex.DecodeString(f.Authors[0]); err != nil {
		return "", false
	}
	return f.Authors[0], true
}

// WatchManage applies every change of the MANAGE bucket, the current ones
// first, to st until Close; changed is called after a host setting
// changed. It returns once the current ones are applied (or after 10 s).
func (s *Shared) WatchManage(st manage.Store, changed func()) {
	ready := make(chan struct{})
	s.wg.Go(func() { s.watchManage(st, changed, ready) })
	select {
	case <-ready:
	case <-time.After(snapshotWait):
		s.log.Warn("management: the cluster's bans and settings are not here yet")
	}
}

func (s *Shared) watchManage(st manage.Store, changed func(), ready chan struct{}) {
	var w jetstream.KeyWatcher
	for backoff := 100 * time.Millisecond; ; backoff = min(2*backoff, 5*time.Second) {
		var err error
		if w, err = s.manage.WatchAll(s.ctx); err == nil {
			break
		}
		s.log.Warn("management: cannot watch the cluster's bans and settings; retrying", "err", err)
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(backoff):
		}
	}
	defer w.Stop()
	initial := true
	for {
		var e jetstream.KeyValueEntry
		select {
		case <-s.ctx.Done():
			return
		case kve, ok := <-w.Updates():
			if !ok {
				return
			}
			e = kve
		}
		if e == nil {
			if initial {
				initial = false
				close(ready)
			}
			continue
		}
		if err := s.applyManage(st, e, changed); err != nil {
			s.log.Error("management: could not apply a change made on another node", "key", e.Key(), "err", err)
		}
	}
}

// applyManage applies one MANAGE entry to st.
func (s *Shared) applyManage(st manage.Store, e jetstream.KeyValueEntry, changed func()) error {
	ctx, cancel := opCtx(s.ctx)
	defer cancel()
	del := e.Operation() != jetstream.KeyValuePut
	switch k := e.Key(); {
	case strings.HasPrefix(k, "ban."):
		b, err := hex.DecodeString(strings.TrimPrefix(k, "ban."))
		if err != nil || len(b) != 32 {
			return fmt.Errorf("bad key %q", k)
		}
		if del {
			_, err = st.AllowEvent(ctx, [32]byte(b))
		} else {
			_, err = st.BanEvent(ctx, [32]byte(b), string(e.Value()))
		}
		return err
	case strings.HasPrefix(k, "purge."):
		// Only what the author published up to the purge: a node
		// replaying the bucket at start must not purge what the author
		// published after an unban.
		f := nostr.Filter{Authors: []string{strings.TrimPrefix(k, "purge.")}}
		at, err := strconv.ParseInt(string(e.Value()), 10, 64)
		if _, ok := purgeOf(f); !ok || del || err != nil {
			return nil
		}
		until := nostr.Timestamp(at)
		f.Until = &until
		_, err = st.DeleteMatching(ctx, f, false)
		return err
	case strings.HasPrefix(k, "host."):
		name, err := dec(strings.TrimPrefix(k, "host."))
		if err != nil {
			return fmt.Errorf("bad key %q", k)
		}
		v := ""
		if !del {
			v = string(e.Value())
		}
		cur, _, err := st.HostSetting(string(name))
		if err != nil || cur == v {
			return err
		}
		if err := st.SetHostSetting(ctx, string(name), v); err != nil {
			return err
		}
		if changed != nil {
			changed()
		}
	}
	return nil
}
