// Command limits is a relayd policy plugin: bounds on an event's content
// length, tags, indexable tags and created_at, for every kind and per kind
// or kind range, and a ban on base64-embedded media.
//
// Every check is on the event's own fields, so it runs in event_pre,
// before the relay spends a signature check on an event it would refuse.
package main

import (
	"errors"
	"strconv"
	"strings"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/config"
)

// lim is this instance's checked config, set by setup.
var lim *limiter

func init() {
	sdk.OnInit(setup)
	sdk.OnLimitation(limitation)
}

func main() {}

// setup reads the config; with no check on, the plugin asks for no hook.
func setup() error {
	var c Config
	if err := config.DecodeStrict(&c); err != nil { // a typo refuses the load
		return errors.New("config: " + err.Error())
	}
	l, err := compile(c)
	if err != nil {
		return err
	}
	lim = l
	if l.active() {
		sdk.OnEventPre(onEventPre)
	} else {
		sdk.OnEventPre(nil)
	}
	return nil
}

// limitation reports the global limits as NIP-11 keys; per-kind overrides
// have no NIP-11 form.
func limitation() map[string]any {
	if lim == nil {
		return nil
	}
	m := map[string]any{}
	for _, kv := range []struct {
		key string
		v   int64
	}{
		{"max_content_length", lim.global.maxContent},
		{"max_event_tags", lim.global.maxTags},
		{"created_at_lower_limit", lim.global.maxPast},
		{"created_at_upper_limit", lim.global.maxFuture},
	} {
		if kv.v > 0 {
			m[kv.key] = kv.v
		}
	}
	return m
}

// onEventPre checks the free fields first (sizes and times arrive with the
// call), then the tags and the content, which cost host calls.
func onEventPre(e sdk.Event) sdk.Verdict {
	if e.Source() != sdk.SourceIP4 && e.Source() != sdk.SourceIP6 {
		return sdk.Accept() // imports and syncs are the operator's
	}
	kind := e.Kind()
	r := lim.forKind(kind)
	if msg := r.checkSizes(e, kind); msg != "" {
		return sdk.Reject(sdk.Invalid, msg)
	}
	if msg := r.checkTime(e); msg != "" {
		return sdk.Reject(sdk.Invalid, msg)
	}
	if msg := r.checkIndexTags(e); msg != "" {
		return sdk.Reject(sdk.Invalid, msg)
	}
	if r.base64 && e.ContentLen() > 0 && hasBase64Media(e.Content()) {
		return sdk.Reject(sdk.Blocked, "base64-embedded media is not accepted; upload the file and link to it")
	}
	return sdk.Accept()
}

func (r *rules) checkSizes(e sdk.Event, kind int) string {
	k := strconv.Itoa(kind)
	if r.maxContent > 0 && int64(e.ContentLen()) > r.maxContent {
		return "content of kind " + k + " events is limited to " + itoa(r.maxContent) + " bytes"
	}
	if r.maxTags > 0 && int64(e.TagCount()) > r.maxTags {
		return "kind " + k + " events may have at most " + itoa(r.maxTags) + " tags"
	}
	return ""
}

// checkTime uses the time the relay read the event, which comes with the
// call.
func (r *rules) checkTime(e sdk.Event) string {
	if r.maxPast == 0 && r.maxFuture == 0 {
		return ""
	}
	now := e.ReceivedAt()
	if now == 0 {
		now = sdk.Now().Unix()
	}
	switch at := e.CreatedAt(); {
	case r.maxPast > 0 && at < now-r.maxPast:
		return "created_at is more than " + itoa(r.maxPast) + " seconds in the past"
	case r.maxFuture > 0 && at > now+r.maxFuture:
		return "created_at is more than " + itoa(r.maxFuture) + " seconds in the future"
	}
	return ""
}

// checkIndexTags counts single-letter tags, the ones relays index.
func (r *rules) checkIndexTags(e sdk.Event) string {
	if r.maxIndexTags == 0 && r.maxIndexValue == 0 || e.TagCount() == 0 {
		return ""
	}
	var n int64
	var msg string
	s := tagScanner{b: e.TagsJSON()}
	ok := s.each(func(nameLen int, name0 byte, valueLen int) bool {
		if nameLen != 1 || !isLetter(name0) {
			return true
		}
		if n++; r.maxIndexTags > 0 && n > r.maxIndexTags {
			msg = "at most " + itoa(r.maxIndexTags) + " indexable (single-letter) tags"
			return false
		}
		if r.maxIndexValue > 0 && int64(valueLen) > r.maxIndexValue {
			msg = "the value of a \"" + string(name0) + "\" tag is longer than " + itoa(r.maxIndexValue) + " bytes"
			return false
		}
		return true
	})
	if !ok {
		return "tags are not an array of arrays of strings"
	}
	return msg
}

func isLetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// hasBase64Media reports whether s holds a data: URL of an image, video or
// audio in base64 ("data:image/png;base64,iVBOR..."), in any letter case.
func hasBase64Media(s string) bool {
	for {
		i := strings.IndexByte(s, ':')
		if i < 0 {
			return false
		}
		scheme := s[max(i-4, 0):i]
		s = s[i+1:]
		if !strings.EqualFold(scheme, "data") {
			continue
		}
		mime := s[:min(len(s), 6)]
		if !strings.EqualFold(mime, "image/") && !strings.EqualFold(mime, "video/") && !strings.EqualFold(mime, "audio/") {
			continue
		}
		end := strings.IndexAny(s, ", \n\t\"'")
		if end >= 0 && s[end] == ',' && len(s[:end]) >= 7 && strings.EqualFold(s[end-7:end], ";base64") {
			return true
		}
	}
}
