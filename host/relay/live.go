package relay

import (
	"fmt"

	"github.com/relayd/relayd/host/envelope"
	"github.com/relayd/relayd/host/limits"
)

// Live settings.
//
// What a config reload may change in a running relay (Reconfigure) lives
// in one immutable settings value behind an atomic pointer: NIP-11 fields,
// limits, negentropy on or off, relay_url and trusted_proxies. A reader
// loads the pointer once per message, connection or request and uses that
// snapshot throughout, so a message never sees half of a change, and the
// hot path takes no lock (an atomic load is a plain load on amd64 and
// arm64). The rest of Options is fixed at New.
//
// Per-connection values (queue_bytes, write_timeout, ping_interval,
// idle_timeout, max_message_bytes) are the connection's own: wsconn gives
// each connection the options in force when it was served, and the session
// reads them from its Conn (QueueCap, WriteTimeout, MaxMessageBytes), so
// open connections keep theirs and new ones get the new values.
//
// MaxMessageBytes is not changed by Reconfigure: the store was opened with
// it as its largest event (badgerstore.Options.MaxEventSize).

// settings is one snapshot of the live part of Options, parsed. It is
// never modified once stored.
type settings struct {
	name, description, pubkey, contact, icon string

	lim        limits.Limits
	env        envelope.Limits // derived from lim
	noNeg      bool            // Options.DisableNegentropy
	relayURL   relayURL        // parsed Options.RelayURL; zero: none set
	hasURL     bool
	proxies    trustedProxies
	rawProxies int // len(Options.TrustedProxies), for the log
}

// newSettings parses the live part of o, whose Limits are valid.
func newSettings(o *Options) (*settings, error) {
	st := &settings{
		name: o.Name, description: o.Description, pubkey: o.Pubkey, contact: o.Contact, icon: o.Icon,
		lim: o.Limits, env: envelopeLimits(o.Limits), noNeg: o.DisableNegentropy,
		proxies: newTrustedProxies(o.TrustedProxies), rawProxies: len(o.TrustedProxies),
	}
	if o.RelayURL != "" {
		u, ok := parseRelayURL(o.RelayURL)
		if !ok {
			return nil, fmt.Errorf("relay: relay URL %q is not a ws:// or wss:// URL", o.RelayURL)
		}
		st.relayURL, st.hasURL = u, true
	}
	return st, nil
}

// cur returns the live settings in force.
func (r *Relay) cur() *settings { return r.live.Load() }

// Reconfigure swaps in the live part of o (see "Live settings" above):
// Name, Description, Pubkey, Contact, Icon, RelayURL, TrustedProxies,
// DisableNegentropy and Limits, all but Limits.MaxMessageBytes, which
// keeps its value. The next message, connection and NIP-11 request see
// them; per-connection limits apply to connections opened from now on.
// Other fields of o are ignored. An invalid o changes nothing and is
// returned as an error. It is safe for concurrent use.
func (r *Relay) Reconfigure(o Options) error {
	r.reconf.Lock()
	defer r.reconf.Unlock()
	if o.Limits == (limits.Limits{}) {
		o.Limits = limits.Default()
	}
	o.Limits.MaxMessageBytes = r.opts.Limits.MaxMessageBytes
	if err := o.Limits.Validate(); err != nil {
		return fmt.Errorf("relay: %w", err)
	}
	st, err := newSettings(&o)
	if err != nil {
		return err
	}
	// Connections first: a connection served between the two stores gets
	// the new per-connection values with the old message limits, never a
	// queue that cannot hold one message.
	r.ws.SetOptions(wsOptions(o.Limits, r.log))
	r.live.Store(st)
	r.logProxySetup(st)
	return nil
}

// logProxySetup says once per configuration when AUTH takes the relay's
// URL from a proxy's headers.
func (r *Relay) logProxySetup(st *settings) {
	if len(st.proxies) > 0 && !st.hasURL {
		r.log.Info("trusted_proxies without relay_url: NIP-42 AUTH takes this relay's URL from the proxy's "+
			"X-Forwarded-Host and X-Forwarded-Proto, which the proxy must set itself; set relay_url to accept only "+
			"AUTH events signed for it", "trusted_proxies", st.rawProxies)
	}
}
