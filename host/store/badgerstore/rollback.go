package badgerstore

import (
	"errors"
	"fmt"
	"hash/crc32"
	"io/fs"
	"os"
	"strconv"
	"strings"

	"github.com/dgraph-io/badger/v4"

	"github.com/relayd/relayd/host/store"
)

// ErrRolledBack is wrapped by Open's error when the store holds less than
// its rollback record says it held (see rollbackRecord), or fewer events
// than its own count, and Options.AcceptRollback is not set.
var ErrRolledBack = errors.New("badgerstore: the store has gone backwards")

// rollbackRecord is the file beside the store that remembers the last
// serial and the event count as of the last commit. The writer rewrites it
// in place after each commit, without fsync (one pwrite of a fixed-size
// line); Close and Open sync it. It is written only after the commit is
// durable, so it may lag the store (after a power cut) but never leads it:
// a store whose last serial is below the record's has lost commits.
type rollbackRecord struct {
	path   string
	f      *os.File // nil until first written
	failed bool     // a write failed and was logged; log no more
}

// recordPrefix starts the record's only line.
const recordPrefix = "relayd store record v1"

// recordLine formats the record: fixed width, so that every rewrite
// covers the previous one exactly.
func recordLine(serial uint64, events int64) []byte {
	body := fmt.Sprintf("%s serial=%020d events=%020d", recordPrefix, serial, events)
	return fmt.Appendf(nil, "%s crc=%08x\n", body, crc32.ChecksumIEEE([]byte(body)))
}

// readRollbackRecord reads the record at path. found is false when there
// is none (or it is empty); a record that does not parse or check is an
// error.
func readRollbackRecord(path string) (serial uint64, events int64, found bool, err error) {
	b, err := os.ReadFile(path)
	if errors.Is(err, fs.ErrNotExist) || (err == nil && len(b) == 0) {
		return 0, 0, false, nil
	}
	if err != nil {
		return 0, 0, false, fmt.Errorf("badgerstore: rollback record: %w", err)
	}
	line, _, _ := strings.Cut(string(b), "\n")
	body, crc, ok := strings.Cut(line, " crc=")
	fields := strings.Fields(strings.TrimPrefix(body, recordPrefix))
	if !ok || !strings.HasPrefix(body, recordPrefix) || len(fields) != 2 ||
		crc != fmt.Sprintf("%08x", crc32.ChecksumIEEE([]byte(body))) {
		return 0, 0, false, fmt.Errorf("badgerstore: rollback record %s does not check: %q", path, line)
	}
	serial, err1 := strconv.ParseUint(strings.TrimPrefix(fields[0], "serial="), 10, 64)
	events, err2 := strconv.ParseInt(strings.TrimPrefix(fields[1], "events="), 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, 0, false, fmt.Errorf("badgerstore: rollback record %s: %w", path, err)
	}
	return serial, events, true, nil
}

// write records serial and events; sync also makes it durable.
func (r *rollbackRecord) write(serial uint64, events int64, sync bool) error {
	if r.f == nil {
		f, err := os.OpenFile(r.path, os.O_RDWR|os.O_CREATE, 0o644)
		if err != nil {
			return fmt.Errorf("badgerstore: rollback record: %w", err)
		}
		r.f = f
	}
	line := recordLine(serial, events)
	if _, err := r.f.WriteAt(line, 0); err != nil {
		return fmt.Errorf("badgerstore: rollback record %s: %w", r.path, err)
	}
	if !sync {
		return nil
	}
	if err := r.f.Truncate(int64(len(line))); err != nil {
		return fmt.Errorf("badgerstore: rollback record %s: %w", r.path, err)
	}
	if err := r.f.Sync(); err != nil {
		return fmt.Errorf("badgerstore: rollback record %s: %w", r.path, err)
	}
	return nil
}

// close syncs and closes the record file.
func (r *rollbackRecord) close() error {
	if r == nil || r.f == nil {
		return nil
	}
	err := errors.Join(r.f.Sync(), r.f.Close())
	r.f = nil
	if err != nil {
		return fmt.Errorf("badgerstore: rollback record %s: %w", r.path, err)
	}
	return nil
}

// storeMeta is what the store says about itself at Open.
type storeMeta struct {
	serial     uint64 // metaSerial
	count      int64  // metaCount
	countFound bool   // metaCount is there (stores written before it was are not)
	events     int64  // event keys, counted
}

