package badgerstore

import (
	"context"
	"fmt"
	"io/fs"
	"path/filepath"
	"strings"
)

// The operator tools (relayd delete, stats, compact, fsck) work on a store
// that no relay is serving: cmd/relayd opens the data dir itself, and
// badger's directory lock keeps a running relayd out (CheckLock). What
// changes events still goes through the writer goroutine (exclusive), in
// its place among queued saves, with the functions saves use, so that the
// serial and every record derived from the event set stay right.

// exclusive runs fn on the writer goroutine, with no write in progress, and
// returns its error. If ctx ends first, exclusive returns ctx's error but
// fn may still run.
func (s *Store) exclusive(ctx context.Context, fn func() error) error {
	r := &request{run: fn}
	res := make(chan struct{})
	r.done = func(error) { close(res) }
	if err := s.reading(func() error { s.queue <- r; return nil }); err != nil {
		return err
	}
	select {
	case <-res:
		return r.err
	case <-ctx.Done():
		return fmt.Errorf("badgerstore: %w", ctx.Err())
	}
}

// DiskUsage is the disk space of a store's files by badger part: their
// allocated blocks (allocatedBytes), not their lengths, since badger
// preallocates its value log and memtable logs as sparse files far longer
// than their data. It is what the relayd_store_bytes metric counts.
type DiskUsage struct {
	// SST is the LSM tree's tables (*.sst): keys, and values under
	// Options.ValueThreshold.
	SST int64
	// VLog is the value log (*.vlog): the event values.
	VLog int64
	// Other is everything else: the MANIFEST, memtable logs (*.mem), the
	// key registry, the discard stats.
	Other int64
}

// Total returns the disk space of all the store's files.
func (d DiskUsage) Total() int64 { return d.SST + d.VLog + d.Other }

// DiskUsage returns the disk space the store's files take.
func (s *Store) DiskUsage() (DiskUsage, error) {
	var d DiskUsage
	dirs := []string{s.db.Opts().Dir}
	if vd := s.db.Opts().ValueDir; vd != "" && vd != dirs[0] {
		dirs = append(dirs, vd)
	}
	for _, dir := range dirs {
		err := filepath.WalkDir(dir, func(path string, e fs.DirEntry, err error) error {
			if err != nil || e.IsDir() {
				return err
			}
			info, err := e.Info()
			if err != nil {
				return nil // removed meanwhile (a compaction)
			}
			n := int64(allocatedBytes(info))
			switch {
			case strings.HasSuffix(path, ".sst"):
				d.SST += n
			case strings.HasSuffix(path, ".vlog"):
				d.VLog += n
			default:
				d.Other += n
			}
			return nil
		})
		if err != nil {
			return d, fmt.Errorf("badgerstore: disk usage of %s: %w", dir, err)
		}
	}
	return d, nil
}
