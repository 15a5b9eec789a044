package wasmhost

import (
	"context"
	"encoding/binary"
	"errors"
	"time"

	"github.com/tetratelabs/wazero/api"

	"github.com/relayd/relayd/host/wasmhost/state"
	"github.com/relayd/relayd/sdk/abi"
)

// hostFunc is one function of the relayd_v1 host module.
type hostFunc struct {
	name string
	sig  sig
	fn   api.GoModuleFunc
}

func fsig(params []api.ValueType, results ...api.ValueType) sig {
	return sig{params: params, results: results}
}

type vt = []api.ValueType

// hostFuncs is the relayd_v1 module. Every function bounds-checks guest
// memory and reports errors as abi.Errno; none panics on guest input.
func hostFuncs() []hostFunc {
	return []hostFunc{
		{abi.FuncGet, fsig(vt{i32, i32, i32}, i32), hostGet},
		{abi.FuncGetTag, fsig(vt{i32, i32, i32}, i32), hostGetTag},
		{abi.FuncGetHeader, fsig(vt{i32, i32, i32, i32}, i32), hostGetHeader},
		{abi.FuncSetOutput, fsig(vt{i32, i32, i32}, i32), hostSetOutput},
		{abi.FuncNow, fsig(nil, i64), hostNow},
		{abi.FuncLogEnabled, fsig(vt{i32}, i32), hostLogEnabled},
		{abi.FuncLog, fsig(vt{i32, i32, i32}), hostLog},
		{abi.FuncCounterAdd, fsig(vt{i32, i32, i64, i64, i32}, i32), hostCounterAdd},
		{abi.FuncCounterGet, fsig(vt{i32, i32, i32}, i32), hostCounterGet},
		{abi.FuncBucketTake, fsig(vt{i32, i32, i64, f64, i64}, i64), hostBucketTake},
		{abi.FuncKVGet, fsig(vt{i32, i32, i32, i32}, i32), hostKVGet},
		{abi.FuncKVSet, fsig(vt{i32, i32, i32, i32, i64}, i32), hostKVSet},
		{abi.FuncKVCAS, fsig(vt{i32, i32, i32, i32, i32, i32, i64}, i32), hostKVCAS},
		{abi.FuncKVDelete, fsig(vt{i32, i32}, i32), hostKVDelete},
		{abi.FuncStoreCount, fsig(vt{i32, i32, i32}, i32), hostStoreCount},
		{abi.FuncFeatures, fsig(nil, i64), hostFeatures},
		{abi.FuncGetFile, fsig(vt{i32, i32, i32, i32}, i32), hostGetFile},
		{abi.FuncDBGet, fsig(vt{i32, i32, i32, i32}, i32), hostDBGet},
		{abi.FuncDBPut, fsig(vt{i32, i32, i32, i32, i32}, i32), hostDBPut},
		{abi.FuncDBDelete, fsig(vt{i32, i32}, i32), hostDBDelete},
		{abi.FuncDBList, fsig(vt{i32, i32, i32, i32, i32, i32, i32, i32}, i32), hostDBList},
		{abi.FuncDBUsage, fsig(vt{i32}, i32), hostDBUsage},
		{abi.FuncStoreQuery, fsig(vt{i32, i32, i32, i32}, i32), hostStoreQuery},
		{abi.FuncHookKinds, fsig(vt{i32, i32, i32}, i32), hostHookKinds},
		{abi.FuncSelectSession, fsig(vt{i32}, i32), hostSelectSession},
	}
}

type instKey struct{}

// instOf returns the instance a host call comes from: every call into a
// guest runs under its instance's context.
func instOf(ctx context.Context) *instance {
	inst, _ := ctx.Value(instKey{}).(*instance)
	return inst
}

func errno(e abi.Errno) uint64 { return api.EncodeI32(int32(e)) }

// put writes v at buf if it fits in limit and returns its length (the
// (buf, buf_limit) convention of ABI.md).
func put(mem api.Memory, buf, limit uint32, v []byte) uint64 {
	n := uint32(len(v))
	if n <= limit && !mem.Write(buf, v) {
		return errno(abi.ErrMemory)
	}
	return api.EncodeI32(int32(n))
}

func putString(mem api.Memory, buf, limit uint32, v string) uint64 {
	n := uint32(len(v))
	if n <= limit && !mem.WriteString(buf, v) {
		return errno(abi.ErrMemory)
	}
	return api.EncodeI32(int32(n))
}

