package policy

import "time"

// Measuring the chain.
//
// The chain counts nothing itself: an Observer set on the Holder gives each
// entry of every chain stored in it a Recorder, which the chain calls after
// every policy call. What the recorders count lives in the Observer, not in
// the chain, so it outlives a reload: a reload builds a new chain, and the
// Observer hands an unchanged policy the recorder it had (host/metrics keys
// them by plugin name and version). A chain without recorders costs no
// clock reads.

// Recorder is told about every call of one chain entry's policy. It runs on
// the relay's hot paths (every EVENT, every live delivery when a deliver
// hook is loaded): it must be cheap and safe for concurrent use.
type Recorder interface {
	// Record reports one call of hook h: the action and prefix the policy
	// answered (before the entry's Mode and FailMode were applied), err if
	// the call failed (then a and p mean nothing), and how long it took.
	Record(h Hook, a Action, p Prefix, err error, took time.Duration)
}

// Observer gives chain entries their recorders.
type Observer interface {
	// Observe is called with the entries of each chain about to be stored
	// in a Holder, in chain order (none for a nil chain), before any call
	// can reach it, and returns their recorders in the same order; a nil
	// Recorder leaves its entry unmeasured. Stores are not concurrent for
	// one Holder (the plugin manager serialises its reloads), but an
	// Observer shared by Holders must lock.
	Observe(entries []Entry) []Recorder
}

// Observe makes h pass every chain stored from now on through o. Call it
// before h is shared, before the first Store.
func (h *Holder) Observe(o Observer) { h.obs = o }

// observe tells o about c and sets the entries' recorders. A chain stored
// before may be in use, so it keeps the recorders it has.
func (c *Chain) observe(o Observer) {
	if c == nil {
		o.Observe(nil)
		return
	}
	recs := o.Observe(c.Entries())
	if c.observed {
		return
	}
	c.observed = true
	for i, e := range c.entries {
		if i < len(recs) {
			e.rec = recs[i]
		}
	}
}

// Recorder returns the recorder of the entry whose policy is named name,
// or nil if there is none or it is not measured. It is for calls made
// outside the chain's hooks, such as a plugin's management methods
// (HookManage), so that they are counted with the plugin's other calls.
func (c *Chain) Recorder(name string) Recorder {
	if c == nil {
		return nil
	}
	for _, e := range c.entries {
		if e.Policy.Name() == name {
			return e.rec
		}
	}
	return nil
}
