//go:build wasip1

package imports

import "unsafe"

//go:wasmimport relayd_v1 get
func get(field uint32, buf unsafe.Pointer, limit uint32) int32

//go:wasmimport relayd_v1 get_tag
func getTag(index uint32, buf unsafe.Pointer, limit uint32) int32

//go:wasmimport relayd_v1 get_header
func getHeader(name unsafe.Pointer, nameLen uint32, buf unsafe.Pointer, limit uint32) int32

//go:wasmimport relayd_v1 set_output
func setOutput(kind uint32, ptr unsafe.Pointer, n uint32) int32

//go:wasmimport relayd_v1 now
func now() int64

//go:wasmimport relayd_v1 log_enabled
func logEnabled(level uint32) uint32

//go:wasmimport relayd_v1 log
func logLine(level uint32, ptr unsafe.Pointer, n uint32)

//go:wasmimport relayd_v1 counter_add
func counterAdd(key unsafe.Pointer, keyLen uint32, delta, ttlMs int64, result *int64) int32

//go:wasmimport relayd_v1 counter_get
func counterGet(key unsafe.Pointer, keyLen uint32, result *int64) int32

//go:wasmimport relayd_v1 bucket_take
func bucketTake(key unsafe.Pointer, keyLen uint32, cost int64, rate float64, burst int64) int64

//go:wasmimport relayd_v1 kv_get
func kvGet(key unsafe.Pointer, keyLen uint32, buf unsafe.Pointer, limit uint32) int32

//go:wasmimport relayd_v1 kv_set
func kvSet(key unsafe.Pointer, keyLen uint32, val unsafe.Pointer, valLen uint32, ttlMs int64) int32

//go:wasmimport relayd_v1 kv_cas
func kvCAS(key unsafe.Pointer, keyLen uint32, old unsafe.Pointer, oldLen int32, val unsafe.Pointer, valLen uint32, ttlMs int64) int32

//go:wasmimport relayd_v1 kv_delete
func kvDelete(key unsafe.Pointer, keyLen uint32) int32

//go:wasmimport relayd_v1 store_count
func storeCount(filter unsafe.Pointer, filterLen uint32, result *int64) int32

//go:wasmimport relayd_v1 features
func features() uint64

//go:wasmimport relayd_v1 hook_kinds
func hookKinds(hook uint32, kinds unsafe.Pointer, count uint32) int32

//go:wasmimport relayd_v1 get_file
func getFile(name unsafe.Pointer, nameLen uint32, buf unsafe.Pointer, limit uint32) int32

//go:wasmimport relayd_v1 db_get
func dbGet(key unsafe.Pointer, keyLen uint32, buf unsafe.Pointer, limit uint32) int32

//go:wasmimport relayd_v1 db_put
func dbPut(key unsafe.Pointer, keyLen uint32, val unsafe.Pointer, valLen uint32, flags uint32) int32

//go:wasmimport relayd_v1 db_delete
func dbDelete(key unsafe.Pointer, keyLen uint32) int32

//go:wasmimport relayd_v1 db_list
func dbList(prefix unsafe.Pointer, prefixLen uint32, after unsafe.Pointer, afterLen uint32, limit int32, flags uint32,
	buf unsafe.Pointer, bufLimit uint32) int32

//go:wasmimport relayd_v1 db_usage
func dbUsage(result *[4]int64) int32

//go:wasmimport relayd_v1 store_query
func storeQuery(filter unsafe.Pointer, filterLen uint32, buf unsafe.Pointer, limit uint32) int32

func bp(b []byte) unsafe.Pointer { return unsafe.Pointer(unsafe.SliceData(b)) }
func sp(s string) unsafe.Pointer { return unsafe.Pointer(unsafe.StringData(s)) }

// Get reads input field into buf (see abi.FuncGet).
func Get(field uint32, buf []byte) int32 { return get(field, bp(buf), uint32(len(buf))) }

// GetTag reads tag index of the current event into buf.
func GetTag(index uint32, buf []byte) int32 { return getTag(index, bp(buf), uint32(len(buf))) }

// GetHeader reads request header name into buf.
func GetHeader(name string, buf []byte) int32 {
	return getHeader(sp(name), uint32(len(name)), bp(buf), uint32(len(buf)))
}