// read returns a view of guest memory; ok is false when out of range.
func read(mem api.Memory, ptr, n uint32) ([]byte, bool) {
	if n == 0 {
		return nil, true
	}
	return mem.Read(ptr, n)
}

func hostGet(ctx context.Context, mod api.Module, s []uint64) {
	inst := instOf(ctx)
	field, buf, limit := abi.Field(api.DecodeU32(s[0])), api.DecodeU32(s[1]), api.DecodeU32(s[2])
	str, b, e := inst.field(field)
	switch {
	case e != abi.OK:
		s[0] = errno(e)
	case b != nil:
		s[0] = put(mod.Memory(), buf, limit, b)
	default:
		s[0] = putString(mod.Memory(), buf, limit, str)
	}
}

func hostGetTag(ctx context.Context, mod api.Module, s []uint64) {
	inst := instOf(ctx)
	idx, buf, limit := api.DecodeU32(s[0]), api.DecodeU32(s[1]), api.DecodeU32(s[2])
	ev := inst.in.ev
	if ev == nil || int(idx) >= len(ev.Tags) {
		s[0] = errno(abi.ErrNotFound)
		return
	}
	tag := ev.Tags[idx]
	n := 0
	for i, el := range tag {
		if i > 0 {
			n++
		}
		n += len(el)
	}
	if uint32(n) <= limit {
		mem, off := mod.Memory(), buf
		for i, el := range tag {
			if i > 0 {
				if !mem.WriteByte(off, 0) {
					s[0] = errno(abi.ErrMemory)
					return
				}
				off++
			}
			if !mem.WriteString(off, el) {
				s[0] = errno(abi.ErrMemory)
				return
			}
			off += uint32(len(el))
		}
	}
	s[0] = api.EncodeI32(int32(n))
}

func hostGetHeader(ctx context.Context, mod api.Module, s []uint64) {
	inst := instOf(ctx)
	name, ok := read(mod.Memory(), api.DecodeU32(s[0]), api.DecodeU32(s[1]))
	switch {
	case !ok:
		s[0] = errno(abi.ErrMemory)
		return
	case len(name) > abi.MaxHeaderNameLen:
		s[0] = errno(abi.ErrTooLarge)
		return
	}
	sess := inst.in.sess
	if sess == nil {
		s[0] = errno(abi.ErrNotFound)
		return
	}
	var lower [abi.MaxHeaderNameLen]byte
	for i, c := range name {
		if 'A' <= c && c <= 'Z' {
			c += 'a' - 'A'
		}
		lower[i] = c
	}
	v, found := sess.Headers[string(lower[:len(name)])]
	if !found {
		s[0] = errno(abi.ErrNotFound)
		return
	}
	s[0] = putString(mod.Memory(), api.DecodeU32(s[2]), api.DecodeU32(s[3]), v)
}

// hostGetFile reads one of the plugin's listed files, which the loader
// read whole: no file system access happens in a call.
func hostGetFile(ctx context.Context, mod api.Module, s []uint64) {
	inst, mem := instOf(ctx), mod.Memory()
	nameLen := api.DecodeU32(s[1])
	if nameLen > abi.MaxFileNameLen {
		s[0] = errno(abi.ErrTooLarge)
		return
	}
	name, ok := read(mem, api.DecodeU32(s[0]), nameLen)
	if !ok {
		s[0] = errno(abi.ErrMemory)
		return
	}
	b, found := inst.p.set.files[string(name)]
	if !found {
		s[0] = errno(abi.ErrNotFound)
		return
	}
	s[0] = put(mem, api.DecodeU32(s[2]), api.DecodeU32(s[3]), b)
}

// maxHookKinds bounds one hook_kinds list (every kind, 0-65535, once).
const maxHookKinds = 65536

// hostHookKinds records, during relayd_init, the kinds an event hook
// (event_pre, event, deliver) is limited to, or that a req or count hook's
// filters must name for a call (FeatureFilterKinds). A later call for the
// same hook replaces the list.
func hostHookKinds(ctx context.Context, mod api.Module, s []uint64) {
	inst := instOf(ctx)
	h, n := abi.Hook(api.DecodeU32(s[0])), api.DecodeU32(s[2])
	switch {
	case inst.cur != curInit:
		s[0] = errno(abi.ErrUnavailable)
		return
	case h != abi.HookEventPre && h != abi.HookEvent && h != abi.HookDeliver && h != abi.HookReq && h != abi.HookCount,
		n == 0:
		s[0] = errno(abi.ErrInvalid)
		return
	case n > maxHookKinds:
		s[0] = errno(abi.ErrTooLarge)
		return
	}
	b, ok := read(mod.Memory(), api.DecodeU32(s[1]), n*4)
	if !ok {
		s[0] = errno(abi.ErrMemory)
		return
	}
	kinds := make([]int, n)
	for i := range kinds {
		k := binary.LittleEndian.Uint32(b[i*4:])
		if k > 65535 {
			s[0] = errno(abi.ErrInvalid)
			return
		}
		kinds[i] = int(k)
	}
	inst.kinds[h] = kinds
	s[0] = errno(abi.OK)
}

