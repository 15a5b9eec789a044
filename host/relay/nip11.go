package relay

import (
	"cmp"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/relayd/relayd/host/policy"
)

// supportedNIPs are the NIPs the core implements; policies may add more
// (e.g. 13 when a PoW policy is loaded, through their limitation keys).
// 77 (negentropy) is added unless disabled.
var supportedNIPs = []int{1, 2, 9, 11, 40, 42, 45, 70}

// Info is the NIP-11 relay information document.
type Info struct {
	Name          string         `json:"name,omitempty"`
	Description   string         `json:"description,omitempty"`
	Pubkey        string         `json:"pubkey,omitempty"`
	Contact       string         `json:"contact,omitempty"`
	Icon          string         `json:"icon,omitempty"`
	SupportedNIPs []int          `json:"supported_nips"`
	Software      string         `json:"software"`
	Version       string         `json:"version,omitempty"`
	Limitation    map[string]any `json:"limitation"`
}

// Info returns the relay's NIP-11 document. The limitation object lists
// every limit the core enforces, merged with what the loaded policies
// report (min_pow_difficulty, restricted_writes, auth_required, ...).
func (r *Relay) Info() Info {
	o := r.cur()
	lim := o.lim.Limitation()
	// What the core does not do unless a policy does (MergeLimit below).
	lim["payment_required"], lim["restricted_writes"], lim["min_pow_difficulty"] = false, false, 0
	nips := append([]int(nil), supportedNIPs...)
	if !o.noNeg {
		nips = append(nips, 77)
	}
	if r.opts.Manage != nil {
		nips = append(nips, 86) // the endpoint answers; admin_pubkeys (live) says who may use it
	}
	for k, v := range r.chain.Load().Limitation() {
		if k == "supported_nips" {
			nips = appendNIPs(nips, intList(v))
			continue
		}
		if core, ok := lim[k]; ok {
			v = policy.MergeLimit(k, core, v) // a policy cannot loosen a core rule
		}
		lim[k] = v
	}
	if d, ok := number(lim["min_pow_difficulty"]); ok && d > 0 {
		nips = appendNIPs(nips, []int{13})
	}
	name, description, icon := r.infoText(o)
	return Info{
		Name: name, Description: description, Pubkey: o.pubkey, Contact: o.contact, Icon: icon,
		SupportedNIPs: nips, Software: r.opts.Software, Version: r.opts.Version, Limitation: lim,
	}
}

// number reads a JSON-ish number (plugins report limitation keys as JSON).
func number(v any) (float64, bool) {
	switch n := v.(type) {
	case int:
		return float64(n), true
	case int64:
		return float64(n), true
	case float64:
		return n, true
	}
	return 0, false
}

// intList reads a list of NIP numbers from []int or a decoded JSON array.
func intList(v any) []int {
	switch l := v.(type) {
	case []int:
		return l
	case []any:
		var out []int
		for _, x := range l {
			if n, ok := number(x); ok {
				out = append(out, int(n))
			}
		}
		return out
	}
	return nil
}

func appendNIPs(nips, extra []int) []int {
	for _, n := range extra {
		found := false
		for _, m := range nips {
			found = found || m == n
		}
		if !found {
			nips = append(nips, n)
		}
	}
	return nips
}

// serveInfo answers NIP-11 requests (Accept: application/nostr+json) and
// plain GETs with a short text page.
func (r *Relay) serveInfo(w http.ResponseWriter, req *http.Request) {
	if !strings.Contains(req.Header.Get("Accept"), "application/nostr+json") {
		w.Header().Set("Content-Type", "text/plain; charset=utf-8")
		name, _, _ := r.infoText(r.cur())
		w.Write([]byte(name + ": a Nostr relay. Connect with a websocket client.\n"))
		return
	}
	w.Header().Set("Content-Type", "application/nostr+json")
	json.NewEncoder(w).Encode(r.Info())
}

// InfoOverride holds the NIP-11 fields the operator set at run time
// (NIP-86 changerelayname and the like, kept by host/manage), which take
// precedence over the configured ones; an empty field leaves the
// configured value.
type InfoOverride struct {
	Name, Description, Icon string
}

// SetInfoOverride replaces the NIP-11 overrides; the next NIP-11 request
// sees them. A config reload keeps them. It is safe for concurrent use.
func (r *Relay) SetInfoOverride(o InfoOverride) { r.override.Store(&o) }

// infoText returns the name, description and icon in force: the
// overrides, else st's.
func (r *Relay) infoText(st *settings) (name, description, icon string) {
	name, description, icon = st.name, st.description, st.icon
	if o := r.override.Load(); o != nil {
		name, description, icon = cmp.Or(o.Name, name), cmp.Or(o.Description, description), cmp.Or(o.Icon, icon)
	}
	return name, description, icon
}
