package envelope

import (
	"bytes"
	"encoding/json"
)

// Peek reads what it can from the first bytes of a message too large to
// parse: its label and, for EVENT, the event id (found by key, 64 hex
// characters), or, for REQ, COUNT, CLOSE and NEG-*, the subscription id. It is
// lenient by design: the answer is only used to address a refusal.
func Peek(head []byte) (Label, string) {
	p := bytes.TrimLeft(head, " \t\r\n")
	if len(p) == 0 || p[0] != '[' {
		return LabelUnknown, ""
	}
	p = bytes.TrimLeft(p[1:], " \t\r\n")
	lbl, rest, ok := peekString(p)
	if !ok {
		return LabelUnknown, ""
	}
	label := labelOf(lbl)
	rest = bytes.TrimLeft(rest, " \t\r\n")
	if len(rest) == 0 || rest[0] != ',' {
		return label, ""
	}
	rest = bytes.TrimLeft(rest[1:], " \t\r\n")
	switch label {
	case LabelEvent, LabelAuth:
		return label, peekID(rest)
	case LabelReq, LabelCount, LabelClose, LabelNegOpen, LabelNegMsg, LabelNegClose:
		if sub, _, ok := peekString(rest); ok {
			return label, sub
		}
	}
	return label, ""
}

// peekString reads a JSON string at the start of p.
func peekString(p []byte) (string, []byte, bool) {
	if len(p) == 0 || p[0] != '"' {
		return "", p, false
	}
	for i := 1; i < len(p); i++ {
		switch p[i] {
		case '\\':
			i++
		case '"':
			var s string
			if json.Unmarshal(p[:i+1], &s) != nil {
				return "", p, false
			}
			return s, p[i+1:], true
		}
	}
	return "", p, false
}

// peekID finds "id":"<64 lowercase hex>" in the start of an event object.
func peekID(p []byte) string {
	for {
		i := bytes.Index(p, []byte(`"id"`))
		if i < 0 {
			return ""
		}
		q := bytes.TrimLeft(p[i+4:], " \t\r\n")
		if len(q) > 0 && q[0] == ':' {
			q = bytes.TrimLeft(q[1:], " \t\r\n")
			if len(q) >= 66 && q[0] == '"' && q[65] == '"' && isHex(string(q[1:65]), 64) {
				return string(q[1:65])
			}
		}
		p = p[i+4:]
	}
}
