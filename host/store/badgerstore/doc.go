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
//	0x01 serial                       -> header + raw JSON        (events)
//	0x02 id(32)                       -> serial                   (by id, dedup)
//	0x03 pk8 ts serial                -> ""                       (by author)
//	0x04 kind ts serial               -> ""                       (by kind)
//	0x05 pk8 kind ts serial           -> ""                       (by author and kind)
//	0x06 letter th ts serial          -> ""                       (by single-letter tag value)
//	0x07 ts serial                    -> ""                       (by time only)
//	0x08 kind pubkey(32) dhash        -> serial                   (current replaceable/addressable version)
//	0x09 id(32) pubkey(32)            -> ""                       (NIP-09: pubkey asked to delete id)
//	0x0a kind pubkey(32) dhash        -> deletion created_at (8)  (NIP-09: address deleted up to then)
//	0x0b expiration(8) serial         -> ""                       (NIP-40, for DeleteExpired)
//
// The header in front of the raw JSON is fixed-size: a format byte,
// created_at (8), kind (4), expiration (8, 0 for none), pubkey (32) and id
// (32). Query checks ids, authors, kinds, since, until and expiration on the
// header alone; only filters with tag conditions parse the JSON's tags.
// Replaceable kinds use an empty d, so they share the addressable key shape.
// With the default Options.ValueThreshold (256 bytes) nearly every event
// value lives in badger's value log and the LSM tree holds only keys and
// value pointers, so compactions stay cheap and reads cost one value log
// read per event returned.
//
// A note with three single-letter tags costs nine keys: event, id, author,
// kind, author-kind, time and one per tag value. Badger's per-key work
// (memtable insert, WAL entry, flush and compaction) is most of the cost of
// a save; see the benchmarks in bench_test.go.
//
// # Queries
//
// Query picks the most selective index the filter allows: ids (point
// lookups), then authors and kinds (0x05), authors (0x03), one tag letter
// (0x06, the one with the fewest values), kinds (0x04), and time alone
// (0x07). It opens one forward (newest-first) iterator per prefix (per author, per
// author-kind pair, per tag value...), each starting at until and stopping
// at since, and merges them newest first with a heap. Events sharing a
// created_at are gathered, checked against the whole filter (the 8-byte
// prefixes and hashes in keys can collide), sorted by id and emitted, until
// the limit is reached. So a query reads about as many keys as it returns.
package badgerstore
