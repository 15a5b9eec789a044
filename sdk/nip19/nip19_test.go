package nip19_test

import (
	"encoding/hex"
	"strings"
	"testing"

	"github.com/relayd/relayd/sdk/nip19"
)

// NIP-19's example npubs and their hex.
const (
	npubA = "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6"
	hexA  = "3bf0c63fcb93463407af97a5e5ee64fa883d107ef9e558472c4eb9aaaefa459d"
	npubB = "npub10elfcs4fr0l0r8af98jlmgdh9c8tcxjvz9qkw038js35mp4dma8qzvjptg"
	hexB  = "7e7e9c42a91bfef19fa929e5fda1b72e0ebc1a4c1141673e2794234d86addf4e"
)

func TestPubkey(t *testing.T) {
	tests := []struct{ in, want string }{
		{npubA, hexA},
		{strings.ToUpper(npubA), hexA},
		{strings.ToUpper(hexA), hexA},
		{" " + hexA + " ", hexA},
		{npubB, hexB},
	}
	for _, tc := range tests {
		got, err := nip19.Pubkey(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Pubkey(%q): got %q, %v, want %q", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", hexA[1:], "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5", "Npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6"} {
		if got, err := nip19.Pubkey(bad); err == nil {
			t.Errorf("Pubkey(%q): got %q, want an error", bad, got)
		}
	}
	if _, err := nip19.Pubkey(" npub1xyz"); err == nil || err.Error() != `pubkey "npub1xyz": want 64 hex characters or an npub` {
		t.Errorf("Pubkey: got error %v", err)
	}
}

func TestDecodeNpub(t *testing.T) {
	bad := []string{
		"",
		"npub1",
		"nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5", // another prefix
		npubA[:len(npubA)-1] + "7",                                        // checksum
		"npub1" + strings.Repeat("q", 58),                                 // bad checksum, right length
		"npub1b" + npubA[6:],                                              // 'b' is not in the charset
		npubA[:20] + strings.ToUpper(npubA[20:]),                          // mixed case
	}
	for _, s := range bad {
		if b, err := nip19.DecodeNpub(s); err != nip19.ErrNotNpub {
			t.Errorf("DecodeNpub(%q): got %x, %v; want ErrNotNpub", s, b, err)
		}
	}
}

func TestDecodeNsec(t *testing.T) {
	tests := []struct {
		name, in, want string
		wantErr        bool
	}{
		{"nsec", "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5", "67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa", false},
		{"upper case", "NSEC1VL029MGPSPEDVA04G90VLTKH6FVH240ZQTV9K0T9AF8935KE9LAQSNLFE5", "67dea2ed018072d675f5415ecfaed7d2597555e202d85b3d65ea4e58d2d92ffa", false},
		{"an npub", "npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6", "", true},
		{"bad checksum", "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe6", "", true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			b, err := nip19.DecodeNsec(tc.in)
			if (err != nil) != tc.wantErr || hex.EncodeToString(b) != tc.want {
				t.Fatalf("got %x, %v; want %s", b, err, tc.want)
			}
		})
	}
}
