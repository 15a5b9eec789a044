//go:build !wasip1

package imports

import "github.com/relayd/relayd/sdk/abi"

// Host is the host side of the ABI for native builds. Each method has the
// signature and semantics of the package function of the same name.
type Host interface {
	Get(field uint32, buf []byte) int32
	GetTag(index uint32, buf []byte) int32
	GetHeader(name string, buf []byte) int32
	SetOutput(kind uint32, data []byte) int32
	Now() int64
	LogEnabled(level uint32) bool
	Log(level uint32, msg string)
	CounterAdd(key string, delta, ttlMs int64, result *int64) int32
	CounterGet(key string, result *int64) int32
	BucketTake(key string, cost int64, rate float64, burst int64) int64
	KVGet(key string, buf []byte) int32
	KVSet(key string, val []byte, ttlMs int64) int32
	KVCAS(key string, old []byte, absent bool, val []byte, ttlMs int64) int32
	KVDelete(key string) int32
	StoreCount(filter []byte, result *int64) int32
	Features() uint64
	GetFile(name string, buf []byte) int32
	DBGet(key string, buf []byte) int32
	DBPut(key string, val []byte, flags uint32) int32
	DBDelete(key string) int32
	DBList(prefix, after string, limit int32, flags uint32, buf []byte) int32
	DBUsage(result *[4]int64) int32
	StoreQuery(filter, buf []byte) int32
}

// Exports are the guest exports as Go functions, for native callers. The
// sdk package fills them in; sdktest calls them.
type Exports struct {
	Init       func() int32
	Limitation func() int32
	Hook       func(h abi.Hook, session uint64, kind uint32, createdAt, receivedAt int64, size, count, flags uint32) uint32
	Tick       func() int32
	// DeliverBatch is relayd_on_deliver_batch: n sessions, then the hook
	// parameters of the event.
	DeliverBatch func(n uint32, kind uint32, createdAt, receivedAt int64, size, count uint32) int32
}

// Guest holds the guest exports of this process. Native builds only; a wasm
// instance is single-threaded and so is this.
var Guest Exports

var host Host

// SetHost makes h answer the host functions and returns the previous Host.
func SetHost(h Host) Host {
	old := host
	host = h
	return old
}

const unavailable = int32(abi.ErrUnavailable)

// Get reads input field into buf (see abi.FuncGet).
func Get(field uint32, buf []byte) int32 {
	if host == nil {
		return unavailable
	}
	return host.Get(field, buf)
}

// GetTag reads tag index of the current event into buf.
func GetTag(index uint32, buf []byte) int32 {
	if host == nil {
		return unavailable
	}
	return host.GetTag(index, buf)
}

// GetHeader reads request header name into buf.
func GetHeader(name string, buf []byte) int32 {
	if host == nil {
		return unavailable
	}
	return host.GetHeader(name, buf)
}

// SetOutput sets output kind to a copy of data.
func SetOutput(kind uint32, data []byte) int32 {
	if host == nil {
		return unavailable
	}
	return host.SetOutput(kind, data)
}

// Now returns the host's clock in unix nanoseconds.
func Now() int64 {
	if host == nil {
		return 0
	}
	return host.Now()
}

// LogEnabled reports whether the host logs level.
func LogEnabled(level uint32) bool { return host != nil && host.LogEnabled(level) }

// Log writes msg to the host log at level.
func Log(level uint32, msg string) {
	if host != nil {
		host.Log(level, msg)
	}
}

// CounterAdd adds delta to counter key and stores the new value in result.
func CounterAdd(key string, delta, ttlMs int64, result *int64) int32 {
	if host == nil {
		return unavailable
	}
	return host.CounterAdd(key, delta, ttlMs, result)
}

// CounterGet stores counter key's value in result.
func CounterGet(key string, result *int64) int32 {
	if host == nil {
		return unavailable
	}
	return host.CounterGet(key, result)
}

// BucketTake takes cost tokens from bucket key.
func BucketTake(key string, cost int64, rate float64, burst int64) int64 {
	if host == nil {
		return int64(unavailable)
	}
	return host.BucketTake(key, cost, rate, burst)
}

// KVGet reads key into buf.
func KVGet(key string, buf []byte) int32 {
	if host == nil {
		return unavailable
	}
	return host.KVGet(key, buf)
}

// KVSet stores val under key.
func KVSet(key string, val []byte, ttlMs int64) int32 {
	if host == nil {
		return unavailable
	}
	return host.KVSet(key, val, ttlMs)
}

// KVCAS stores val under key if the current value is old (absent: if there is none).
func KVCAS(key string, old []byte, absent bool, val []byte, ttlMs int64) int32 {
	if host == nil {
		return unavailable
	}
	return host.KVCAS(key, old, absent, val, ttlMs)
}

// KVDelete deletes key.
func KVDelete(key string) int32 {
	if host == nil {
		return unavailable
	}
	return host.KVDelete(key)
}

// StoreCount counts stored events matching filter into result.
func StoreCount(filter []byte, result *int64) int32 {
	if host == nil {
		return unavailable
	}
	return host.StoreCount(filter, result)
}

// KindsHost is implemented by a Host that keeps hook_kinds (optional: a
// Host without it accepts the call and keeps calling every kind, which is
// what a plugin must handle anyway).
type KindsHost interface {
	HookKinds(hook uint32, kinds []uint32) int32
}

// BatchHost is implemented by a Host that calls deliver batches
// (optional: without it SelectSession is unavailable).
type BatchHost interface {
	SelectSession(index uint32) int32
}

// SelectSession selects session index of a deliver batch (see
// abi.FuncSelectSession).
func SelectSession(index uint32) int32 {
	if h, ok := host.(BatchHost); ok {
		return h.SelectSession(index)
	}
	return unavailable
}

// HookKinds limits hook to kinds (relayd_init only).
func HookKinds(hook uint32, kinds []uint32) int32 {
	if h, ok := host.(KindsHost); ok {
		return h.HookKinds(hook, kinds)
	}
	return 0
}

// Features returns the host's feature bits.
func Features() uint64 {
	if host == nil {
		return 0
	}
	return host.Features()
}

// GetFile reads listed file name into buf.
func GetFile(name string, buf []byte) int32 {
	if host == nil {
		return unavailable
	}
	return host.GetFile(name, buf)
}

// DBGet reads durable key into buf.
func DBGet(key string, buf []byte) int32 {
	if host == nil {
		return unavailable
	}
	return host.DBGet(key, buf)
}

// DBPut stores val under durable key.
func DBPut(key string, val []byte, flags uint32) int32 {
	if host == nil {
		return unavailable
	}
	return host.DBPut(key, val, flags)
}

// DBDelete deletes durable key.
func DBDelete(key string) int32 {
	if host == nil {
		return unavailable
	}
	return host.DBDelete(key)
}

// DBList lists durable keys under prefix after after into buf.
func DBList(prefix, after string, limit int32, flags uint32, buf []byte) int32 {
	if host == nil {
		return unavailable
	}
	return host.DBList(prefix, after, limit, flags, buf)
}

// DBUsage writes the durable state's keys, bytes and limits into result.
func DBUsage(result *[4]int64) int32 {
	if host == nil {
		return unavailable
	}
	return host.DBUsage(result)
}

// StoreQuery reads the stored events matching filter into buf (see
// abi.FuncStoreQuery).
func StoreQuery(filter, buf []byte) int32 {
	if host == nil {
		return unavailable
	}
	return host.StoreQuery(filter, buf)
}
