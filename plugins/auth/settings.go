package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/relayd/relayd/sdk/config"
)

// settings is the plugin's [config] table.
type settings struct {
	// PublishAuth requires AUTH to publish any event.
	PublishAuth bool `json:"publish_auth"`
	// PublishAuthKinds requires AUTH to publish these kinds.
	PublishAuthKinds []int `json:"publish_auth_kinds"`
	// ReadAuth requires AUTH for every REQ and COUNT.
	ReadAuth bool `json:"read_auth"`
	// ReadAuthKinds requires AUTH for a REQ or COUNT asking for these kinds.
	ReadAuthKinds []int `json:"read_auth_kinds"`
	// DMKinds are only for their author and p-tagged recipients.
	DMKinds []int `json:"dm_kinds"`
	// AllowPubkeys, if set, are the only authors that may publish.
	AllowPubkeys []string `json:"allow_pubkeys"`
	// AllowAuthed also accepts any author's event from a session
	// authenticated as an allowed pubkey.
	AllowAuthed bool `json:"allow_authed"`
	// RestrictedMessage follows "restricted: " when the allowlist refuses.
	RestrictedMessage string `json:"restricted_message"`

	publish, read, dm kindSet
	allow             map[string]bool
}

// defaultDMKinds are NIP-04 DMs, NIP-17 chat messages and NIP-59 gift
// wraps.
var defaultDMKinds = []int{4, 14, 1059}

// loadSettings decodes and checks the [config] JSON. Unknown keys are an
// error, so a typo does not silently leave a gate open.
func loadSettings() (*settings, error) {
	s := &settings{DMKinds: append([]int(nil), defaultDMKinds...), RestrictedMessage: "this relay only accepts events from its members"}
	if err := config.DecodeStrict(s); err != nil {
		return nil, fmt.Errorf("auth: config: %w", err)
	}
	var err error
	if s.publish, err = newKindSet("publish_auth_kinds", s.PublishAuthKinds); err != nil {
		return nil, err
	}
	if s.read, err = newKindSet("read_auth_kinds", s.ReadAuthKinds); err != nil {
		return nil, err
	}
	if s.dm, err = newKindSet("dm_kinds", s.DMKinds); err != nil {
		return nil, err
	}
	if len(s.AllowPubkeys) > 0 {
		s.allow = make(map[string]bool, len(s.AllowPubkeys))
		for _, pk := range s.AllowPubkeys {
			if !isHex64(pk) {
				return nil, fmt.Errorf("auth: config: allow_pubkeys: %q is not a 64-character lowercase hex pubkey", pk)
			}
			s.allow[pk] = true
		}
	}
	if s.AllowAuthed && s.allow == nil {
		return nil, errors.New("auth: config: allow_authed needs allow_pubkeys")
	}
	return s, nil
}

func (s *settings) gatesPublish() bool {
	return s.PublishAuth || !s.publish.empty() || s.allow != nil
}

func (s *settings) gatesRead() bool { return s.ReadAuth || !s.read.empty() || !s.dm.empty() }

// summary describes the settings for the log.
func (s *settings) summary() string {
	var b strings.Builder
	b.WriteString("publish_auth=" + strconv.FormatBool(s.PublishAuth))
	b.WriteString(" publish_auth_kinds=" + fmt.Sprint(s.PublishAuthKinds))
	b.WriteString(" read_auth=" + strconv.FormatBool(s.ReadAuth))
	b.WriteString(" read_auth_kinds=" + fmt.Sprint(s.ReadAuthKinds))
	b.WriteString(" dm_kinds=" + fmt.Sprint(s.DMKinds))
	b.WriteString(" allow_pubkeys=" + strconv.Itoa(len(s.AllowPubkeys)))
	return b.String()
}

func isHex64(s string) bool {
	if len(s) != 64 {
		return false
	}
	for i := range len(s) {
		c := s[i]
		if (c < '0' || c > '9') && (c < 'a' || c > 'f') {
			return false
		}
	}
	return true
}

// kindSet is a set of event kinds (0–65535), one bit each.
type kindSet []uint64

func newKindSet(key string, kinds []int) (kindSet, error) {
	if len(kinds) == 0 {
		return nil, nil
	}
	s := make(kindSet, 1024)
	for _, k := range kinds {
		if k < 0 || k > 65535 {
			return nil, fmt.Errorf("auth: config: %s: kind %d out of range", key, k)
		}
		s[k>>6] |= 1 << (k & 63)
	}
	return s, nil
}

func (s kindSet) has(k int) bool { return s != nil && k >= 0 && k <= 65535 && s[k>>6]&(1<<(k&63)) != 0 }

func (s kindSet) empty() bool { return s == nil }
