//go:build !linux || !amd64

package wasmhost

// cpuID returns 0 where reading the current CPU is not cheap: every
// thread then shares one hot slot of the pool (see Plugin.hot).
func cpuID() int { return 0 }
