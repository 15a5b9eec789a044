package store

import "errors"

// PluginState is implemented by stores that also keep the plugins' durable
// key-value state (badgerstore): one keyspace per plugin name, beside the
// events, which every event operation (queries, counts, deletions, checks,
// the event count) ignores. The store does not bound a keyspace; its one
// writer (host/wasmhost/durable) does. Methods are safe for concurrent use.
type PluginState interface {
	// StateGet calls fn with the value of key in ns's keyspace and reports
	// whether there is one. The value is valid only during fn. It fails
	// with ErrBusy rather than wait for the store to reopen.
	StateGet(ns string, key []byte, fn func(val []byte)) (bool, error)

	// StateScan calls fn with each key of ns's keyspace that starts with
	// prefix and sorts after after (an empty after: from the first), in
	// ascending byte order, until fn returns false. With values false, fn
	// gets nil values and no value is read. key and val are valid only
	// during fn, which must not call the store. It fails with ErrBusy
	// rather than wait for the store to reopen.
	StateScan(ns string, prefix, after []byte, values bool, fn func(key, val []byte) bool) error

	// StateWrite applies ops to ns's keyspace in order, in one commit made
	// durable as the store's writes are, and then calls done with nil, or
	// with why nothing was written (ErrDiskFull while the store takes no
	// writes, ErrClosed). done runs on the store's goroutine and must not
	// call the store or block. StateWrite may block while the store's
	// queue is full. The ops of one call must fit one commit: at most
	// MaxStateWriteBytes of keys and values.
	StateWrite(ns string, ops []StateOp, done func(error))

	// StateWritable reports whether writes would be taken now: nil, or
	// ErrDiskFull, ErrClosed or why the store is unavailable. It does not
	// wait.
	StateWritable() error
}

// StateOp is one write to a plugin's keyspace: set Key to Value, or delete
// Key. Value may be empty.
type StateOp struct {
	Key, Value []byte
	Delete     bool
}

// MaxStateWriteBytes bounds the keys and values of one StateWrite, so that
// it fits one commit of the store beside a batch of events.
const MaxStateWriteBytes = 512 << 10

// ErrBusy: the store cannot answer now without waiting (it is reopening,
// for instance after its disk crossed the reserve); try again later.
var ErrBusy = errors.New("store: busy")
