package peer

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"sync"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/reconcile"
	"github.com/relayd/relayd/host/relay"
	"github.com/relayd/relayd/host/store"
)

// Limits bound one sync. Zero fields take the defaults.
type Limits struct {
	// MaxEvents bounds the events matching the filter on each side (40
	// bytes each in the local set) and the ids each side lacks (default
	// 500,000, the relay's max_negentropy_events).
	MaxEvents int
	// BatchIDs is the number of ids asked for in one REQ (default 500, at
	// most the peer's max_limit); one batch is in flight at a time.
	BatchIDs int
	// Window bounds the EVENTs sent and not yet answered by an OK
	// (default 500).
	Window int
}

func (l Limits) withDefaults() Limits {
	if l.MaxEvents <= 0 {
		l.MaxEvents = 500000
	}
	if l.BatchIDs <= 0 {
		l.BatchIDs = 500
	}
	if l.Window <= 0 {
		l.Window = 500
	}
	return l
}

// Request is one sync with another relay.
type Request struct {
	// URL is the other relay's ws:// or wss:// URL.
	URL string
	// Dir says what moves: the other relay's events here (Down), this
	// relay's there (Up), or both.
	Dir Direction
	// Filter selects the events reconciled on both sides.
	Filter nostr.Filter
	// Limits bound the sync.
	Limits Limits
	// Conn configures the websocket client (timeouts, message size).
	Conn reconcile.Options
	// Pace, if set, is called before each message is read from the other
	// relay after the reconciliation, and may wait (a rate limit). It
	// returns ctx's error if ctx ends.
	Pace func(ctx context.Context) error

	// Reconciled, if set, is called once the differences are known, with
	// their number each way, and whether they were found by listing the
	// other relay's events (no NIP-77) rather than by negentropy.
	Reconciled func(have, need int, listed bool)
	// Downloaded, if set, is called with what became of each event
	// downloaded (size is its JSON's), from the Ingester's goroutines.
	Downloaded func(res relay.IngestResult, size int)
	// Uploaded, if set, is called with the other relay's answer to each
	// event uploaded.
	Uploaded func(res UploadResult, reason string, size int)
	// Notice, if set, is called with each NOTICE of the other relay and
	// each warning of the sync (no NIP-77: listing by REQ).
	Notice func(msg string)
}

// UploadResult is the other relay's answer to an uploaded event.
type UploadResult uint8

// The answers.
const (
	// UploadAccepted: OK true.
	UploadAccepted UploadResult = 0
	// UploadDuplicate: OK true "duplicate: ...".
	UploadDuplicate UploadResult = 1
	// UploadRefused: OK false.
	UploadRefused UploadResult = 2
)

// String returns "accepted", "duplicate" or "refused".
func (u UploadResult) String() string {
	switch u {
	case UploadAccepted:
		return "accepted"
	case UploadDuplicate:
		return "duplicate"
	}
	return "refused"
}

// Report is what one sync did. Its fields are final once Sync returns.
type Report struct {
	// Have and Need are the numbers of ids the other relay lacks and this
	// relay lacks.
	Have, Need int
	// Listed is set when the other relay has no NIP-77 and its events
	// were listed by REQ instead.
	Listed bool
	// Rounds, BytesSent and BytesReceived describe the reconciliation.
	Rounds                   int
	BytesSent, BytesReceived int64

	// Downloaded counts the downloaded events by outcome; DownReasons
	// the reasons of the invalid, refused and failed ones ("policy:
	// reason" for refusals).
	Downloaded  [relay.OutcomeFailed + 1]int64
	DownReasons map[string]int64
	// Missing counts ids asked for that the other relay did not send;
	// Unrequested the events it sent that were not asked for or do not
	// match the filter (dropped).
	Missing, Unrequested int64

	// Sent counts the events uploaded, Uploaded their answers, and
	// UpReasons the reasons of refusals; Unanswered those without an OK
	// when the sync ended.
	Sent        int64
	Uploaded    [UploadRefused + 1]int64
	UpReasons   map[string]int64
	Unanswered  int64
	mu          sync.Mutex
	submissions sync.WaitGroup
}

