package wsconn

import (
	"encoding/binary"
	"testing"

	"github.com/gobwas/ws"
)

func Test_headerRoundTrip(t *testing.T) {
	for _, n := range []int{0, 1, 125, 126, 127, 65535, 65536, 1 << 20} {
		b := appendHeader(nil, ws.OpText, n)
		if len(b) != headerLen(n) {
			t.Fatalf("len %d: header %d bytes, headerLen says %d", n, len(b), headerLen(n))
		}
		h, hn, err := parseHeader(b)
		if err != nil || hn != len(b) || h.length != int64(n) || !h.fin || h.op != ws.OpText || h.masked {
			t.Fatalf("len %d: got %+v %d %v", n, h, hn, err)
		}
		for cut := 0; cut < len(b); cut++ {
			if _, _, err := parseHeader(b[:cut]); err != errNeedMore {
				t.Fatalf("len %d cut at %d: got %v, want errNeedMore", n, cut, err)
			}
		}
	}
}

func Test_parseClose(t *testing.T) {
	tests := []struct {
		name    string
		payload []byte
		code    ws.StatusCode
		bad     bool
	}{
		{"empty", nil, ws.StatusNoStatusRcvd, false},
		{"one byte", []byte{3}, 0, true},
		{"normal", closePayload(1000, "bye"), 1000, false},
		{"app code", closePayload(4001, ""), 4001, false},
		{"reserved 1005", closePayload(1005, ""), 0, true},
		{"out of range", closePayload(999, ""), 0, true},
		{"bad utf8 reason", append(closePayload(1000, ""), 0xff), 0, true},
	}
	for _, tc := range tests {
		code, err := parseClose(tc.payload)
		if (err != nil) != tc.bad || (!tc.bad && code != tc.code) {
			t.Errorf("%s: got %d %v", tc.name, code, err)
		}
	}
	long := closePayload(1000, string(make([]byte, 300)))
	if len(long) > 125 {
		t.Fatalf("close payload %d bytes, over a control frame's 125", len(long))
	}
}

// FuzzParseHeader: any bytes either need more, fail cleanly, or give a
// header whose size fits the input and whose length is not negative.
func FuzzParseHeader(f *testing.F) {
	f.Add([]byte{0x81, 0x85, 1, 2, 3, 4})
	f.Add([]byte{0x82, 0xfe, 0x01, 0x00})
	f.Add(binary.BigEndian.AppendUint64([]byte{0x81, 0xff}, 1<<63))
	f.Fuzz(func(t *testing.T, b []byte) {
		h, n, err := parseHeader(b)
		if err != nil {
			return
		}
		if n > len(b) || n < 2 || h.length < 0 {
			t.Fatalf("header %+v size %d from %d bytes", h, n, len(b))
		}
		_ = h.check(false)
		_ = h.check(true)
	})
}