// SetOutput sets output kind to a copy of data.
func SetOutput(kind uint32, data []byte) int32 { return setOutput(kind, bp(data), uint32(len(data))) }

// Now returns the host's clock in unix nanoseconds.
func Now() int64 { return now() }

// LogEnabled reports whether the host logs level.
func LogEnabled(level uint32) bool { return logEnabled(level) != 0 }

// Log writes msg to the host log at level.
func Log(level uint32, msg string) { logLine(level, sp(msg), uint32(len(msg))) }

// CounterAdd adds delta to counter key and stores the new value in result.
func CounterAdd(key string, delta, ttlMs int64, result *int64) int32 {
	return counterAdd(sp(key), uint32(len(key)), delta, ttlMs, result)
}

// CounterGet stores counter key's value in result.
func CounterGet(key string, result *int64) int32 {
	return counterGet(sp(key), uint32(len(key)), result)
}

// BucketTake takes cost tokens from bucket key.
func BucketTake(key string, cost int64, rate float64, burst int64) int64 {
	return bucketTake(sp(key), uint32(len(key)), cost, rate, burst)
}

// KVGet reads key into buf.
func KVGet(key string, buf []byte) int32 {
	return kvGet(sp(key), uint32(len(key)), bp(buf), uint32(len(buf)))
}

// KVSet stores val under key.
func KVSet(key string, val []byte, ttlMs int64) int32 {
	return kvSet(sp(key), uint32(len(key)), bp(val), uint32(len(val)), ttlMs)
}

// KVCAS stores val under key if the current value is old (absent: if there is none).
func KVCAS(key string, old []byte, absent bool, val []byte, ttlMs int64) int32 {
	oldLen := int32(len(old))
	if absent {
		oldLen = -1
	}
	return kvCAS(sp(key), uint32(len(key)), bp(old), oldLen, bp(val), uint32(len(val)), ttlMs)
}

// KVDelete deletes key.
func KVDelete(key string) int32 { return kvDelete(sp(key), uint32(len(key))) }

// StoreCount counts stored events matching filter into result.
func StoreCount(filter []byte, result *int64) int32 {
	return storeCount(bp(filter), uint32(len(filter)), result)
}

// Features returns the host's feature bits.
func Features() uint64 { return features() }

// HookKinds limits hook to kinds (relayd_init only).
func HookKinds(hook uint32, kinds []uint32) int32 {
	var p unsafe.Pointer
	if len(kinds) > 0 {
		p = unsafe.Pointer(&kinds[0])
	}
	return hookKinds(hook, p, uint32(len(kinds)))
}

//go:wasmimport relayd_v1 select_session
func selectSession(index uint32) int32

// SelectSession selects session index of a deliver batch (see
// abi.FuncSelectSession).
func SelectSession(index uint32) int32 { return selectSession(index) }

// GetFile reads listed file name into buf.
func GetFile(name string, buf []byte) int32 {
	return getFile(sp(name), uint32(len(name)), bp(buf), uint32(len(buf)))
}

// DBGet reads durable key into buf.
func DBGet(key string, buf []byte) int32 {
	return dbGet(sp(key), uint32(len(key)), bp(buf), uint32(len(buf)))
}

// DBPut stores val under durable key.
func DBPut(key string, val []byte, flags uint32) int32 {
	return dbPut(sp(key), uint32(len(key)), bp(val), uint32(len(val)), flags)
}

// DBDelete deletes durable key.
func DBDelete(key string) int32 { return dbDelete(sp(key), uint32(len(key))) }

// DBList lists durable keys under prefix after after into buf.
func DBList(prefix, after string, limit int32, flags uint32, buf []byte) int32 {
	return dbList(sp(prefix), uint32(len(prefix)), sp(after), uint32(len(after)), limit, flags, bp(buf), uint32(len(buf)))
}

// DBUsage writes the durable state's keys, bytes and limits into result.
func DBUsage(result *[4]int64) int32 { return dbUsage(result) }

// StoreQuery reads the stored events matching filter into buf (see
// abi.FuncStoreQuery).
func StoreQuery(filter, buf []byte) int32 {
	return storeQuery(bp(filter), uint32(len(filter)), bp(buf), uint32(len(buf)))
}
