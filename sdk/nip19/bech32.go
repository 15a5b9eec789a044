package nip19

// The bech32 checksum and 5-bit regrouping of BIP-173, which NIP-19 uses.

const charset = "qpzry9x8gf2tvdw0s3jn54khce6mua7l"

func hrpExpand(hrp string) []byte {
	out := make([]byte, 0, 2*len(hrp)+1)
	for i := range len(hrp) {
		out = append(out, hrp[i]>>5)
	}
	out = append(out, 0)
	for i := range len(hrp) {
		out = append(out, hrp[i]&31)
	}
	return out
}

func polymod(vals []byte) uint32 {
	gen := [5]uint32{0x3b6a57b2, 0x26508e6d, 0x1ea119fa, 0x3d4233dd, 0x2a1462b3}
	chk := uint32(1)
	for _, v := range vals {
		top := chk >> 25
		chk = (chk&0x1ffffff)<<5 ^ uint32(v)
		for i := range 5 {
			if (top>>i)&1 == 1 {
				chk ^= gen[i]
			}
		}
	}
	return chk
}

// regroup converts 5-bit groups to bytes; leftover bits must be zero
// padding.
func regroup(vals []byte) ([]byte, bool) {
	var acc uint32
	var bits uint
	out := make([]byte, 0, len(vals)*5/8)
	for _, v := range vals {
		acc = acc<<5 | uint32(v)
		bits += 5
		for bits >= 8 {
			bits -= 8
			out = append(out, byte(acc>>bits))
		}
	}
	return out, bits < 5 && acc&(1<<bits-1) == 0
}
