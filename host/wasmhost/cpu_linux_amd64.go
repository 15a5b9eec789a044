package wasmhost

// cpuID returns the number of the CPU the calling thread runs on, read
// the way the kernel's vgetcpu does without RDPID (the getcpu system call
// costs ~1 µs on a VM, the LSL instruction ~17 ns). The thread may move
// right after: the answer is a hint, which is all the pool needs (see
// Plugin.hot).
//
//go:noescape
func cpuID() int
