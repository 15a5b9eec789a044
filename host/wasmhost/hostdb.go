package wasmhost

import (
	"context"
	"encoding/binary"

	"github.com/tetratelabs/wazero/api"

	"github.com/relayd/relayd/host/wasmhost/durable"
	"github.com/relayd/relayd/sdk/abi"
)

// The durable state functions (db_*): they check guest memory and hand
// views of it to the plugin's durable.Space, which has the semantics and
// copies what it keeps (List copies prefix and after before it writes into
// buf, so overlapping buffers cannot change them). A value is written
// straight into the guest's buffer.

// view returns a writable view of the guest buffer (buf, limit); ok is
// false when it is outside memory.
func view(mem api.Memory, buf, limit uint32) ([]byte, bool) {
	if limit == 0 {
		return nil, true
	}
	return mem.Read(buf, limit)
}

// keyed reads what every keyed db_* call starts with: the plugin's durable
// state and the key at (s[0], s[1]). ok is false when the call is answered
// already (s[0] holds ErrUnavailable or the key's error).
func keyed(ctx context.Context, mod api.Module, s []uint64) (*durable.Space, api.Memory, []byte, bool) {
	db, mem := instOf(ctx).p.db, mod.Memory()
	if db == nil {
		s[0] = errno(abi.ErrUnavailable)
		return nil, nil, nil, false
	}
	k, e := key(mem, api.DecodeU32(s[0]), api.DecodeU32(s[1]))
	if e != abi.OK {
		s[0] = errno(e)
		return nil, nil, nil, false
	}
	return db, mem, k, true
}

func hostDBGet(ctx context.Context, mod api.Module, s []uint64) {
	db, mem, k, ok := keyed(ctx, mod, s)
	if !ok {
		return
	}
	buf, ok := view(mem, api.DecodeU32(s[2]), api.DecodeU32(s[3]))
	if !ok {
		s[0] = errno(abi.ErrMemory)
		return
	}
	s[0] = api.EncodeI32(db.Get(k, buf))
}

func hostDBPut(ctx context.Context, mod api.Module, s []uint64) {
	db, mem, k, ok := keyed(ctx, mod, s)
	if !ok {
		return
	}
	val, e := value(mem, api.DecodeU32(s[2]), api.DecodeU32(s[3]))
	if e != abi.OK {
		s[0] = errno(e)
		return
	}
	s[0] = errno(db.Put(k, val, api.DecodeU32(s[4])))
}

func hostDBDelete(ctx context.Context, mod api.Module, s []uint64) {
	db, _, k, ok := keyed(ctx, mod, s)
	if !ok {
		return
	}
	s[0] = errno(db.Delete(k))
}

func hostDBList(ctx context.Context, mod api.Module, s []uint64) {
	db, mem, prefix, ok := keyed(ctx, mod, s)
	if !ok {
		return
	}
	after, e := key(mem, api.DecodeU32(s[2]), api.DecodeU32(s[3]))
	if e != abi.OK {
		s[0] = errno(e)
		return
	}
	buf, ok := view(mem, api.DecodeU32(s[6]), api.DecodeU32(s[7]))
	if !ok {
		s[0] = errno(abi.ErrMemory)
		return
	}
	s[0] = api.EncodeI32(db.List(prefix, after, api.DecodeI32(s[4]), api.DecodeU32(s[5]), buf))
}

func hostDBUsage(ctx context.Context, mod api.Module, s []uint64) {
	db, mem := instOf(ctx).p.db, mod.Memory()
	if db == nil {
		s[0] = errno(abi.ErrUnavailable)
		return
	}
	out, ok := view(mem, api.DecodeU32(s[0]), abi.DBUsageLen)
	if !ok {
		s[0] = errno(abi.ErrMemory)
		return
	}
	u, e := db.Usage()
	if e == abi.OK {
		for i, v := range [4]int64{u.Keys, u.Bytes, u.MaxKeys, u.MaxBytes} {
			binary.LittleEndian.PutUint64(out[8*i:], uint64(v))
		}
	}
	s[0] = errno(e)
}
