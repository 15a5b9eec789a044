package wasmhost

import (
	"context"
	"encoding/binary"
	"fmt"

	"github.com/tetratelabs/wazero/api"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/sdk/abi"
)

// Batched deliveries.
//
// A Go guest's export entry costs ~0.4 µs before the handler runs, more
// than relayd's own work per delivery, so a plugin that asks for it
// (HookDeliverBatch in relayd_init's mask, export relayd_on_deliver_batch)
// decides one live event for up to abi.MaxDeliverBatch sessions in one
// call: the guest reads the sessions' ids and flags at once
// (FieldSessions), selects a session (select_session) only to read its
// other fields, and answers with one verdict per session
// (OutputVerdicts). A batch verdict carries no message and no payload: a
// session the guest marks ActionRewrite is left undecided, and the relay
// calls relayd_on_deliver for it alone. The relay uses batches only when
// every deliver policy of its chain batches (policy.Chain.Batches).

// BatchesDeliver reports whether the plugin decides live deliveries in
// batches (policy.BatchDeliverer).
func (p *Plugin) BatchesDeliver() bool { return p.batches }

// DeliverBatch runs relayd_on_deliver_batch for in.Targets, in calls of at
// most abi.MaxDeliverBatch sessions (policy.BatchDeliverer). A failed call
// fails the whole batch.
func (p *Plugin) DeliverBatch(_ context.Context, in *policy.DeliverBatchInput, out []policy.Verdict) error {
	if !p.batches {
		return fmt.Errorf("plugin[%s]: %w: %s", p.name, ErrABI, "deliver batches were not asked for")
	}
	for lo := 0; lo < len(in.Targets); lo += abi.MaxDeliverBatch {
		hi := min(lo+abi.MaxDeliverBatch, len(in.Targets))
		if err := p.deliverBatch(in, in.Targets[lo:hi], out[lo:hi]); err != nil {
			return err
		}
	}
	return nil
}

func (p *Plugin) deliverBatch(in *policy.DeliverBatchInput, ts []policy.DeliverTarget, out []policy.Verdict) error {
	inst, err := p.acquire()
	if err != nil {
		return err
	}
	inst.in = callInput{hook: abi.HookDeliverBatch, ev: in.Event, raw: in.Raw, batch: ts, out: out,
		sess: ts[0].Session, subID: ts[0].SubID}
	inst.setEvent(nil, in.Event, 0, 0)
	inst.stack[0], inst.stack[6] = uint64(len(ts)), 0
	_, err = p.run(inst, abi.HookDeliverBatch)
	return err
}

// batchVerdicts decodes relayd_on_deliver_batch's result and
// OutputVerdicts into inst.in.out: no output accepts every session.
func (inst *instance) batchVerdicts(r uint32) error {
	if r != 0 {
		return fmt.Errorf("%w: %s returned %d, want 0", ErrBadVerdict, abi.ExportOnDeliverBatch, int32(r))
	}
	out := inst.in.out
	if inst.outSet&(1<<abi.OutputVerdicts) == 0 {
		clear(out)
		return nil
	}
	b := inst.out[abi.OutputVerdicts]
	if len(b) != 4*len(out) {
		return fmt.Errorf("%w: %d bytes of verdicts for %d sessions, want %d", ErrBadVerdict, len(b), len(out), 4*len(out))
	}
	for i := range out {
		r := binary.LittleEndian.Uint32(b[4*i:])
		a, pfx := abi.UnpackVerdict(r)
		if a > abi.MaxAction || pfx > abi.MaxPrefix || r&^verdictBits != 0 {
			return fmt.Errorf("%w: session %d: verdict %#x", ErrBadVerdict, i, r)
		}
		out[i] = policy.Verdict{Action: policy.Action(a), Prefix: policy.Prefix(pfx)}
	}
	return nil
}

// appendSessions appends the FieldSessions records of the current batch.
func (inst *instance) appendSessions(b []byte) []byte {
	for _, t := range inst.in.batch {
		s := t.Session
		b = binary.LittleEndian.AppendUint64(b, sessionID(s))
		b = binary.LittleEndian.AppendUint32(b, uint32(flags(s, sourceOf(s))))
		b = binary.LittleEndian.AppendUint32(b, 0)
	}
	return b
}

// hostSelectSession makes session index of the current batch the one the
// session fields, FieldSubID and get_header read.
func hostSelectSession(ctx context.Context, _ api.Module, s []uint64) {
	inst := instOf(ctx)
	i := api.DecodeI32(s[0])
	switch {
	case inst.cur != abi.HookDeliverBatch:
		s[0] = errno(abi.ErrUnavailable)
		return
	case i < 0 || int(i) >= len(inst.in.batch):
		s[0] = errno(abi.ErrNotFound)
		return
	}
	t := inst.in.batch[i]
	if inst.in.sess != t.Session {
		inst.in.sess = t.Session
		if inst.bufField == abi.FieldIP || inst.bufField == abi.FieldConnectedAt {
			inst.bufField = 0 // built for the session selected before
		}
	}
	inst.in.subID = t.SubID
	s[0] = errno(abi.OK)
}
