package badgerstore

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"

	"github.com/dgraph-io/badger/v4"
)

// A backup is badger's own dump of every key (DB.Backup: length-prefixed
// protobuf KV lists) between a header line and an end marker, so that a
// cut or damaged file is refused instead of restored in part:
//
//	"relayd-backup 1\n"
//	badger's frames: uint64 little-endian length, then that many bytes
//	0xffffffffffffffff
//	sha256 of everything before the marker (32 bytes)
const backupHeader = "relayd-backup 1\n"

// backupEnd is the end marker, a frame length no frame has.
const backupEnd = ^uint64(0)

// maxBackupFrame bounds a frame's length on restore: badger's frames hold
// at most a few of its 100 MiB batches.
const maxBackupFrame = 1 << 30

// ErrBadBackup is returned by Restore for a file that is not a whole
// backup: no header, a cut, a checksum that does not match.
var ErrBadBackup = errors.New("badgerstore: not a whole relayd backup")

// Backup writes a copy of the whole store to w, from one snapshot: every
// key badger holds, so events, their indexes, NIP-09 deletion records,
// the serial and the event count, and anything else kept in the store.
// Restore makes a store of it. Writes go on meanwhile and are not in the
// copy. It returns the bytes written.
func (s *Store) Backup(ctx context.Context, w io.Writer) (int64, error) {
	cw := &countingWriter{w: w, h: sha256.New(), canceled: make(chan struct{})}
	err := s.reading(func() error {
		if _, err := io.WriteString(cw, backupHeader); err != nil {
			return err
		}
		stream := s.db.NewStream()
		stream.LogPrefix = "badgerstore.Backup"
		stream.SinceTs = 0
		done := make(chan error, 1)
		go func() { _, err := stream.Backup(cw, 0); done <- err }()
		select {
		case err := <-done:
			return err
		case <-ctx.Done():
			cw.cancel()
			<-done
			return ctx.Err()
		}
	})
	if err != nil {
		return cw.n, fmt.Errorf("badgerstore: backup: %w", err)
	}
	var end [8 + sha256.Size]byte
	binary.LittleEndian.PutUint64(end[:8], backupEnd)
	copy(end[8:], cw.h.Sum(nil))
	n, err := w.Write(end[:])
	if err != nil {
		return cw.n + int64(n), fmt.Errorf("badgerstore: backup: %w", err)
	}
	return cw.n + int64(n), nil
}

// countingWriter hashes and counts what goes through it, and fails once
// cancelled (which ends badger's stream).
type countingWriter struct {
	w        io.Writer
	h        hash.Hash
	n        int64
	canceled chan struct{}
}

func (c *countingWriter) cancel() { close(c.canceled) }

func (c *countingWriter) Write(p []byte) (int, error) {
	select {
	case <-c.canceled:
		return 0, context.Canceled
	default:
	}
	n, err := c.w.Write(p)
	c.h.Write(p[:n])
	c.n += int64(n)
	return n, err
}

// Restore makes a new store in dir from a backup Backup wrote. dir must
// not exist or be empty, and have no rollback record beside it: restore
// into a new data dir, then move it in place. The backup is checked
// whole (its checksum, then the store's event count against its own
// record of it, as Open does); on any failure dir is removed.
func Restore(dir string, opts Options, r io.Reader) error {
	opts = opts.withDefaults()
	if err := opts.validate(); err != nil {
		return err
	}
	dir = filepath.Clean(dir)
	s := newStore(dir, opts)
	if err := checkNew(dir, s.opts.RecordPath); err != nil {
		return err
	}
	if err := restore(s, r); err != nil {
		return errors.Join(err, os.RemoveAll(dir))
	}
	return nil
}

// checkNew refuses a store directory that holds anything, or whose
// rollback record exists.
func checkNew(dir, record string) error {
	if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
		return fmt.Errorf("badgerstore: restore: %s is not empty; restore into a new directory", dir)
	} else if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("badgerstore: restore: %w", err)
	}
	if _, err := os.Stat(record); err == nil {
		return fmt.Errorf("badgerstore: restore: %s exists: it is the rollback record of another store; restore into a new data dir", record)
	}
	return nil
}

