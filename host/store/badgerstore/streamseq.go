package badgerstore

import (
	"github.com/dgraph-io/badger/v4"
	"github.com/nbd-wtf/go-nostr"
)

// Stream sequences (host/cluster).
//
// A clustered node applies the events of a replication stream in stream
// order and must resume, after a restart or a crash, exactly after the
// last event it applied. SubmitSeq is Submit with the event's stream
// sequence: the writer stores the highest sequence of each commit under
// metaStreamSeq in the same transaction as the events, so the sequence
// and the events it covers are durable together or not at all. A request
// answered with a rule's error (duplicate, replaced, deleted, expired)
// still carries its sequence: the decision is as final as a write.

// metaStreamSeq is the key of the last stream sequence committed.
var metaStreamSeq = []byte{pMeta, 'Q'}

// SubmitSeq is Submit for the event at sequence seq (> 0) of the cluster's
// replication stream: seq is committed with the write (see StreamSeq).
// Sequences must be submitted in increasing order.
func (s *Store) SubmitSeq(ev *nostr.Event, raw []byte, seq uint64, done func(error)) {
	r := &request{done: done, size: len(raw), seq: seq}
	r.err = s.prepare(r, ev, raw)
	if err := s.submitting(func() { s.queue <- r }); err != nil {
		done(err)
	}
}

// StreamSeq returns the last stream sequence committed by SubmitSeq, 0 if
// none was.
func (s *Store) StreamSeq() (uint64, error) {
	var seq uint64
	err := s.reading(func() error {
		return s.db.View(func(txn *badger.Txn) error {
			var err error
			seq, _, err = getU64(txn, metaStreamSeq)
			return err
		})
	})
	return seq, err
}

// setStreamSeq writes, in txn, the highest stream sequence of reqs, if any
// carries one. Writer only.
func setStreamSeq(txn *badger.Txn, reqs []*request) error {
	var seq uint64
	for _, r := range reqs {
		seq = max(seq, r.seq)
	}
	if seq == 0 {
		return nil
	}
	return txn.Set(metaStreamSeq, appendU64(nil, seq))
}
