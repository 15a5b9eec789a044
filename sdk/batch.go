package sdk

import (
	"encoding/binary"
	"runtime"

	"github.com/relayd/relayd/sdk/abi"
	"github.com/relayd/relayd/sdk/internal/imports"
)

// selected is the batch member (index + 1) whose session fields the host
// reads now; 0 outside a deliver batch.
var selected int32

// sessionRecs and verdictBuf are deliverBatch's buffers, reused.
var (
	sessionRecs [abi.MaxDeliverBatch * abi.SessionRecordLen]byte
	verdictBuf  [abi.MaxDeliverBatch * 4]byte
)

// sel makes s the session the host's session fields read, if s belongs to
// a deliver batch and another member is selected. It is called before
// each host read of a view, so a handler sees one session as in a single
// call.
func (s Session) sel() abi.Errno {
	if s.batch == 0 || s.batch == selected {
		return abi.OK
	}
	if r := imports.SelectSession(uint32(s.batch - 1)); r < 0 {
		return abi.Errno(r)
	}
	selected = s.batch
	return abi.OK
}

// deliverBatch is relayd_on_deliver_batch: it runs the OnDeliver handler
// once per receiving session, each with its own Session view, and hands
// the verdicts to the host in one output. A RewriteEvent is passed on as
// a bare ActionRewrite, which makes the host call relayd_on_deliver for
// that session alone (a batch carries no payloads).
func deliverBatch(n uint32, kind uint32, createdAt, receivedAt int64, size, count uint32) int32 {
	if n == 0 || n > abi.MaxDeliverBatch {
		return int32(abi.ErrInvalid)
	}
	recs := sessionRecs[:n*abi.SessionRecordLen]
	if r := imports.Get(uint32(abi.FieldSessions), recs); r != int32(len(recs)) {
		if r >= 0 {
			r = int32(abi.ErrInternal)
		}
		return r
	}
	selected = 1 // the host starts a batch with its first session selected
	refused := false
	for i := range n {
		rec := recs[i*abi.SessionRecordLen:]
		s := Session{id: binary.LittleEndian.Uint64(rec), flags: binary.LittleEndian.Uint32(rec[8:]), gen: callGen,
			batch: int32(i + 1)}
		v := call(onDeliver, Event{session: s, kind: kind, createdAt: createdAt, receivedAt: receivedAt,
			contentLen: size, tagCount: count})
		callGen++ // this session's views expire before the next one's
		r := abi.PackVerdict(v.action, v.prefix)
		if v.action == abi.ActionRewrite {
			r = abi.PackVerdict(abi.ActionRewrite, 0)
		}
		refused = refused || r != 0
		binary.LittleEndian.PutUint32(verdictBuf[i*4:], r)
	}
	selected = 0
	if calls++; calls%yieldEvery == 0 {
		runtime.Gosched()
	}
	if !refused {
		return 0 // no output: every session accepted
	}
	if r := imports.SetOutput(uint32(abi.OutputVerdicts), verdictBuf[:n*4]); r < 0 {
		return r
	}
	return 0
}
