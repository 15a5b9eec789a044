package wasmhost

// WatchdogParked reports whether p's deadline watchdog is parked for want
// of calls (see watch).
func (p *Plugin) WatchdogParked() bool { return p.parked.Load() }

// Instance is a pooled instance, for tests of the pool.
type Instance = instance

// Acquire takes an instance from p's pool (see acquire).
func (p *Plugin) Acquire() (*Instance, error) { return p.acquire() }

// Release returns a healthy instance to p's pool (see release).
func (p *Plugin) Release(inst *Instance) { p.release(inst, false) }

// Waiting reports how many callers wait for an instance.
func (p *Plugin) Waiting() int { return int(p.waiting.Load()) }

// CPUID is cpuID.
func CPUID() int { return cpuID() }
