//go:build !wasip1

package sdktest

import (
	"encoding/binary"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/relayd/relayd/sdk/abi"
)

// DB stands in for the relay's durable plugin state (package sdk/db): an
// in-memory key-value namespace with the relay's semantics (ABI.md,
// "Durable state"): the limits, the error codes, db_list's entries and
// paging. Writes are visible at once, as in the relay.
//
// Share one DB between Hosts to test what survives a relay restart or a
// reload of the plugin (Options.DB); SetReadOnly stands for a store whose
// disk is below its reserve. A DB is safe for concurrent use.
type DB struct {
	mu       sync.Mutex
	limits   DBLimits
	vals     map[string][]byte
	keys     []string // sorted
	bytes    int64
	readOnly bool
}

// DBLimits are the plugin's db_max_keys and db_max_bytes settings; zero
// fields take the relay's defaults (abi.DBDefaultMaxKeys and
// abi.DBDefaultMaxBytes).
type DBLimits struct {
	MaxKeys, MaxBytes int64
}

// NewDB returns an empty DB with limits.
func NewDB(limits DBLimits) *DB { return &DB{limits: limits.withDefaults(), vals: map[string][]byte{}} }

func (l DBLimits) withDefaults() DBLimits {
	if l.MaxKeys <= 0 {
		l.MaxKeys = abi.DBDefaultMaxKeys
	}
	if l.MaxBytes <= 0 {
		l.MaxBytes = abi.DBDefaultMaxBytes
	}
	return l
}

// SetLimits changes the limits, as an operator editing the plugin's
// settings does; what the DB holds stays, even over them.
func (d *DB) SetLimits(limits DBLimits) {
	d.mu.Lock()
	d.limits = limits.withDefaults()
	d.mu.Unlock()
}

// SetReadOnly makes writes fail with abi.ErrReadOnly (sdk.ErrReadOnly), as
// when the relay's disk is below its reserve, or take them again.
func (d *DB) SetReadOnly(ro bool) {
	d.mu.Lock()
	d.readOnly = ro
	d.mu.Unlock()
}

// Snapshot returns a copy of every key and value, for assertions.
func (d *DB) Snapshot() map[string]string {
	d.mu.Lock()
	defer d.mu.Unlock()
	out := make(map[string]string, len(d.vals))
	for k, v := range maps.All(d.vals) {
		out[k] = string(v)
	}
	return out
}

func checkDBKey(key string) int32 {
	switch {
	case key == "":
		return int32(abi.ErrInvalid)
	case len(key) > abi.MaxKeyLen:
		return int32(abi.ErrTooLarge)
	}
	return 0
}

func (d *DB) get(key string, buf []byte) int32 {
	if rc := checkDBKey(key); rc < 0 {
		return rc
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	v, ok := d.vals[key]
	if !ok {
		return int32(abi.ErrNotFound)
	}
	return put(buf, v)
}

func (d *DB) put(key string, val []byte, flags uint32) int32 {
	switch {
	case checkDBKey(key) < 0:
		return checkDBKey(key)
	case flags&^abi.DBPutIfAbsent != 0:
		return int32(abi.ErrInvalid)
	case len(val) > abi.MaxValueLen:
		return int32(abi.ErrTooLarge)
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.readOnly {
		return int32(abi.ErrReadOnly)
	}
	old, found := d.vals[key]
	if found && flags&abi.DBPutIfAbsent != 0 {
		return int32(abi.ErrMismatch)
	}
	keys, size := int64(len(d.vals)), d.bytes+int64(len(key)+len(val))
	if found {
		size -= int64(len(key) + len(old))
	} else {
		keys++
	}
	if keys > d.limits.MaxKeys && keys > int64(len(d.vals)) || size > d.limits.MaxBytes && size > d.bytes {
		return int32(abi.ErrFull)
	}
	if !found {
		i, _ := slices.BinarySearch(d.keys, key)
		d.keys = slices.Insert(d.keys, i, key)
	}
	d.vals[key] = append([]byte{}, val...)
	d.bytes = size
	return 0
}

func (d *DB) delete(key string) int32 {
	if rc := checkDBKey(key); rc < 0 {
		return rc
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.readOnly {
		return int32(abi.ErrReadOnly)
	}
	v, ok := d.vals[key]
	if !ok {
		return int32(abi.ErrNotFound)
	}
	delete(d.vals, key)
	i, _ := slices.BinarySearch(d.keys, key)
	d.keys = slices.Delete(d.keys, i, i+1)
	d.bytes -= int64(len(key) + len(v))
	return 0
}

func (d *DB) list(prefix, after string, limit int32, flags uint32, buf []byte) int32 {
	switch {
	case len(prefix) > abi.MaxKeyLen || len(after) > abi.MaxKeyLen:
		return int32(abi.ErrTooLarge)
	case flags&^abi.DBListValues != 0:
		return int32(abi.ErrInvalid)
	}
	if limit <= 0 || limit > abi.MaxListEntries {
		limit = abi.MaxListEntries
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	i, _ := slices.BinarySearch(d.keys, max(prefix, after))
	n, count := 0, 0
	for ; i < len(d.keys) && count < int(limit); i++ {
		k := d.keys[i]
		if !strings.HasPrefix(k, prefix) {
			break
		}
		if k <= after {
			continue
		}
		var v []byte
		if flags&abi.DBListValues != 0 {
			v = d.vals[k]
		}
		size := abi.DBEntryHeaderLen + len(k) + len(v)
		if n+size > len(buf) {
			if count == 0 {
				return int32(size)
			}
			break
		}
		binary.LittleEndian.PutUint32(buf[n:], uint32(len(k)))
		binary.LittleEndian.PutUint32(buf[n+4:], uint32(len(v)))
		copy(buf[n+abi.DBEntryHeaderLen:], k)
		copy(buf[n+abi.DBEntryHeaderLen+len(k):], v)
		n += size
		count++
	}
	return int32(n)
}

func (d *DB) usage(result *[4]int64) int32 {
	d.mu.Lock()
	defer d.mu.Unlock()
	*result = [4]int64{int64(len(d.vals)), d.bytes, d.limits.MaxKeys, d.limits.MaxBytes}
	return 0
}

// DBGet implements the host function db_get.
func (h *Host) DBGet(key string, buf []byte) int32 {
	if h.db == nil {
		return int32(abi.ErrUnavailable)
	}
	return h.db.get(key, buf)
}

// DBPut implements the host function db_put.
func (h *Host) DBPut(key string, val []byte, flags uint32) int32 {
	if h.db == nil {
		return int32(abi.ErrUnavailable)
	}
	return h.db.put(key, val, flags)
}

// DBDelete implements the host function db_delete.
func (h *Host) DBDelete(key string) int32 {
	if h.db == nil {
		return int32(abi.ErrUnavailable)
	}
	return h.db.delete(key)
}

// DBList implements the host function db_list.
func (h *Host) DBList(prefix, after string, limit int32, flags uint32, buf []byte) int32 {
	if h.db == nil {
		return int32(abi.ErrUnavailable)
	}
	return h.db.list(prefix, after, limit, flags, buf)
}

// DBUsage implements the host function db_usage.
func (h *Host) DBUsage(result *[4]int64) int32 {
	if h.db == nil {
		return int32(abi.ErrUnavailable)
	}
	return h.db.usage(result)
}
