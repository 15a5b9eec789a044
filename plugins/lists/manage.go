package main

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/db"
	"github.com/relayd/relayd/sdk/nip19"
)

// The NIP-86 management methods lists serves. Runtime entries add to the
// configured lists; removing one removes only a runtime entry, and a
// method that would remove a configured entry is refused with where it is
// configured (README.md, "Managing the lists at run time").

// configured is the reason listed for an entry of lists.toml or a list
// file.
const configured = "configured in lists.toml"

// registerMethods serves the methods if on, else withdraws them. lists
// serves them only with durable state: without it they could not change
// anything.
func registerMethods(on bool) {
	methods := map[string]sdk.ManageFunc{
		"banpubkey":                   func(p sdk.Params) ([]byte, error) { return addPubkey(p, keyBan) },
		"unbanpubkey":                 func(p sdk.Params) ([]byte, error) { return removePubkey(p, keyBan, ls.pkDeny, "pubkey_deny") },
		"listbannedpubkeys":           func(sdk.Params) ([]byte, error) { return listPubkeys(ls.pkDeny, rt.ban) },
		"allowpubkey":                 func(p sdk.Params) ([]byte, error) { return addPubkey(p, keyAllow) },
		"unallowpubkey":               func(p sdk.Params) ([]byte, error) { return removePubkey(p, keyAllow, ls.pkAllow, "pubkey_allow") },
		"listallowedpubkeys":          func(sdk.Params) ([]byte, error) { return listPubkeys(ls.pkAllow, rt.allow) },
		"allowkind":                   allowKind,
		"disallowkind":                disallowKind,
		"listallowedkinds":            listKinds,
		"blockip":                     blockIP,
		"unblockip":                   unblockIP,
		"listblockedips":              listIPs,
		"listeventsneedingmoderation": listReports,
		"dismissreport":               dismissReport,
	}
	for name, fn := range methods {
		if !on {
			sdk.OnManage(name, nil)
			continue
		}
		sdk.OnManage(name, func(p sdk.Params) ([]byte, error) {
			rt.refresh()
			return fn(p)
		})
	}
}

// reasonParam returns the optional reason at params[i], cut to maxReason.
func reasonParam(p sdk.Params, i int) (string, error) {
	if p.Len() <= i {
		return "", nil
	}
	s, ok := p.String(i)
	if !ok {
		return "", errors.New("the reason must be a string")
	}
	if len(s) > maxReason {
		s = s[:maxReason]
	}
	return s, nil
}

// pubkeyParam returns params[0] as a hex pubkey (hex or npub given).
func pubkeyParam(p sdk.Params) (string, error) {
	s, ok := p.String(0)
	if !ok {
		return "", errors.New("want a pubkey (64 hex characters or an npub) as the first param")
	}
	pk, err := nip19.Pubkey(s)
	if err != nil {
		return "", err
	}
	return pk, nil
}

// change writes an entry (or deletes it) and then the new generation.
func change(key string, val []byte, del bool) error {
	var err error
	if del {
		_, err = db.Delete(key)
	} else {
		err = db.Put(key, val)
	}
	if err != nil {
		return err
	}
	return touch()
}

func addPubkey(p sdk.Params, prefix string) ([]byte, error) {
	pk, err := pubkeyParam(p)
	if err != nil {
		return nil, err
	}
	reason, err := reasonParam(p, 1)
	if err != nil {
		return nil, err
	}
	return nil, change(prefix+pk, []byte(reason), false)
}

func removePubkey(p sdk.Params, prefix string, conf pubkeySet, key string) ([]byte, error) {
	pk, err := pubkeyParam(p)
	if err != nil {
		return nil, err
	}
	if conf[pk] {
		return nil, errors.New(pk + " is in " + key + " in " + sdk.PluginName() + ".toml or its list file: remove it there")
	}
	return nil, change(prefix+pk, nil, true)
}

// pubkeyEntry is a row of listbannedpubkeys and listallowedpubkeys.
type pubkeyEntry struct {
	Pubkey string `json:"pubkey"`
	Reason string `json:"reason,omitempty"`
}

func listPubkeys(conf pubkeySet, run map[string]string) ([]byte, error) {
	out := []pubkeyEntry{}
	for pk := range conf {
		out = append(out, pubkeyEntry{pk, configured})
	}
	for pk, reason := range run {
		if !conf[pk] {
			out = append(out, pubkeyEntry{pk, reason})
		}
	}
	slices.SortFunc(out, func(a, b pubkeyEntry) int { return strings.Compare(a.Pubkey, b.Pubkey) })
	return json.Marshal(out)
}

func kindParam(p sdk.Params) (int, error) {
	k, ok := p.Int(0)
	if !ok || k < 0 || k > 65535 {
		return 0, errors.New("want a kind (0 to 65535) as the first param")
	}
	return int(k), nil
}

func allowKind(p sdk.Params) ([]byte, error) {
	k, err := kindParam(p)
	if err != nil {
		return nil, err
	}
	return nil, change(kindKey(k), nil, false)
}

func disallowKind(p sdk.Params) ([]byte, error) {
	k, err := kindParam(p)
	if err != nil {
		return nil, err
	}
	if ls.kindAllow.Has(k) {
		return nil, errors.New("kind " + strconv.Itoa(k) + " is in kind_allow in " + sdk.PluginName() + ".toml or its list file: remove it there")
	}
	return nil, change(kindKey(k), nil, true)
}

// listKinds lists the allowed kinds, configured and runtime. A configured
// range is listed kind by kind.
func listKinds(sdk.Params) ([]byte, error) {
	out := []int{}
	for k := 0; k <= 65535; k++ {
		if kindAllowed(k) {
			out = append(out, k)
		}
	}
	return json.Marshal(out)
}

// ipParam returns params[0] as a canonical address or CIDR prefix.
func ipParam(p sdk.Params) (string, error) {
	s, ok := p.String(0)
	if !ok {
		return "", errors.New("want an IP address or CIDR prefix as the first param")
	}
	return canonIP(s)
}

func blockIP(p sdk.Params) ([]byte, error) {
	ip, err := ipParam(p)
	if err != nil {
		return nil, err
	}
	reason, err := reasonParam(p, 1)
	if err != nil {
		return nil, err
	}
	return nil, change(keyIPBlock+ip, []byte(reason), false)
}

func unblockIP(p sdk.Params) ([]byte, error) {
	ip, err := ipParam(p)
	if err != nil {
		return nil, err
	}
	if ls.ipDeny.hasEntry(ip) {
		return nil, errors.New(ip + " is in ip_deny in " + sdk.PluginName() + ".toml or its list file: remove it there")
	}
	return nil, change(keyIPBlock+ip, nil, true)
}

// ipEntry is a row of listblockedips.
type ipEntry struct {
	IP     string `json:"ip"`
	Reason string `json:"reason,omitempty"`
}

func listIPs(sdk.Params) ([]byte, error) {
	out := []ipEntry{}
	for _, e := range ls.ipDeny.entries() {
		out = append(out, ipEntry{e, configured})
	}
	for e, reason := range rt.ipReason {
		if !ls.ipDeny.hasEntry(e) {
			out = append(out, ipEntry{e, reason})
		}
	}
	slices.SortFunc(out, func(a, b ipEntry) int { return strings.Compare(a.IP, b.IP) })
	return json.Marshal(out)
}