// readMeta reads the meta keys and counts the event keys (keys only: the
// value log is not read). A panic (badger decoding a damaged block) is an
// error.
func (s *Store) readMeta() (m storeMeta, err error) {
	defer func() {
		if p := recover(); p != nil {
			err = fmt.Errorf("badgerstore: read %s: panic: %v: %w", s.dir, p, store.ErrCorrupt)
		}
	}()
	err = s.db.View(func(txn *badger.Txn) error {
		var err error
		if m.serial, _, err = getU64(txn, metaSerial); err != nil {
			return err
		}
		var count uint64
		if count, m.countFound, err = getU64(txn, metaCount); err != nil {
			return err
		}
		m.count = int64(count)
		it := txn.NewIterator(badger.IteratorOptions{Prefix: []byte{pEvent}})
		defer it.Close()
		for it.Rewind(); it.Valid(); it.Next() {
			m.events++
		}
		return nil
	})
	if err != nil {
		return m, fmt.Errorf("badgerstore: read %s: %w", s.dir, err)
	}
	return m, nil
}

// checkRollback compares the store with its rollback record and with its
// own event count, and sets the writer's serial and count. A store behind
// its record, or missing events it counted, is refused with ErrRolledBack
// unless Options.AcceptRollback is set. kept are the links to the table
// files the MANIFEST did not list: they are removed when the store checks
// out.
func (s *Store) checkRollback(kept []string) error {
	m, err := s.readMeta()
	if err != nil && !errors.Is(err, store.ErrCorrupt) {
		return err
	}
	path := s.opts.RecordPath
	recSerial, recEvents, found, err := readRollbackRecord(path)
	if err != nil {
		s.log.Warn("badgerstore: the rollback record is unreadable; it is written anew", "err", err)
	}
	var problems []string
	switch {
	case found && m.serial < recSerial:
		problems = append(problems, fmt.Sprintf("its last serial is %d with %d events, but its rollback record %s says %d with %d events",
			m.serial, m.events, path, recSerial, recEvents))
	case found && m.serial == recSerial && m.countFound && m.count != recEvents:
		problems = append(problems, fmt.Sprintf("it counts %d events at serial %d, but its rollback record %s says %d",
			m.count, m.serial, path, recEvents))
	}
	switch {
	case err != nil:
		// Badger parses a block's entry index before it checks the block's
		// checksum, so some damage panics instead of reading as missing keys.
		problems = append(problems, fmt.Sprintf("its events cannot be counted (%v)", err))
		m.events = m.count
	case m.countFound && m.events != m.count:
		problems = append(problems, fmt.Sprintf("it holds %d events where its own count says %d", m.events, m.count))
	}
	s.serial, s.events = m.serial, m.events
	s.eventCount.Store(m.events)
	if len(problems) > 0 {
		err := fmt.Errorf("%w: %s: %s; badger lost data (a truncated MANIFEST, a damaged or missing table) or the directory was replaced by an older copy",
			ErrRolledBack, s.dir, strings.Join(problems, "; "))
		if len(kept) > 0 {
			err = fmt.Errorf("%w; the table files its MANIFEST does not list are kept in %s", err, s.keptDir())
		}
		if !s.opts.AcceptRollback {
			return err
		}
		s.log.Warn("badgerstore: accepting a store that has gone backwards", "err", err)
		// Serials are never reused, even those of lost events.
		s.serial = max(s.serial, recSerial)
		return s.saveMeta()
	}
	for _, k := range kept {
		if err := os.Remove(k); err != nil {
			return fmt.Errorf("badgerstore: %w", err)
		}
	}
	if len(kept) > 0 {
		os.Remove(s.keptDir()) // if empty
	}
	if !found || m.serial != recSerial || !m.countFound {
		return s.saveMeta()
	}
	return nil
}

// saveMeta makes the writer's serial and count durable, in badger and in
// the rollback record. A read-only store leaves both to its first commit.
func (s *Store) saveMeta() error {
	if s.readOnly {
		return nil
	}
	txn := s.db.NewTransaction(true)
	defer txn.Discard()
	if err := s.setMeta(txn); err != nil {
		return fmt.Errorf("badgerstore: write meta: %w", err)
	}
	if err := txn.Commit(); err != nil {
		return fmt.Errorf("badgerstore: write meta: %w", err)
	}
	return s.record.write(s.serial, s.events, true)
}
