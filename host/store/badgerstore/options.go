package badgerstore

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"time"

	"github.com/dgraph-io/badger/v4"
	"github.com/dgraph-io/badger/v4/options"
)

// Options configures a Store. The zero value of each field selects the
// default given in its comment; the defaults keep badger's memory modest for
// a relay process that also holds many idle connections.
type Options struct {
	// Logger receives badger's warnings and errors. Nil discards them.
	Logger *slog.Logger
	// OnCommit, if set, is told how long each write transaction took to
	// apply and commit (relayd_store_commit_seconds). It runs on the
	// writer goroutine and must be quick.
	OnCommit func(took time.Duration)

	// MemoryBudget, in bytes, sizes the store's memory: badger's
	// memtables, its block and index caches and the event cache, whose
	// defaults below are then its shares (SharesOf); a field set
	// explicitly keeps its value. Zero uses DefaultMemoryBudget.
	MemoryBudget int64

	// MemTableSize is the size of each badger memtable. Default 1/16 of
	// MemoryBudget (16 MiB), at least 4 MiB.
	MemTableSize int64
	// NumMemtables is how many memtables badger keeps in memory, the one
	// being written included. Default 2.
	NumMemtables int
	// BlockCacheSize bounds badger's cache of decompressed table blocks.
	// Default 1/16 of MemoryBudget (16 MiB).
	BlockCacheSize int64
	// IndexCacheSize bounds the memory used by table indexes and bloom
	// filters. Default 1/32 of MemoryBudget (8 MiB).
	IndexCacheSize int64
	// NumCompactors is the number of compaction goroutines. Default 2, the
	// least badger accepts.
	NumCompactors int
	// ValueThreshold is the event value size (JSON plus an 85-byte header)
	// from which the value goes to badger's value log instead of the LSM
	// tree. Default 256 bytes: nearly every event goes to the value log, so
	// the LSM tree holds only keys and pointers, which keeps compactions and
	// the block cache small. DeleteExpired reclaims value log space.
	ValueThreshold int64
	// Compress compresses table blocks with snappy. Default off: ingest
	// costs 18% less store CPU per event without it, and less again as the
	// store grows (BENCHMARKS.md, "Ingest and memory"); the tables take
	// twice the disk (the whole store 18% more). Tables
	// keep the compression they were written with (badger records it per
	// table in its MANIFEST), so a store written with either setting
	// opens with the other.
	Compress bool
	// ValueLogFileSize is the size of each value log file. Default 256 MiB.
	ValueLogFileSize int64

	// CacheBytes bounds the cache of recently read events kept in front of
	// badger; a negative value disables it. Default 1/8 of MemoryBudget
	// (32 MiB).
	CacheBytes int

	// MaxEventSize is the largest raw event JSON Save accepts; larger ones
	// get store.ErrTooLarge. Default 1 MiB.
	MaxEventSize int

	// QueueSize is how many writes may wait for the writer before Submit
	// blocks. Default 4096.
	QueueSize int
	// MaxBatchEvents bounds the events in one commit. Default 1024.
	MaxBatchEvents int
	// MaxBatchBytes bounds the JSON bytes in one commit. Default 4 MiB.
	MaxBatchBytes int

	// DiskReserve is the free space, in bytes, kept on the store's
	// filesystem: below it the store reopens badger read-only and refuses
	// writes with store.ErrDiskFull; it takes writes again once the free
	// space is back above DiskReserve plus a tenth. Default 1 GiB (see
	// RATIONALE.md for what it must cover); negative disables the check.
	DiskReserve int64
	// DiskCheckInterval is how often the free space is measured when no
	// writes trigger a check (writes check it every diskCheckBytes).
	// Default 5 s.
	DiskCheckInterval time.Duration
	// FreeSpace returns the bytes available on the filesystem holding dir.
	// Nil uses statfs(2) (GetDiskFreeSpaceEx on Windows); tests inject
	// their own.
	FreeSpace func(dir string) (uint64, error)

	// RecordPath is the rollback record kept beside the store: the last
	// serial and the event count, checked at Open. Default: the store
	// directory's path with ".state" appended.
	RecordPath string
	// AcceptRollback opens a store that has gone backwards against its
	// rollback record, or whose events do not match their count, instead
	// of refusing; the record is then rewritten from the store.
	AcceptRollback bool
}

// DefaultMemoryBudget is the store's memory budget when
// Options.MemoryBudget is zero: 256 MiB, which gives the shares the store
// always had (RATIONALE.md, "Why one memory budget").
const DefaultMemoryBudget = 256 << 20

// MemoryShares are the parts of the store's memory that a budget sizes.
type MemoryShares struct {
	MemTableSize   int64 // each of the NumMemtables (2) memtables
	BlockCacheSize int64
	IndexCacheSize int64
	CacheBytes     int64 // the event cache
}

