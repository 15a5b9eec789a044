package wasmhost

// WatchdogParked reports whether p's deadline watchdog is parked for want
// of calls (see watch).
func (p *Plugin) WatchdogParked() bool { return p.parked.Load() }
