package badgerstore

import (
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/table"

	"github.com/relayd/relayd/host/store"
)

// Open opens or creates the store in dir and starts its writer.
//
// Before badger opens the directory, Open removes the empty write-ahead
// logs a crash inside badger's cleanup leaves (badger #2207), keeps a hard
// link to every table file the MANIFEST does not list, which badger would
// delete, and looks for damage in the logs badger would cut (logcheck.go).
// After, it checks the store against its rollback record and its own event
// count (see ErrRolledBack), and upgrades an earlier key layout (format.go).
// When the free space is below Options.DiskReserve, badger is opened
// read-only.
func Open(dir string, opts Options) (*Store, error) {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return nil, err
	}
	s := newStore(filepath.Clean(dir), opts)
	dir = s.dir
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("badgerstore: %w", err)
	}
	if err := s.removeEmptyWALs(); err != nil {
		return nil, err
	}
	kept, err := s.keepUnlistedTables()
	if err != nil {
		return nil, err
	}
	if err := s.keepLogTails(); err != nil {
		return nil, err
	}
	if err := s.guard.check(); err != nil {
		s.log.Warn("badgerstore: cannot measure free space; assuming there is enough", "err", err)
	}
	ro := s.guard.isLow()
	if ro {
		s.log.Warn("badgerstore: free space is below the reserve: opening the store read-only, events are refused until space returns",
			"dir", dir, "free", mib(s.guard.last.Load()), "reserve", mib(s.guard.reserve))
	}
	if s.db, err = s.openDB(ro); err != nil {
		return nil, err
	}
	s.readOnly = ro
	s.diskFull.Store(ro)
	if err := s.checkRollback(kept); err != nil {
		return nil, errors.Join(err, s.db.Close())
	}
	if err := s.upgradeFormat(ro); err != nil {
		return nil, errors.Join(err, s.db.Close())
	}
	go s.write()
	go s.notifyLoop()
	go s.monitor()
	return s, nil
}

// newStore returns the store for dir, not yet open.
func newStore(dir string, opts Options) *Store {
	if opts.RecordPath == "" {
		opts.RecordPath = dir + ".state"
	}
	s := &Store{
		dir:         dir,
		opts:        opts,
		log:         opts.Logger,
		guard:       newDiskGuard(dir, &opts),
		queue:       make(chan *request, opts.QueueSize),
		notify:      make(chan []*request, 4),
		notifyDone:  make(chan struct{}),
		wake:        make(chan struct{}, 1),
		stop:        make(chan struct{}),
		monitorDone: make(chan struct{}),
		record:      &rollbackRecord{path: opts.RecordPath},
	}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if opts.CacheBytes > 0 {
		s.cache = newEventCache(opts.CacheBytes)
	}
	return s
}

// openDB opens badger in s.dir, read-only if ro.
func (s *Store) openDB(ro bool) (*badger.DB, error) {
	if ro {
		if err := s.replayWALs(); err != nil {
			return nil, err
		}
	}
	db, err := badger.Open(s.opts.badgerOptions(s.dir, ro))
	if err != nil {
		return nil, fmt.Errorf("badgerstore: open %s: %w", s.dir, err)
	}
	return db, nil
}

// replayWALs prepares a read-only open after an unclean shutdown. A
// read-only badger cannot replay the write-ahead logs (*.mem) such a
// shutdown leaves (it fails with ErrTruncateNeeded); a read-write open
// replays them into level-0 tables. So when there are any, and the disk has
// room for those tables, badger is opened read-write once, without
// compactions, and closed. Without the room, Open fails: writing the
// tables through badger's memory maps on a full disk would kill the
// process with SIGBUS.
func (s *Store) replayWALs() error {
	files, allocated, err := walFiles(s.dir)
	if err != nil || len(files) == 0 {
		return err
	}
	// A level-0 table is about the size of the log it comes from; double
	// it for table indexes and filters, and leave a margin for the new
	// (empty) log and value log badger creates.
	need := 2*allocated + 1<<20
	if free := s.guard.last.Load(); free < need {
		return fmt.Errorf("badgerstore: %s: %s free, and replaying the write-ahead logs of an unclean shutdown (%s) needs about %s; free space on this filesystem and start again: %w",
			s.dir, mib(free), strings.Join(files, ", "), mib(need), store.ErrDiskFull)
	}
	s.log.Info("badgerstore: replaying write-ahead logs before opening read-only", "files", files)
	db, err := badger.Open(s.opts.badgerOptions(s.dir, false).WithNumCompactors(0))
	if err != nil {
		return fmt.Errorf("badgerstore: open %s to replay its write-ahead logs: %w", s.dir, err)
	}
	if err := db.Close(); err != nil {
		return fmt.Errorf("badgerstore: close %s after replaying its write-ahead logs: %w", s.dir, err)
	}
	return nil
}

