package main

import "bytes"

// Reading stored events without a JSON decoder. An event's JSON, as the
// relay stores it, is one object; inside its strings every '"' is escaped,
// so the byte sequences searched for here ("pubkey":" and ["p"," with no
// backslash) only occur as the object's own keys and as the first two
// elements of its tags, never inside content or a tag value.

// field returns the 64-character hex value of key ("pubkey", "id") in
// raw, or "".
func field(raw []byte, key string) string {
	pat := `"` + key + `":"`
	i := bytes.Index(raw, []byte(pat))
	if i < 0 || len(raw) < i+len(pat)+64 {
		return ""
	}
	v := raw[i+len(pat) : i+len(pat)+64]
	if !isHex(v) {
		return ""
	}
	return string(v)
}

// tagValues calls fn with the second element of each tag named name whose
// value is 64 lowercase hex characters (p and e tags), in order.
func tagValues(raw []byte, name string, fn func(v string)) {
	pat := []byte(`["` + name + `","`)
	for {
		i := bytes.Index(raw, pat)
		if i < 0 {
			return
		}
		raw = raw[i+len(pat):]
		if len(raw) > 64 && raw[64] == '"' && isHex(raw[:64]) {
			fn(string(raw[:64]))
		}
	}
}

func isHex(b []byte) bool {
	for _, c := range b {
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'f') {
			return false
		}
	}
	return true
}
