// Package badgerstore is the on-disk store.Store, on github.com/dgraph-io/badger/v4.
//
// # Writes
//
// Every write goes through one writer goroutine. It takes all pending
// requests (up to Options.MaxBatchEvents events or Options.MaxBatchBytes of
// JSON), applies them in one read-write transaction, with the duplicate,
// deletion and replacement checks made inside that serialized writer, commits
// once with fsync (badger's SyncWrites), and hands the batch to a notifier
// goroutine that calls the Submit callbacks in submission order. Concurrent
// publishers therefore share fsyncs. A batch that does not fit one badger
// transaction (ErrTxnTooBig) is split. Work that needs no serialization
// (hex decoding, hashing tag values, copying the JSON) is done by the
// submitting goroutine before it queues the request.
//
// # Key layout
//
// Every event gets an internal serial, a uint64 that only grows (the last one
// is persisted, so serials are never reused). Keys start with one prefix
// byte. In index keys, ts is created_at as 8 big-endian bytes with the sign
// bit flipped and then every bit inverted, and serial is 8 big-endian bytes
// inverted, so ascending key order is newest first and queries iterate
// forward (cheap in badger's skiplists; a reverse step is a search); pk8 is the
// first 8 bytes of the pubkey; kind is 4 big-endian bytes; dhash is
// sha256(d tag value); th is the first 8 bytes of sha256(tag value).
//
//	0x00 'S'                          -> last serial used
//	0x00 'C'                          -> number of events stored
//	0x01 serial                       -> header + raw JSON        (events)
//	0x02 id(32)                       -> serial                   (by id, dedup)
//	0x00 'V'                          -> format version (format.go)
//	0x03 pk8 ts serial                -> ""                       (format 1 only: by author)
//	0x04 kind ts serial               -> ""                       (by kind)
//	0x05 pk8 kind ts serial           -> ""                       (by author and kind)
//	0x06 letter th ts serial          -> ""                       (by single-letter tag value)
//	0x07 ts serial                    -> ""                       (by time only)
//	0x08 kind pubkey(32) dhash        -> serial                   (current replaceable/addressable version)
//	0x09 id(32) pubkey(32)            -> ""                       (NIP-09: pubkey asked to delete id)
//	0x0a kind pubkey(32) dhash        -> deletion created_at (8)  (NIP-09: address deleted up to then)
//	0x0b expiration(8) serial         -> ""                       (NIP-40, for DeleteExpired)
//	0x0c serial                       -> ""                       (lost: an unreadable event was removed)
//	0x10 plugin 0x00 key              -> value                    (plugin state, plugin_state.go)
//	0x11 id(32)                       -> reason                   (operator's banned ids, ban.go)
//	0x12 name                         -> value                    (host settings, ban.go)
//
// The header in front of the raw JSON is fixed-size: a format byte,
// created_at (8), kind (4), expiration (8, 0 for none), pubkey (32) and id
// (32). Query checks ids, authors, kinds, since, until and expiration on the
// header alone; only filters with tag conditions parse the JSON's tags.
// Replaceable kinds use an empty d, so they share the addressable key shape.
// With the default Options.ValueThreshold (256 bytes) nearly every event
// value lives in badger's value log and the LSM tree holds only keys and
// value pointers, so compactions stay cheap and reads cost one value log
// read per event returned. Table blocks are written uncompressed
// (Options.Compress): snappy halved the tables (the store's disk use by a
// sixth) and cost 18-23% of the store's CPU per event (RATIONALE.md).
//
// The plugin state keys (store.PluginState) share the database and the
// writer's commits but nothing else: every event operation and operator
// tool walks the event and index prefixes by name, so a new key family is
// invisible to them unless it is added there.
//
// A note with three single-letter tags costs eight keys: event, id, kind,
// author-kind, time and one per tag value (format 1 had a ninth, the
// author index: format.go says what replaced it and how a store is
// upgraded). Badger's per-key work (memtable insert, WAL entry, flush and
// compaction) is most of the cost of a save; see the benchmarks in
// bench_test.go.
//
// # Queries
//
// Query picks the most selective index the filter allows: ids (point
// lookups), then authors and kinds (0x05), authors (0x05 too: one seek per
// kind finds the kinds each author has, then those prefixes are merged),
// one tag letter (0x06, the one with the fewest values), kinds (0x04), and
// time alone (0x07). It opens one forward (newest-first) iterator per
// prefix (per author-kind pair, per tag value...), each starting at until
// and stopping at since, and merges them newest first with a heap. Events
// sharing a created_at are gathered, checked against the whole filter (the
// 8-byte prefixes and hashes in keys can collide), sorted by id and
// emitted, until the limit is reached. So a query reads about as many keys
// as it returns, plus one seek per kind of each author an authors-only
// filter names.
//
// # What a save's nil means
//
// A nil from Save (OK true on the wire) means the event, or a readable copy
// of it (store.ErrDuplicate), is committed with fsync. Never otherwise: a
// refused write is an error, store.ErrDiskFull included. The duplicate
// check trusts only a stored copy it can read back whole: when the id key
// points at an event that is missing or unreadable, that copy is lost, its
// keys (the same as the new copy's, the id being a hash of the content)
// are removed, and the event is stored again.
//
// # Disk reserve
//
// Badger writes its write-ahead logs, value logs and tables through memory
// maps of preallocated sparse files: on a full filesystem a write is a
// SIGBUS, which kills the process, not an error. So the store keeps
// Options.DiskReserve free. The writer measures the free space (statfs,
// into an atomic) every MiB it writes and on every batch while read-only,
// and a monitor goroutine every Options.DiskCheckInterval. Below the
// reserve the writer closes badger (flushing its memtable into the
// reserve) and opens it read-only: a read-only badger writes nothing (no
// memtable, flush, compaction or value log), so nothing the store does
// can hit the full disk. Saves then fail with store.ErrDiskFull, reads go
// on, and DeleteExpired and value log GC do nothing. At the reserve plus a
// tenth the writer reopens badger read-write. Open below the reserve opens
// read-only; after an unclean shutdown it first replays the write-ahead
// logs with a read-write open without compactions, if the free space covers
// the level-0 tables that makes, and fails with store.ErrDiskFull
// otherwise. The reserve covers ingest between two measures (1 MiB plus
// one batch), the memtables to flush and the compactions running when
// ingest stops; the default, 1 GiB, is sized in RATIONALE.md.
//
// The free space is statfs's f_bavail on Linux, macOS, FreeBSD and
// DragonFly, and GetDiskFreeSpaceEx's bytes available to the caller on
// Windows. On other systems every measure fails: Open and the monitor log
// it, the store assumes there is room, and the reserve is not enforced
// unless Options.FreeSpace is given. Disk space (the replay estimate,
// DiskUsage) is counted in allocated blocks on unix, where the files are
// sparse, and in file lengths on Windows, whose file information has no
// block count.
//
// # What is verified on read
//
// Badger checks every table block it reads from disk against the block's
// checksum (options.OnBlockRead) and every value it reads from the value
// log against the entry's CRC (VerifyValueChecksum). Badger v4.9.6 reports
// neither failure to its caller: a bad block reads as missing keys (its
// table iterator just ends) and a bad value as an empty one (it logs the
// error). The store turns what it can see into store.ErrCorrupt, so that a
// query fails instead of answering with a gap or a changed event:
//   - an event value that is empty, does not decode, or whose tags do not
//     parse;
//   - an index key whose event key is missing, unless the serial is marked
//     lost (0x0c): index and event keys are written and deleted in one
//     transaction, so only damage separates them;
//   - a panic below a query (recovered; a panic in the caller's callback
//     is the caller's). Badger parses a block's entry index before it
//     checks the block's checksum, so some damage panics; the writer's
//     reads and Open's event count recover it too. Badger's compaction
//     goroutines cannot be guarded: a compaction that reaches a damaged
//     table can still end the process.
//
// A damaged block of index keys alone (no event key in it) reads as fewer
// index entries and cannot be told from the data; Open's event count and
// badger's table verification (relayd fsck) are what find it.
//
// # Rollback record
//
// Beside the store (Options.RecordPath, "<dir>.state") one fixed-size line
// holds the last serial and the event count; the meta keys 0x00 'S' and
// 0x00 'C' hold the same in the store, updated in each commit (a commit that
// removes events without storing one still takes a serial, so that the
// pair names a commit). The writer rewrites the line in place after each
// commit (a pwrite, no fsync: it may lag the store after a power cut but
// never leads it); Open and Close sync it. Open refuses, with
// ErrRolledBack, a store whose last serial is below the record's, whose
// event keys (counted at Open, keys only) differ from its own count, or
// whose write-ahead or last value log has a bad entry followed by good
// entries of two transactions or more (badger would take it for a torn
// tail and cut the file there; with synced commits a crash can tear only
// the last transaction). Before
// badger opens the directory, table files the MANIFEST does not list
// (which badger deletes) are hard-linked into "<dir>.unlisted", and the
// part of a damaged log badger will cut is copied there when the damage is
// accepted; the links go once the store checks out. Options.AcceptRollback
// opens such a store as it is, rewrites the record, and goes on with
// serials above both.
//
// # Backup
//
// Store.Backup writes badger's own dump of every live key (DB.Backup, one
// read snapshot) between a header line and an end marker with a sha256
// of everything before it (backup.go); Restore loads it into a new
// directory with DB.Load, removes the directory unless the whole file
// checks out, then opens it as a store, so the count check and the
// rollback record apply as at any start. Every key is carried whatever
// its prefix: a new kind of key needs nothing here.
package badgerstore
