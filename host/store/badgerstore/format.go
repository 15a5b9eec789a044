package badgerstore

import (
	"errors"
	"fmt"
	"time"

	"github.com/dgraph-io/badger/v4"
)

// formatVersion is the key layout this code writes, kept under metaFormat.
//
//   - 1 (no metaFormat key): the layout up to 2026-12, with an author index
//     (pAuthor: pk8 ts serial) beside the author-kind one.
//   - 2: no author index. Author queries find the author's kinds on the
//     author-kind index (one seek per kind) and merge those prefixes; every
//     note costs one key less to write.
//
// Open upgrades a version-1 store by dropping the retired prefixes
// (upgradeFormat); a store of a newer version is refused, since this code
// would not maintain the keys that version adds.
const formatVersion = 2

// metaFormat is the key of the store's format version (8 bytes).
var metaFormat = []byte{pMeta, 'V'}

// retiredPrefixes are the key families that earlier formats wrote and this
// one neither writes nor reads; upgradeFormat removes them.
var retiredPrefixes = [...]byte{pAuthor}

// errFormatTooNew is a store written by a later relayd.
var errFormatTooNew = errors.New("badgerstore: the store's format is newer than this relayd's")

// readFormat returns the store's format version: 1 when the key is absent
// from a store that holds anything, formatVersion for an empty one.
func readFormat(db *badger.DB) (uint64, bool, error) {
	var v uint64
	var found bool
	err := db.View(func(txn *badger.Txn) error {
		var err error
		v, found, err = getU64(txn, metaFormat)
		return err
	})
	if err != nil {
		return 0, false, fmt.Errorf("badgerstore: read the format version: %w", err)
	}
	if !found {
		v = 1
	}
	return v, found, nil
}

// upgradeFormat brings the store to formatVersion before the writer starts:
// it drops the retired key families (badger's DropPrefix: whole tables
// where it can, a compaction elsewhere) and then records the version. An
// upgrade cut short by a crash runs again at the next Open: dropping is
// idempotent and the version is written last. A read-only store (disk
// below the reserve) is left as it is: the retired keys are invisible to
// queries, and nothing can be deleted until it is writable again.
func (s *Store) upgradeFormat(readOnly bool) error {
	v, found, err := readFormat(s.db)
	if err != nil {
		return err
	}
	switch {
	case v > formatVersion:
		return fmt.Errorf("%w: %s has format %d, this relayd writes %d: run a newer relayd", errFormatTooNew, s.dir, v, formatVersion)
	case v == formatVersion && found:
		return nil
	case readOnly:
		return nil
	}
	prefixes := make([][]byte, len(retiredPrefixes))
	for i, p := range retiredPrefixes {
		prefixes[i] = []byte{p}
	}
	retired, err := hasKeys(s.db, prefixes)
	if err != nil {
		return err
	}
	if retired {
		start := time.Now()
		if err := s.db.DropPrefix(prefixes...); err != nil {
			return fmt.Errorf("badgerstore: upgrade %s from format %d: drop retired indexes: %w", s.dir, v, err)
		}
		s.log.Info("badgerstore: upgraded the store's format: dropped the author index (author queries use the author-kind index)",
			"dir", s.dir, "from", v, "to", formatVersion, "took", time.Since(start).Round(time.Millisecond))
	}
	err = s.db.Update(func(txn *badger.Txn) error { return txn.Set(metaFormat, appendU64(nil, formatVersion)) })
	if err != nil {
		return fmt.Errorf("badgerstore: record the format version of %s: %w", s.dir, err)
	}
	return nil
}

// hasKeys reports whether db holds a key with one of prefixes.
func hasKeys(db *badger.DB, prefixes [][]byte) (bool, error) {
	found := false
	err := db.View(func(txn *badger.Txn) error {
		for _, p := range prefixes {
			it := txn.NewIterator(badger.IteratorOptions{Prefix: p})
			it.Rewind()
			found = found || it.Valid()
			it.Close()
		}
		return nil
	})
	if err != nil {
		return false, fmt.Errorf("badgerstore: look for retired keys: %w", err)
	}
	return found, nil
}
