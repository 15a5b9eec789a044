package main

import (
	"math/rand/v2"
	"net/netip"
	"strconv"
	"strings"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/db"
)

// The runtime lists: what the NIP-86 methods (manage.go) add, kept in the
// plugin's durable state so that they survive reloads and restarts, and
// merged with the configured lists on every check.
//
// Keys of the durable state:
//
//	pk/ban/<hex>       banned pubkey → reason
//	pk/allow/<hex>     allowed pubkey → reason
//	kind/allow/<00042> allowed kind (5 digits, so that keys sort as numbers) → ""
//	ip/block/<ip>      blocked address or CIDR prefix (canonical) → reason
//	report/<id>        an event reported by kind 1984 (reports.go)
//	gen                the generation of the lists above: a fresh token per change
//
// Every instance keeps the lists in memory and reloads them when gen
// changes: a method writes its entry, then gen, and a hook reads gen, then
// (if it changed) the entries, so an instance is never more than one write
// behind within a call, and the next call after a method returned sees it.

const (
	keyBan       = "pk/ban/"
	keyAllow     = "pk/allow/"
	keyKindAllow = "kind/allow/"
	keyIPBlock   = "ip/block/"
	keyGen       = "gen"
	// maxReason bounds a stored reason.
	maxReason = 1024
)

// runtime is this instance's copy of the runtime lists.
type runtime struct {
	on       bool   // the relay keeps durable state (db.Available)
	gen      string // gen as of the last load; "" before any
	loaded   bool
	ban      map[string]string // pubkey → reason
	allow    map[string]string
	kinds    map[int]bool
	ips      ipSet
	ipReason map[string]string // canonical entry → reason
}

// rt is this instance's runtime lists.
var rt runtime

// refresh reloads the runtime lists if another call changed them. A read
// error keeps the lists as they were and is logged.
func (r *runtime) refresh() {
	if !r.on {
		return
	}
	g, _, err := db.Get(keyGen)
	if err != nil {
		sdk.Log(sdk.LevelWarn, "runtime lists: "+err.Error())
		return
	}
	if r.loaded && string(g) == r.gen {
		return
	}
	if err := r.load(); err != nil {
		sdk.Log(sdk.LevelWarn, "runtime lists: "+err.Error())
		return
	}
	r.gen, r.loaded = string(g), true
}

// load reads every runtime list from the durable state.
func (r *runtime) load() error {
	ban, allow, ipReason := map[string]string{}, map[string]string{}, map[string]string{}
	kinds := map[int]bool{}
	ips := ipSet{addrs: map[netip.Addr]bool{}, prefixes: map[netip.Prefix]bool{}}
	scans := []struct {
		prefix string
		add    func(k string, v []byte)
	}{
		{keyBan, func(k string, v []byte) { ban[k] = string(v) }},
		{keyAllow, func(k string, v []byte) { allow[k] = string(v) }},
		{keyKindAllow, func(k string, _ []byte) {
			if n, err := strconv.Atoi(k); err == nil {
				kinds[n] = true
			}
		}},
		{keyIPBlock, func(k string, v []byte) {
			if ips.add(k) == nil {
				ipReason[k] = string(v)
			}
		}},
	}
	for _, s := range scans {
		err := db.Scan(s.prefix, func(key string, val []byte) bool {
			s.add(strings.TrimPrefix(key, s.prefix), val)
			return true
		})
		if err != nil {
			return err
		}
	}
	r.ban, r.allow, r.kinds, r.ips, r.ipReason = ban, allow, kinds, ips, ipReason
	return nil
}

// touch records a change of the runtime lists: a fresh gen, written after
// the entry, so that every instance reloads at its next call.
func touch() error {
	tok := strconv.FormatInt(sdk.Now().UnixNano(), 36) + "-" + strconv.FormatUint(rand.Uint64(), 36)
	return db.Put(keyGen, []byte(tok))
}

// kindKey is the key of allowed kind k.
func kindKey(k int) string {
	s := strconv.Itoa(k)
	return keyKindAllow + strings.Repeat("0", max(0, 5-len(s))) + s
}