func hostSetOutput(ctx context.Context, mod api.Module, s []uint64) {
	inst := instOf(ctx)
	kind := abi.Output(api.DecodeU32(s[0]))
	data, ok := read(mod.Memory(), api.DecodeU32(s[1]), api.DecodeU32(s[2]))
	if !ok {
		s[0] = errno(abi.ErrMemory)
		return
	}
	s[0] = errno(inst.setOutput(kind, data))
}

func hostNow(_ context.Context, _ api.Module, s []uint64) {
	s[0] = api.EncodeI64(time.Now().UnixNano())
}

func hostFeatures(ctx context.Context, _ api.Module, s []uint64) {
	f := abi.FeatureState | abi.FeatureFiles | abi.FeatureManage | abi.FeatureTick | abi.FeatureHookKinds |
		abi.FeatureDeliverBatch | abi.FeatureFilterKinds
	p := instOf(ctx).p
	if p.env.store != nil {
		f |= abi.FeatureStore | abi.FeatureQuery
	}
	if p.db != nil {
		f |= abi.FeatureDB
	}
	s[0] = uint64(f)
}

func hostLogEnabled(ctx context.Context, _ api.Module, s []uint64) {
	lvl, ok := slogLevel(abi.LogLevel(api.DecodeU32(s[0])))
	var on uint32
	if ok && instOf(ctx).p.log.Enabled(context.Background(), lvl) {
		on = 1
	}
	s[0] = api.EncodeU32(on)
}

func hostLog(ctx context.Context, mod api.Module, s []uint64) {
	inst := instOf(ctx)
	lvl, ok := slogLevel(abi.LogLevel(api.DecodeU32(s[0])))
	n := min(api.DecodeU32(s[2]), abi.MaxLogLen)
	msg, okMem := read(mod.Memory(), api.DecodeU32(s[1]), n)
	if ok && okMem {
		inst.p.logLine(lvl, string(msg))
	}
}

// stateErrno maps a state error to its ABI code.
func stateErrno(err error) abi.Errno {
	switch {
	case err == nil:
		return abi.OK
	case errors.Is(err, state.ErrNotFound):
		return abi.ErrNotFound
	case errors.Is(err, state.ErrTooLarge):
		return abi.ErrTooLarge
	case errors.Is(err, state.ErrInvalid):
		return abi.ErrInvalid
	case errors.Is(err, state.ErrMismatch):
		return abi.ErrMismatch
	}
	return abi.ErrInternal
}

// key reads a state key; a key over the limit is ErrTooLarge without
// touching memory.
func key(mem api.Memory, ptr, n uint32) ([]byte, abi.Errno) {
	if n > abi.MaxKeyLen {
		return nil, abi.ErrTooLarge
	}
	k, ok := read(mem, ptr, n)
	if !ok {
		return nil, abi.ErrMemory
	}
	return k, abi.OK
}

func ms(v uint64) time.Duration { return time.Duration(int64(v)) * time.Millisecond }

func hostCounterAdd(ctx context.Context, mod api.Module, s []uint64) {
	inst, mem := instOf(ctx), mod.Memory()
	k, e := key(mem, api.DecodeU32(s[0]), api.DecodeU32(s[1]))
	if e != abi.OK {
		s[0] = errno(e)
		return
	}
	v, err := inst.p.space.CounterAdd(k, int64(s[2]), ms(s[3]), time.Now().UnixNano())
	s[0] = errno(writeI64(mem, api.DecodeU32(s[4]), v, err))
}

func hostCounterGet(ctx context.Context, mod api.Module, s []uint64) {
	inst, mem := instOf(ctx), mod.Memory()
	k, e := key(mem, api.DecodeU32(s[0]), api.DecodeU32(s[1]))
	if e != abi.OK {
		s[0] = errno(e)
		return
	}
	v, err := inst.p.space.CounterGet(k, time.Now().UnixNano())
	s[0] = errno(writeI64(mem, api.DecodeU32(s[2]), v, err))
}

