//go:build wasip1

package sdk

import "github.com/relayd/relayd/sdk/abi"

// The guest exports. They exist in every plugin; relayd_init tells the host
// which hooks have a handler, and the host calls only those.

//go:wasmexport relayd_abi_version
func exportABIVersion() int32 { return abi.Version }

//go:wasmexport relayd_init
func exportInit() int32 { return initGuest() }

//go:wasmexport relayd_limitation
func exportLimitation() int32 { return limitation() }

//go:wasmexport relayd_on_tick
func exportOnTick() int32 { return tick() }

//go:wasmexport relayd_on_connect
func exportOnConnect(session int64, kind int32, createdAt, receivedAt int64, size, count, flags int32) int32 {
	return int32(dispatch(abi.HookConnect, uint64(session), uint32(kind), createdAt, receivedAt, uint32(size), uint32(count), uint32(flags)))
}

//go:wasmexport relayd_on_event_pre
func exportOnEventPre(session int64, kind int32, createdAt, receivedAt int64, size, count, flags int32) int32 {
	return int32(dispatch(abi.HookEventPre, uint64(session), uint32(kind), createdAt, receivedAt, uint32(size), uint32(count), uint32(flags)))
}

//go:wasmexport relayd_on_event
func exportOnEvent(session int64, kind int32, createdAt, receivedAt int64, size, count, flags int32) int32 {
	return int32(dispatch(abi.HookEvent, uint64(session), uint32(kind), createdAt, receivedAt, uint32(size), uint32(count), uint32(flags)))
}

//go:wasmexport relayd_on_req
func exportOnReq(session int64, kind int32, createdAt, receivedAt int64, size, count, flags int32) int32 {
	return int32(dispatch(abi.HookReq, uint64(session), uint32(kind), createdAt, receivedAt, uint32(size), uint32(count), uint32(flags)))
}

//go:wasmexport relayd_on_count
func exportOnCount(session int64, kind int32, createdAt, receivedAt int64, size, count, flags int32) int32 {
	return int32(dispatch(abi.HookCount, uint64(session), uint32(kind), createdAt, receivedAt, uint32(size), uint32(count), uint32(flags)))
}

//go:wasmexport relayd_on_auth
func exportOnAuth(session int64, kind int32, createdAt, receivedAt int64, size, count, flags int32) int32 {
	return int32(dispatch(abi.HookAuth, uint64(session), uint32(kind), createdAt, receivedAt, uint32(size), uint32(count), uint32(flags)))
}

//go:wasmexport relayd_on_deliver
func exportOnDeliver(session int64, kind int32, createdAt, receivedAt int64, size, count, flags int32) int32 {
	return int32(dispatch(abi.HookDeliver, uint64(session), uint32(kind), createdAt, receivedAt, uint32(size), uint32(count), uint32(flags)))
}

//go:wasmexport relayd_on_deliver_batch
func exportOnDeliverBatch(n int64, kind int32, createdAt, receivedAt int64, size, count, flags int32) int32 {
	return deliverBatch(uint32(n), uint32(kind), createdAt, receivedAt, uint32(size), uint32(count))
}

//go:wasmexport relayd_on_close
func exportOnClose(session int64, kind int32, createdAt, receivedAt int64, size, count, flags int32) int32 {
	return int32(dispatch(abi.HookClose, uint64(session), uint32(kind), createdAt, receivedAt, uint32(size), uint32(count), uint32(flags)))
}

//go:wasmexport relayd_on_manage
func exportOnManage(session int64, kind int32, createdAt, receivedAt int64, size, count, flags int32) int32 {
	return int32(dispatch(abi.HookManage, uint64(session), uint32(kind), createdAt, receivedAt, uint32(size), uint32(count), uint32(flags)))
}