// walFiles lists badger's non-empty write-ahead logs in dir and the disk
// space they take (sparse files take less than their size).
func walFiles(dir string) (names []string, allocated uint64, err error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.mem"))
	if err != nil {
		return nil, 0, fmt.Errorf("badgerstore: %w", err)
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, 0, fmt.Errorf("badgerstore: %w", err)
		}
		if fi.Size() == 0 {
			continue
		}
		names = append(names, filepath.Base(p))
		allocated += allocatedBytes(fi)
	}
	return names, allocated, nil
}

// removeEmptyWALs deletes zero-length write-ahead logs. Badger leaves one
// when a crash hits between truncating a flushed memtable's log and
// deleting it, and then refuses to open ("Create a new file", badger
// #2207). An empty log holds nothing.
func (s *Store) removeEmptyWALs() error {
	paths, err := filepath.Glob(filepath.Join(s.dir, "*.mem"))
	if err != nil {
		return fmt.Errorf("badgerstore: %w", err)
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil || fi.Size() != 0 {
			continue
		}
		if err := os.Remove(p); err != nil {
			return fmt.Errorf("badgerstore: remove empty write-ahead log: %w", err)
		}
		s.log.Warn("badgerstore: removed an empty write-ahead log left by a crash (badger #2207)", "file", p)
	}
	return nil
}

// keptDir is where keepUnlistedTables links the table files the MANIFEST
// does not list.
func (s *Store) keptDir() string { return s.dir + ".unlisted" }

// keepUnlistedTables hard-links into keptDir every table file of s.dir
// that the MANIFEST does not list, because badger deletes those files when
// it opens the directory. After a crash in a flush or a compaction they
// are leftovers, and checkRollback removes the links again; after a
// truncated or lost MANIFEST they are the store's data. It returns the
// links it made.
func (s *Store) keepUnlistedTables() ([]string, error) {
	listed := map[uint64]badger.TableManifest{}
	f, err := os.Open(filepath.Join(s.dir, badger.ManifestFilename))
	switch {
	case err == nil:
		m, _, rerr := badger.ReplayManifestFile(f, 0, badger.DefaultOptions(s.dir))
		f.Close()
		if rerr != nil {
			return nil, nil // badger refuses to open; nothing is deleted
		}
		listed = m.Tables
	case !errors.Is(err, os.ErrNotExist):
		return nil, fmt.Errorf("badgerstore: %w", err)
	}
	ents, err := os.ReadDir(s.dir)
	if err != nil {
		return nil, fmt.Errorf("badgerstore: %w", err)
	}
	var kept []string
	for _, e := range ents {
		id, ok := table.ParseFileID(e.Name())
		if _, isListed := listed[id]; !ok || isListed {
			continue
		}
		if err := os.MkdirAll(s.keptDir(), 0o755); err != nil {
			return nil, fmt.Errorf("badgerstore: keep table files the MANIFEST does not list: %w", err)
		}
		link := filepath.Join(s.keptDir(), e.Name())
		if err := os.Link(filepath.Join(s.dir, e.Name()), link); err != nil && !errors.Is(err, os.ErrExist) {
			return nil, fmt.Errorf("badgerstore: keep table files the MANIFEST does not list: %w", err)
		}
		kept = append(kept, link)
	}
	if len(kept) > 0 {
		s.log.Info("badgerstore: kept table files the MANIFEST does not list until the store checks out", "count", len(kept), "dir", s.keptDir())
	}
	return kept, nil
}
