package badgerstore

import (
	"context"
	"errors"
	"fmt"

	"github.com/dgraph-io/badger/v4"
)

// Compact rewrites the store to reclaim the space of deleted, replaced and
// expired events: it flattens badger's LSM tree into one level (which drops
// deleted keys and updates the value log's discard statistics), then runs
// value log garbage collection until no file has discardRatio (0-1; 0
// selects 0.5) of garbage. It returns the disk usage before and after.
// Writes wait while it runs.
//
// # Notes
//
// Badger never rewrites the value log file being written, so a store
// smaller than one value log file (Options.ValueLogFileSize) keeps its
// value log.
func (s *Store) Compact(ctx context.Context, discardRatio float64) (before, after DiskUsage, err error) {
	if discardRatio <= 0 || discardRatio >= 1 {
		discardRatio = 0.5
	}
	if before, err = s.DiskUsage(); err != nil {
		return before, after, err
	}
	err = s.exclusive(ctx, func() error {
		if err := s.db.Flatten(s.opts.NumCompactors); err != nil {
			return fmt.Errorf("badgerstore: flatten: %w", err)
		}
		for ctx.Err() == nil {
			err := s.db.RunValueLogGC(discardRatio)
			if errors.Is(err, badger.ErrNoRewrite) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("badgerstore: value log gc: %w", err)
			}
		}
		return ctx.Err()
	})
	if err != nil {
		return before, after, err
	}
	after, err = s.DiskUsage()
	return before, after, err
}
