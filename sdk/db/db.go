// Package db is a plugin's durable state: a key-value namespace the relay
// keeps in its event store, so that it survives reloads of the plugin and
// restarts of the relay, and that every instance of the plugin shares.
// Bans, allow lists, first-seen times and strike counts belong here; what
// may vanish at a restart (rate limits, caches) belongs in the faster
// in-memory state of package sdk (CounterAdd, Take, KVSet).
//
//	banned := db.NewSet("ban/")
//	sdk.OnEventPre(func(e sdk.Event) sdk.Verdict {
//		if ok, _ := banned.Has(e.Pubkey()); ok {
//			return sdk.Reject(sdk.Blocked, "banned")
//		}
//		return sdk.Accept()
//	})
//
// Keys are 1 to abi.MaxKeyLen (256) bytes and sort bytewise; values are 0
// to abi.MaxValueLen (64 KiB) bytes. The namespace is bounded by the
// plugin's db_max_keys and db_max_bytes settings (100,000 keys and 64 MiB
// by default): past them a write fails with sdk.ErrFull. There is no
// expiry and no eviction; delete what you no longer need.
//
// # Notes
//
//   - A write returns before it reaches the disk: it is visible to every
//     instance at once and durable at the relay's next commit, a few
//     milliseconds later. A crash in between loses it; a restart or a
//     reload does not. See ABI.md, "Durability of a write".
//   - While the relay's disk is below its reserve, writes fail with
//     sdk.ErrReadOnly and reads go on.
//   - Without durable state (Available is false: a relay whose store does
//     not keep it, or `relayd plugin test`), every call fails with
//     sdk.ErrUnavailable.
//   - A scan reads pages of up to abi.MaxListEntries keys; it sees each key
//     once, in order, and writes made during the scan as of the page that
//     reaches them.
//   - The relay keeps the namespace in memory as well as in its store, so
//     no call waits for the disk: a read or an overwrite costs about as
//     much as any host call (well under a microsecond), a new key a few
//     microseconds. Reading a key on every event is fine.
package db

import (
	"encoding/binary"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/abi"
	"github.com/relayd/relayd/sdk/internal/imports"
)

// Available reports whether the relay keeps durable state for the plugin
// (abi.FeatureDB).
func Available() bool { return abi.Feature(imports.Features())&abi.FeatureDB != 0 }

func fail(op string, rc int32) error { return &sdk.Error{Op: "db." + op, Code: sdk.Errno(rc)} }

// buf is the buffer Get reads through; a wasm instance is single-threaded.
// It grows to the largest value read.
var buf = make([]byte, 1024)

// read runs a (buf, buf_limit) host call into *b, growing it and retrying
// when the result did not fit. The result aliases *b.
func read(b *[]byte, call func([]byte) int32) ([]byte, int32) {
	for range 3 {
		n := call(*b)
		if n < 0 {
			return nil, n
		}
		if int(n) <= len(*b) {
			return (*b)[:n], n
		}
		*b = make([]byte, n)
	}
	return nil, int32(abi.ErrInternal)
}

// Get returns a copy of key's value; ok is false if there is none.
func Get(key string) (val []byte, ok bool, err error) {
	b, rc := read(&buf, func(b []byte) int32 { return imports.DBGet(key, b) })
	switch {
	case rc == int32(abi.ErrNotFound):
		return nil, false, nil
	case rc < 0:
		return nil, false, fail("Get", rc)
	}
	return append([]byte{}, b...), true, nil
}

// Has reports whether key is present, without copying its value.
func Has(key string) (bool, error) {
	rc := imports.DBGet(key, nil)
	switch {
	case rc == int32(abi.ErrNotFound):
		return false, nil
	case rc < 0:
		return false, fail("Has", rc)
	}
	return true, nil
}

// Put stores a copy of val under key, replacing any value.
func Put(key string, val []byte) error {
	if rc := imports.DBPut(key, val, 0); rc < 0 {
		return fail("Put", rc)
	}
	return nil
}

