#include "textflag.h"

// func cpuID() int
//
// LSL of the per-CPU segment Linux puts in the GDT for vgetcpu (entry 15,
// selector 15*8+3) loads (node << 12) | cpu. Where the selector is not
// valid, LSL leaves the destination as it was: 0.
TEXT ·cpuID(SB), NOSPLIT, $0-8
	MOVQ $0x7b, AX
	XORQ BX, BX
	LSLQ AX, BX
	ANDQ $0xfff, BX
	MOVQ BX, ret+0(FP)
	RET