// restore loads the backup into s.dir with badger's Load, then opens the
// result as a store, which checks it and writes its rollback record.
func restore(s *Store, r io.Reader) error {
	br := bufio.NewReaderSize(r, 1<<16)
	head := make([]byte, len(backupHeader))
	if _, err := io.ReadFull(br, head); err != nil || string(head) != backupHeader {
		return fmt.Errorf("%w: no %q header", ErrBadBackup, backupHeader[:len(backupHeader)-1])
	}
	if err := os.MkdirAll(s.dir, 0o755); err != nil {
		return fmt.Errorf("badgerstore: restore: %w", err)
	}
	db, err := badger.Open(s.opts.badgerOptions(s.dir, false))
	if err != nil {
		return fmt.Errorf("badgerstore: restore: open %s: %w", s.dir, err)
	}
	fr := &frameReader{r: br, h: sha256.New()}
	fr.h.Write(head)
	err = db.Load(fr, 16)
	if cerr := db.Close(); err == nil && cerr != nil {
		err = fmt.Errorf("badgerstore: restore: close %s: %w", s.dir, cerr)
	}
	if err != nil {
		if errors.Is(err, ErrBadBackup) {
			return err
		}
		return fmt.Errorf("badgerstore: restore: %w", err)
	}
	st, err := Open(s.dir, s.opts)
	if err != nil {
		return fmt.Errorf("badgerstore: restore: the restored store does not open: %w", err)
	}
	return st.Close()
}

// frameReader passes badger's frames through to DB.Load, hashing them,
// and ends (io.EOF) at the end marker once the checksum after it matches
// and nothing follows. A file that ends anywhere else, or whose checksum
// differs, is an ErrBadBackup.
type frameReader struct {
	r         *bufio.Reader
	h         hash.Hash
	pending   []byte // the current frame's length, not yet read out
	remaining uint64 // bytes of the current frame not yet read out
	err       error  // returned once pending and remaining are done
	lenBuf    [8]byte
}

func (f *frameReader) Read(p []byte) (int, error) {
	for len(f.pending) == 0 && f.remaining == 0 {
		if f.err != nil {
			return 0, f.err
		}
		f.next()
	}
	if len(f.pending) > 0 {
		n := copy(p, f.pending)
		f.pending = f.pending[n:]
		return n, nil
	}
	if uint64(len(p)) > f.remaining {
		p = p[:f.remaining]
	}
	n, err := f.r.Read(p)
	f.h.Write(p[:n])
	f.remaining -= uint64(n)
	if err == io.EOF {
		return n, fmt.Errorf("%w: it ends inside a frame", ErrBadBackup)
	}
	return n, err
}

// next reads the next frame's length, or the end marker and checksum.
func (f *frameReader) next() {
	if _, err := io.ReadFull(f.r, f.lenBuf[:]); err != nil {
		f.err = fmt.Errorf("%w: it ends without its end marker (cut short?)", ErrBadBackup)
		return
	}
	n := binary.LittleEndian.Uint64(f.lenBuf[:])
	if n == backupEnd {
		f.err = f.end()
		return
	}
	if n > maxBackupFrame {
		f.err = fmt.Errorf("%w: a frame of %d bytes", ErrBadBackup, n)
		return
	}
	f.h.Write(f.lenBuf[:])
	f.pending, f.remaining = f.lenBuf[:], n
}

// end checks the checksum after the end marker and that nothing follows.
func (f *frameReader) end() error {
	sum := make([]byte, sha256.Size)
	if _, err := io.ReadFull(f.r, sum); err != nil {
		return fmt.Errorf("%w: its checksum is cut short", ErrBadBackup)
	}
	if !bytes.Equal(sum, f.h.Sum(nil)) {
		return fmt.Errorf("%w: its checksum does not match its contents", ErrBadBackup)
	}
	if _, err := f.r.ReadByte(); err != io.EOF {
		return fmt.Errorf("%w: there is more after its end marker", ErrBadBackup)
	}
	return io.EOF
}
