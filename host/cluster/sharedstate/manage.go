package sharedstate

import (
	"context"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"github.com/nats-io/nats.go/jetstream"

	"github.com/relayd/relayd/host/manage"
)

// The host's NIP-86 state across the cluster: the MANAGE bucket holds
// "ban.<id hex>" → reason for each banned event and "host.<name>" → value
// for each host setting (the NIP-11 overrides). A change made through one
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
