package badgerstore

import (
	"fmt"
	"time"

	"github.com/relayd/relayd/host/store"
)

// The store runs badger read-write while the free space on its filesystem
// is at or above the reserve, and read-only below it. Badger writes its
// logs and tables through memory maps of sparse files, so a write to a full
// filesystem is a SIGBUS, not an error: the only safe way to stop writing
// is to stop badger from writing at all. A read-only badger writes nothing
// (no memtable, no flushes, no compactions, no value log), and closing the
// read-write one (which flushes its memtable) happens while the reserve is
// still there to take it.

// monitor measures the free space every DiskCheckInterval and wakes the
// writer when the store must change mode, so that a disk filled (or
// emptied) by someone else is noticed without writes.
func (s *Store) monitor() {
	defer close(s.monitorDone)
	if s.guard == nil {
		return
	}
	t := time.NewTicker(s.opts.DiskCheckInterval)
	defer t.Stop()
	failing := false
	for {
		select {
		case <-s.stop:
			return
		case <-t.C:
		}
		err := s.guard.check()
		if (err != nil) != failing {
			failing = err != nil
			if failing {
				s.log.Warn("badgerstore: cannot measure free space", "err", err)
			} else {
				s.log.Info("badgerstore: measuring free space again")
			}
		}
		if s.guard.isLow() != s.diskFull.Load() {
			select {
			case s.wake <- struct{}{}:
			default:
			}
		}
	}
}

// followDisk puts the store in the mode the free space asks for. While the
// store is read-only, every batch measures the free space first, so that
// ingest resumes with the first event after space returns. Writer only.
func (s *Store) followDisk() {
	if s.guard == nil {
		return
	}
	if s.readOnly || s.db == nil {
		if err := s.guard.check(); err != nil {
			s.log.Debug("badgerstore: measuring free space", "err", err)
		}
	}
	low := s.guard.isLow()
	if low == s.readOnly && s.db != nil {
		return
	}
	s.reopen(low)
}

// reopen closes badger and opens it again, read-only if ro, holding dbMu
// so that no reader uses the database meanwhile. If that fails it tries
// the other mode; if both fail the store answers every call with the
// error until a later reopen succeeds. Writer only.
func (s *Store) reopen(ro bool) {
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	if s.db != nil {
		if err := s.db.Close(); err != nil {
			s.log.Error("badgerstore: closing the store to reopen it", "err", err)
		}
		s.db = nil
	}
	db, err := s.openDB(ro)
	if err != nil {
		s.log.Error("badgerstore: reopening the store failed; trying the other mode", "read_only", ro, "err", err)
		ro = !ro
		if db, err = s.openDB(ro); err != nil {
			s.dbErr = fmt.Errorf("badgerstore: the store could not be reopened: %w", err)
			s.log.Error("badgerstore: the store is unavailable", "err", err)
			return
		}
	}
	s.db, s.dbErr = db, nil
	s.readOnly = ro
	s.diskFull.Store(ro)
	free, reserve := mib(s.guard.last.Load()), mib(s.guard.reserve)
	if ro {
		s.log.Warn("badgerstore: free space is below the reserve: the store is read-only and refuses events until space returns",
			"dir", s.dir, "free", free, "reserve", reserve)
	} else {
		s.log.Info("badgerstore: free space is back above the reserve: the store takes events again",
			"dir", s.dir, "free", free, "reserve", reserve)
	}
}

// unwritable is the error for a write the store cannot take now:
// store.ErrDiskFull while read-only, else why the store is unavailable.
func (s *Store) unwritable() error {
	if s.db != nil {
		return store.ErrDiskFull
	}
	return s.dbErr
}

// refuse answers the saves of reqs, which were not written, with the
// reason: the disk is full or the store is unavailable.
func (s *Store) refuse(reqs []*request) {
	err := s.unwritable()
	for _, r := range reqs {
		if r.state != nil {
			r.err = err
			continue
		}
		if r.rec == nil {
			continue // answered by prepare
		}
		r.err = err
		if s.db != nil {
			s.guard.refused.Add(1)
		}
	}
}
