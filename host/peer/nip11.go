package peer

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/relayd/relayd/host/reconcile"
)

// relayInfo is what a sync reads from the other relay's NIP-11 document.
type relayInfo struct {
	// Known is set when the document was read.
	Known bool
	// NIP77 is set when supported_nips lists 77.
	NIP77 bool
	// MaxLimit is limitation.max_limit, 0 when not given.
	MaxLimit int
}

// fetchInfo reads the relay's NIP-11 document (1 MiB at most, within the
// connection's read timeout and at most 10 seconds); on any failure it
// returns an unknown relayInfo.
func fetchInfo(ctx context.Context, wsURL string, opts reconcile.Options) relayInfo {
	timeout := 10 * time.Second
	if opts.ReadTimeout > 0 {
		timeout = min(timeout, opts.ReadTimeout)
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http"+strings.TrimPrefix(wsURL, "ws"), nil)
	if err != nil {
		return relayInfo{}
	}
	req.Header.Set("Accept", "application/nostr+json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return relayInfo{}
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return relayInfo{}
	}
	var doc struct {
		SupportedNIPs []json.RawMessage `json:"supported_nips"`
		Limitation    struct {
			MaxLimit int `json:"max_limit"`
		} `json:"limitation"`
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, 1<<20)).Decode(&doc); err != nil {
		return relayInfo{}
	}
	info := relayInfo{Known: doc.SupportedNIPs != nil, MaxLimit: max(doc.Limitation.MaxLimit, 0)}
	for _, n := range doc.SupportedNIPs {
		// Numbers as NIP-11 says, or strings as some relays write them.
		s := strings.Trim(string(n), `"`)
		if v, err := strconv.Atoi(s); err == nil && v == 77 {
			info.NIP77 = true
		}
	}
	return info
}
