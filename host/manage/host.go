package manage

import (
	"context"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/sdk/nip19"
)

// hostMethods are the methods the host serves itself.
func (h *Handler) hostMethods() map[string]method {
	return map[string]method{
		"supportedmethods":       h.supportedMethods,
		"banevent":               h.banEvent,
		"allowevent":             h.allowEvent,
		"listbannedevents":       h.listBannedEvents,
		"changerelayname":        h.changeInfo(keyName, func(i *Info) *string { return &i.Name }),
		"changerelaydescription": h.changeInfo(keyDescription, func(i *Info) *string { return &i.Description }),
		"changerelayicon":        h.changeInfo(keyIcon, func(i *Info) *string { return &i.Icon }),
		"stats":                  h.stats,
	}
}

// supportedMethods lists the host's methods and the plugins', sorted.
func (h *Handler) supportedMethods(context.Context, []json.RawMessage) (any, error) {
	out := make([]string, 0, len(h.host))
	for name := range h.host {
		out = append(out, name)
	}
	if h.opts.Plugins != nil {
		for _, name := range h.opts.Plugins.ManageMethods() {
			if _, host := h.host[name]; !host {
				out = append(out, name)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// banEvent: [id, reason] bans the event (deleting it if stored).
func (h *Handler) banEvent(ctx context.Context, params []json.RawMessage) (any, error) {
	id, reason, err := idParams(params)
	if err != nil {
		return nil, err
	}
	if _, err := h.opts.Store.BanEvent(ctx, id, reason); err != nil {
		return nil, fmt.Errorf("banevent: %w", err)
	}
	return true, nil
}

// allowEvent: [id, reason] lifts the event's ban.
func (h *Handler) allowEvent(ctx context.Context, params []json.RawMessage) (any, error) {
	id, _, err := idParams(params)
	if err != nil {
		return nil, err
	}
	if _, err := h.opts.Store.AllowEvent(ctx, id); err != nil {
		return nil, fmt.Errorf("allowevent: %w", err)
	}
	return true, nil
}

// bannedEvent is one entry of listbannedevents.
type bannedEvent struct {
	ID     string `json:"id"`
	Reason string `json:"reason"`
}

func (h *Handler) listBannedEvents(ctx context.Context, _ []json.RawMessage) (any, error) {
	bans, err := h.opts.Store.BannedEvents(ctx)
	if err != nil {
		return nil, fmt.Errorf("listbannedevents: %w", err)
	}
	out := make([]bannedEvent, len(bans))
	for i, b := range bans {
		out[i] = bannedEvent{ID: hex.EncodeToString(b.ID[:]), Reason: b.Reason}
	}
	return out, nil
}

// changeInfo returns the method that sets one NIP-11 override: [value],
// stored first, then applied; "" clears it.
func (h *Handler) changeInfo(key string, field func(*Info) *string) method {
	return func(ctx context.Context, params []json.RawMessage) (any, error) {
		v, err := stringParam(params, 0, "value")
		if err != nil {
			return nil, err
		}
		h.infoMu.Lock()
		defer h.infoMu.Unlock()
		if err := h.opts.Store.SetHostSetting(ctx, key, v); err != nil {
			return nil, fmt.Errorf("%s: %w", key, err)
		}
		*field(&h.info) = v
		if h.opts.SetInfo != nil {
			h.opts.SetInfo(h.info)
		}
		return true, nil
	}
}

// stats reports Options.Stats.
func (h *Handler) stats(ctx context.Context, _ []json.RawMessage) (any, error) {
	out := map[string]any{}
	if h.opts.Stats != nil {
		out = h.opts.Stats(ctx)
	}
	return out, nil
}

// banPubkeyPurge serves banpubkey [pubkey, reason, {"purge": true}]: the
// plugin bans, with [pubkey, reason]; then, if asked, the host deletes the
// author's stored events.
func (h *Handler) banPubkeyPurge(ctx context.Context, params []json.RawMessage) (any, error) {
	var opt struct {
		Purge bool `json:"purge"`
	}
	if err := json.Unmarshal(params[2], &opt); err != nil {
		return nil, errors.New(`invalid params: the third param of banpubkey is {"purge": true|false}`)
	}
	pkParam, err := stringParam(params, 0, "pubkey")
	if err != nil {
		return nil, err
	}
	pk, err := nip19.Pubkey(pkParam)
	if err != nil {
		return nil, fmt.Errorf("invalid params: %w", err)
	}
	arr, err := json.Marshal(params[:2])
	if err != nil {
		return nil, fmt.Errorf("invalid params: %w", err)
	}
	res, err := h.opts.Plugins.Manage(ctx, "banpubkey", arr)
	if err != nil || !opt.Purge {
		return json.RawMessage(res), err
	}
	n, err := h.opts.Store.DeleteMatching(ctx, nostr.Filter{Authors: []string{pk}}, false)
	if err != nil {
		return nil, fmt.Errorf("banpubkey: banned, but the purge failed after %d events: %w", n, err)
	}
	return map[string]any{"purged": n}, nil
}

// idParams reads [id, reason?].
func idParams(params []json.RawMessage) (id [32]byte, reason string, err error) {
	s, err := stringParam(params, 0, "event id")
	if err != nil {
		return id, "", err
	}
	b, err := hex.DecodeString(s)
	if err != nil || len(b) != 32 {
		return id, "", errors.New("invalid params: the event id must be 64 hex digits")
	}
	if len(params) > 1 {
		if reason, err = stringParam(params, 1, "reason"); err != nil {
			return id, "", err
		}
	}
	return [32]byte(b), reason, nil
}

// stringParam reads params[i], a string.
func stringParam(params []json.RawMessage, i int, what string) (string, error) {
	if i >= len(params) {
		return "", fmt.Errorf("invalid params: missing %s", what)
	}
	var s string
	if err := json.Unmarshal(params[i], &s); err != nil {
		return "", fmt.Errorf("invalid params: %s must be a string", what)
	}
	return strings.ToValidUTF8(s, "\uFFFD"), nil
}