// Sync reconciles the events matching req.Filter in st with the relay at
// req.URL by negentropy (NIP-77), then, as req.Dir says, downloads what
// st lacks (REQs by ids, one batch at a time) through g, and uploads what
// the other relay lacks (EVENTs, at most Limits.Window awaiting their OK),
// all on one connection. g should have source Sync and the URL as its
// source info. When the relay's NIP-11 document shows it lacks NIP-77, its
// events matching the filter are listed by REQ instead (with a Notice).
//
// The report is returned even on error, with what was done until then;
// every event given to g is answered before Sync returns.
func Sync(ctx context.Context, st store.Store, g *relay.Ingester, req Request) (*Report, error) {
	req.Limits = req.Limits.withDefaults()
	rep := &Report{DownReasons: map[string]int64{}, UpReasons: map[string]int64{}}
	defer rep.submissions.Wait()
	if req.Dir&Both == 0 {
		return rep, errors.New("peer: sync with no direction")
	}
	info := fetchInfo(ctx, req.URL, req.Conn)
	if info.MaxLimit > 0 {
		req.Limits.BatchIDs = min(req.Limits.BatchIDs, info.MaxLimit)
	}
	local, err := localSet(ctx, st, req.Filter, req.Limits.MaxEvents)
	if err != nil {
		return rep, err
	}
	opts := req.Conn
	if opts.MaxDiff <= 0 {
		opts.MaxDiff = req.Limits.MaxEvents
	}
	if opts.Header == nil {
		opts.Header = http.Header{"User-Agent": {"relayd sync"}}
	}
	c, err := reconcile.Dial(ctx, req.URL, opts)
	if err != nil {
		return rep, err
	}
	defer c.Close()
	s := &syncer{req: req, rep: rep, st: st, g: g, c: conn{c: c, pace: req.Pace}}
	have, need, err := s.differences(ctx, c, local, info)
	if err != nil {
		return rep, err
	}
	rep.Have, rep.Need = len(have), len(need)
	if req.Reconciled != nil {
		req.Reconciled(len(have), len(need), rep.Listed)
	}
	if req.Dir&Down != 0 {
		if err := s.download(ctx, need); err != nil {
			return rep, err
		}
	}
	if req.Dir&Up != 0 {
		if err := s.upload(ctx, have); err != nil {
			return rep, err
		}
	}
	return rep, nil
}

// syncer is the state of one Sync.
type syncer struct {
	req Request
	rep *Report
	st  store.Store
	g   *relay.Ingester
	c   conn
}

// differences finds the ids each side lacks: by negentropy, or by listing
// the relay's events when its NIP-11 says it has no NIP-77.
func (s *syncer) differences(ctx context.Context, c *reconcile.Conn, local *reconcile.Set, info relayInfo) (have, need []string, err error) {
	if info.Known && !info.NIP77 {
		s.rep.Listed = true
		s.notice(fmt.Sprintf("%s does not list NIP-77 (negentropy) in its NIP-11 document: listing its events by REQ instead "+
			"(every matching event is transferred once to be compared; a second holding more than %d events cannot be paged through)",
			s.req.URL, s.req.Limits.BatchIDs))
		return s.list(ctx, local, info)
	}
	res, err := c.Reconcile(ctx, s.req.Filter, local)
	if err != nil {
		if errors.Is(err, reconcile.ErrTimeout) && c.Notice() != "" {
			return nil, nil, fmt.Errorf("peer: %s did not answer NEG-OPEN; it may not support NIP-77 (negentropy): %w", s.req.URL, err)
		}
		return nil, nil, fmt.Errorf("peer: reconcile with %s: %w", s.req.URL, err)
	}
	s.rep.Rounds, s.rep.BytesSent, s.rep.BytesReceived = res.Rounds, res.BytesSent, res.BytesReceived
	return res.Have, res.Need, nil
}

func (s *syncer) notice(msg string) {
	if s.req.Notice != nil {
		s.req.Notice(msg)
	}
}