// PutNew stores a copy of val under key only if key is absent, and reports
// whether it stored. Of the plugin's instances racing to put one key,
// exactly one stores it.
func PutNew(key string, val []byte) (bool, error) {
	rc := imports.DBPut(key, val, abi.DBPutIfAbsent)
	switch {
	case rc == int32(abi.ErrMismatch):
		return false, nil
	case rc < 0:
		return false, fail("PutNew", rc)
	}
	return true, nil
}

// Delete deletes key and reports whether it was there.
func Delete(key string) (bool, error) {
	rc := imports.DBDelete(key)
	switch {
	case rc == int32(abi.ErrNotFound):
		return false, nil
	case rc < 0:
		return false, fail("Delete", rc)
	}
	return true, nil
}

// Scan calls fn with each key that starts with prefix and its value, in
// ascending byte order, until fn returns false. val is valid only during
// fn; copy it to keep it.
func Scan(prefix string, fn func(key string, val []byte) bool) error {
	return scan("Scan", prefix, "", abi.DBListValues, fn)
}

// ScanKeys is Scan for the keys only, which spares the relay reading the
// values.
func ScanKeys(prefix string, fn func(key string) bool) error {
	return scan("ScanKeys", prefix, "", 0, func(k string, _ []byte) bool { return fn(k) })
}

// Keys returns every key that starts with prefix, in ascending byte order.
func Keys(prefix string) ([]string, error) {
	var out []string
	err := ScanKeys(prefix, func(k string) bool {
		out = append(out, k)
		return true
	})
	return out, err
}

// Page returns at most n keys that start with prefix and sort after after
// ("": from the first), in ascending byte order, for a listing shown a page
// at a time: pass the last key of a page as the next page's after. more
// reports whether keys may follow.
func Page(prefix, after string, n int) (keys []string, more bool, err error) {
	if n <= 0 {
		return nil, false, nil
	}
	err = scan("Page", prefix, after, 0, func(k string, _ []byte) bool {
		if len(keys) == n {
			more = true
			return false
		}
		keys = append(keys, k)
		return true
	})
	return keys, more, err
}

// scan pages through db_list from after. Each scan has its own page
// buffer, so that fn may call the package's functions, another scan
// included.
func scan(op, prefix, after string, flags uint32, fn func(string, []byte) bool) error {
	page := make([]byte, 8192)
	for {
		b, rc := read(&page, func(b []byte) int32 { return imports.DBList(prefix, after, 0, flags, b) })
		if rc < 0 {
			return fail(op, rc)
		}
		if rc == 0 {
			return nil
		}
		for len(b) >= abi.DBEntryHeaderLen {
			kl, vl := int(binary.LittleEndian.Uint32(b)), int(binary.LittleEndian.Uint32(b[4:]))
			b = b[abi.DBEntryHeaderLen:]
			if kl+vl > len(b) {
				return fail(op, int32(abi.ErrInternal))
			}
			after = string(b[:kl])
			if !fn(after, b[kl:kl+vl]) {
				return nil
			}
			b = b[kl+vl:]
		}
	}
}

// Usage is the size of the plugin's durable state and its limits.
type Usage struct {
	// Keys and Bytes are what the plugin holds: its keys, and the sum of
	// the lengths of each key and its value.
	Keys, Bytes int64
	// MaxKeys and MaxBytes are its db_max_keys and db_max_bytes.
	MaxKeys, MaxBytes int64
}

// GetUsage returns the size of the plugin's durable state and its limits.
func GetUsage() (Usage, error) {
	var r [4]int64
	if rc := imports.DBUsage(&r); rc < 0 {
		return Usage{}, fail("GetUsage", rc)
	}
	return Usage{Keys: r[0], Bytes: r[1], MaxKeys: r[2], MaxBytes: r[3]}, nil
}