// SharesOf splits budget bytes among the store's memory: 1/16 to each of
// the two memtables (at least 4 MiB, at most 64 MiB), 1/16 to badger's
// block cache, 1/32 to its index cache and 1/8 to the event cache, about
// 0.36 of the budget with badger's arena overhead. The rest is the room
// the Go heap needs for everything else (connections, queues, garbage
// between collections).
func SharesOf(budget int64) MemoryShares {
	return MemoryShares{
		MemTableSize:   min(max(budget/16, 4<<20), 64<<20),
		BlockCacheSize: budget / 16,
		IndexCacheSize: budget / 32,
		CacheBytes:     budget / 8,
	}
}

func (o Options) withDefaults() Options {
	def := func(v *int64, d int64) {
		if *v <= 0 {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v <= 0 {
			*v = d
		}
	}
	def(&o.MemoryBudget, DefaultMemoryBudget)
	sh := SharesOf(o.MemoryBudget)
	def(&o.MemTableSize, sh.MemTableSize)
	defInt(&o.NumMemtables, 2)
	def(&o.BlockCacheSize, sh.BlockCacheSize)
	def(&o.IndexCacheSize, sh.IndexCacheSize)
	defInt(&o.NumCompactors, 2)
	def(&o.ValueThreshold, 256)
	def(&o.ValueLogFileSize, 256<<20)
	defInt(&o.MaxEventSize, 1<<20)
	if o.CacheBytes == 0 {
		o.CacheBytes = int(sh.CacheBytes)
	}
	defInt(&o.QueueSize, 4096)
	defInt(&o.MaxBatchEvents, 1024)
	defInt(&o.MaxBatchBytes, 4<<20)
	if o.DiskReserve == 0 {
		o.DiskReserve = 1 << 30
	}
	if o.DiskCheckInterval <= 0 {
		o.DiskCheckInterval = 5 * time.Second
	}
	if o.FreeSpace == nil {
		o.FreeSpace = statfsFree
	}
	return o
}

func (o Options) validate() error {
	if o.NumCompactors < 2 {
		return fmt.Errorf("badgerstore: NumCompactors %d: badger needs at least 2", o.NumCompactors)
	}
	if o.MaxEventSize+headerLen > int(o.ValueLogFileSize) {
		return fmt.Errorf("badgerstore: MaxEventSize %d does not fit ValueLogFileSize %d", o.MaxEventSize, o.ValueLogFileSize)
	}
	return nil
}

// badgerOptions maps o onto badger's options for the database in dir.
//
// # Notes
//
// Do not call WithLoggingLevel: it replaces the logger with badger's own,
// which writes to stderr; slogAdapter applies the slog handler's level.
func (o Options) badgerOptions(dir string, readOnly bool) badger.Options {
	return badger.DefaultOptions(dir).
		WithLogger(slogAdapter{o.Logger}).
		WithReadOnly(readOnly).
		// Verify every table block read from disk, and every value read
		// from the value log, against its checksum (RATIONALE.md).
		WithChecksumVerificationMode(options.OnBlockRead).
		WithVerifyValueChecksum(true).
		WithSyncWrites(true).
		// All writes come from the one writer goroutine.
		WithDetectConflicts(false).
		WithMetricsEnabled(false).
		WithMemTableSize(o.MemTableSize).
		WithNumMemtables(o.NumMemtables).
		WithBlockCacheSize(o.BlockCacheSize).
		WithIndexCacheSize(o.IndexCacheSize).
		WithNumCompactors(o.NumCompactors).
		WithValueThreshold(o.ValueThreshold).
		WithValueLogFileSize(o.ValueLogFileSize).
		WithCompression(o.compression())
}

func (o Options) compression() options.CompressionType {
	if o.Compress {
		return options.Snappy
	}
	return options.None
}

// slogAdapter is badger.Logger on a *slog.Logger. Badger's errors and
// warnings keep their level; its info messages (table opening, compactions,
// replays) are debug messages for relayd, and its debug messages are
// dropped.
type slogAdapter struct{ log *slog.Logger }

func (a slogAdapter) Errorf(format string, args ...any) { a.emit(slog.LevelError, format, args) }

func (a slogAdapter) Warningf(format string, args ...any) { a.emit(slog.LevelWarn, format, args) }

func (a slogAdapter) Infof(format string, args ...any) { a.emit(slog.LevelDebug, format, args) }

func (a slogAdapter) Debugf(string, ...any) {}

func (a slogAdapter) emit(level slog.Level, format string, args []any) {
	if a.log == nil || !a.log.Enabled(context.Background(), level) {
		return
	}
	a.log.Log(context.Background(), level, strings.TrimSpace(fmt.Sprintf(format, args...)), "component", "badger")
}