func writeI64(mem api.Memory, ptr uint32, v int64, err error) abi.Errno {
	if err != nil {
		return stateErrno(err)
	}
	if !mem.WriteUint64Le(ptr, uint64(v)) {
		return abi.ErrMemory
	}
	return abi.OK
}

func hostBucketTake(ctx context.Context, mod api.Module, s []uint64) {
	inst := instOf(ctx)
	k, e := key(mod.Memory(), api.DecodeU32(s[0]), api.DecodeU32(s[1]))
	if e != abi.OK {
		s[0] = api.EncodeI64(int64(e))
		return
	}
	wait, err := inst.p.space.Take(k, int64(s[2]), api.DecodeF64(s[3]), int64(s[4]), time.Now().UnixNano())
	if err != nil {
		s[0] = api.EncodeI64(int64(stateErrno(err)))
		return
	}
	s[0] = api.EncodeI64(int64((wait + time.Millisecond - 1) / time.Millisecond))
}

func hostKVGet(ctx context.Context, mod api.Module, s []uint64) {
	inst, mem := instOf(ctx), mod.Memory()
	k, e := key(mem, api.DecodeU32(s[0]), api.DecodeU32(s[1]))
	if e != abi.OK {
		s[0] = errno(e)
		return
	}
	buf, limit := api.DecodeU32(s[2]), api.DecodeU32(s[3])
	var res uint64
	err := inst.p.space.KVGet(k, time.Now().UnixNano(), func(v []byte) { res = put(mem, buf, limit, v) })
	if err != nil {
		res = errno(stateErrno(err))
	}
	s[0] = res
}

func hostKVSet(ctx context.Context, mod api.Module, s []uint64) {
	inst, mem := instOf(ctx), mod.Memory()
	k, e := key(mem, api.DecodeU32(s[0]), api.DecodeU32(s[1]))
	if e != abi.OK {
		s[0] = errno(e)
		return
	}
	val, e := value(mem, api.DecodeU32(s[2]), api.DecodeU32(s[3]))
	if e != abi.OK {
		s[0] = errno(e)
		return
	}
	s[0] = errno(stateErrno(inst.p.space.KVSet(k, val, ms(s[4]), time.Now().UnixNano())))
}

func value(mem api.Memory, ptr, n uint32) ([]byte, abi.Errno) {
	if n > abi.MaxValueLen {
		return nil, abi.ErrTooLarge
	}
	v, ok := read(mem, ptr, n)
	if !ok {
		return nil, abi.ErrMemory
	}
	return v, abi.OK
}

func hostKVCAS(ctx context.Context, mod api.Module, s []uint64) {
	inst, mem := instOf(ctx), mod.Memory()
	k, e := key(mem, api.DecodeU32(s[0]), api.DecodeU32(s[1]))
	if e != abi.OK {
		s[0] = errno(e)
		return
	}
	oldLen := api.DecodeI32(s[3])
	var old []byte
	if oldLen >= 0 {
		if old, e = value(mem, api.DecodeU32(s[2]), uint32(oldLen)); e != abi.OK {
			s[0] = errno(e)
			return
		}
	} else if oldLen != -1 {
		s[0] = errno(abi.ErrInvalid)
		return
	}
	val, e := value(mem, api.DecodeU32(s[4]), api.DecodeU32(s[5]))
	if e != abi.OK {
		s[0] = errno(e)
		return
	}
	err := inst.p.space.KVCAS(k, old, oldLen == -1, val, ms(s[6]), time.Now().UnixNano())
	s[0] = errno(stateErrno(err))
}

func hostKVDelete(ctx context.Context, mod api.Module, s []uint64) {
	inst := instOf(ctx)
	k, e := key(mod.Memory(), api.DecodeU32(s[0]), api.DecodeU32(s[1]))
	if e != abi.OK {
		s[0] = errno(e)
		return
	}
	s[0] = errno(stateErrno(inst.p.space.KVDelete(k, time.Now().UnixNano())))
}

func hostStoreCount(ctx context.Context, mod api.Module, s []uint64) {
	inst, mem := instOf(ctx), mod.Memory()
	f, ok := read(mem, api.DecodeU32(s[0]), api.DecodeU32(s[1]))
	if !ok {
		s[0] = errno(abi.ErrMemory)
		return
	}
	n, e := inst.storeCount(ctx, f)
	if e == abi.OK && !mem.WriteUint64Le(api.DecodeU32(s[2]), uint64(n)) {
		e = abi.ErrMemory
	}
	s[0] = errno(e)
}
