package main

import (
	"errors"
	"strconv"

	"github.com/relayd/relayd/sdk/kinds"
)

// Config is the plugin's [config] table: limits for every kind, and
// overrides for some kinds and kind ranges.
type Config struct {
	Limits
	// Kinds override Limits for a kind ("30023") or a range
	// ("30000-39999"), key by key.
	Kinds map[string]Limits `json:"kinds"`
}

// Limits are the checks; nil means "not set here" (inherit), 0 means off.
type Limits struct {
	// MaxContent bounds the content, in bytes.
	MaxContent *int64 `json:"max_content"`
	// MaxTags bounds the number of tags.
	MaxTags *int64 `json:"max_tags"`
	// MaxIndexTags bounds the number of indexable (single-letter) tags.
	MaxIndexTags *int64 `json:"max_index_tags"`
	// MaxIndexValue bounds the value of an indexable tag, in bytes.
	MaxIndexValue *int64 `json:"max_index_value"`
	// MaxPast bounds how old created_at may be, in seconds.
	MaxPast *int64 `json:"max_past"`
	// MaxFuture bounds how far ahead created_at may be, in seconds.
	MaxFuture *int64 `json:"max_future"`
	// RejectBase64Media refuses content with data:image/, data:video/ or
	// data:audio/ base64 URLs.
	RejectBase64Media *bool `json:"reject_base64_media"`
}

// rules are resolved Limits for one kind.
type rules struct {
	maxContent, maxTags, maxIndexTags, maxIndexValue, maxPast, maxFuture int64
	base64                                                               bool
}

// limiter is the checked config.
type limiter struct {
	global rules
	kinds  kinds.Map[*rules]
}

func compile(c Config) (*limiter, error) {
	l := &limiter{}
	var err error
	if l.global, err = (rules{}).apply("", c.Limits); err != nil {
		return nil, err
	}
	for key, kl := range c.Kinds {
		kr, err := kinds.ParseRange(key)
		if err != nil {
			return nil, errors.New("kinds: " + err.Error())
		}
		r, err := l.global.apply("kinds."+key+".", kl)
		if err != nil {
			return nil, err
		}
		l.kinds.Put(kr, &r)
	}
	return l, nil
}

// apply returns r with the keys set in o replaced.
func (r rules) apply(where string, o Limits) (rules, error) {
	for _, f := range []struct {
		name string
		src  *int64
		dst  *int64
	}{
		{"max_content", o.MaxContent, &r.maxContent},
		{"max_tags", o.MaxTags, &r.maxTags},
		{"max_index_tags", o.MaxIndexTags, &r.maxIndexTags},
		{"max_index_value", o.MaxIndexValue, &r.maxIndexValue},
		{"max_past", o.MaxPast, &r.maxPast},
		{"max_future", o.MaxFuture, &r.maxFuture},
	} {
		if f.src == nil {
			continue
		}
		if *f.src < 0 {
			return r, errors.New(where + f.name + ": want 0 (off) or more, got " + strconv.FormatInt(*f.src, 10))
		}
		*f.dst = *f.src
	}
	if o.RejectBase64Media != nil {
		r.base64 = *o.RejectBase64Media
	}
	return r, nil
}

// forKind returns the rules for kind: its own table, else the narrowest
// range that holds it, else the global limits.
func (l *limiter) forKind(kind int) *rules {
	if r, ok := l.kinds.Get(kind); ok {
		return r
	}
	return &l.global
}

// active reports whether any check is on for some kind.
func (l *limiter) active() bool {
	if l.global != (rules{}) {
		return true
	}
	for _, r := range l.kinds.All() {
		if *r != (rules{}) {
			return true
		}
	}
	return false
}
