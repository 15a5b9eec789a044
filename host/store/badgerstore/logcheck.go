package badgerstore

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// When badger opens a directory it reads its write-ahead logs (*.mem) and
// its last value log file entry by entry, and truncates each at the first
// entry that does not check, taking it for the torn tail of a crash. A
// byte flipped in the middle of such a file therefore cuts everything
// after it, for good: up to a whole value log file of events. checkLogs
// looks first: a bad entry followed by good entries of two transactions is
// damage, not a torn tail (commits are synced one at a time, so a crash or
// a power cut can tear only the last transaction).

// logHeaderSize is the key id and IV at the start of every log file.
const logHeaderSize = 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// logDamage is a log file with a bad entry followed by good entries of two
// transactions or more.
type logDamage struct {
	path string
	at   int64 // offset of the bad entry: badger would cut the file there
	size int64
}

// checkLogs returns the damaged logs among the files badger would cut.
func checkLogs(dir string) ([]logDamage, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.mem"))
	if err != nil {
		return nil, fmt.Errorf("badgerstore: %w", err)
	}
	if last := lastValueLog(dir); last != "" {
		files = append(files, last)
	}
	var out []logDamage
	for _, f := range files {
		d, err := checkLog(f)
		if err != nil {
			return nil, err
		}
		if d != nil {
			out = append(out, *d)
		}
	}
	return out, nil
}

// lastValueLog returns the value log file with the highest number.
func lastValueLog(dir string) string {
	paths, _ := filepath.Glob(filepath.Join(dir, "*.vlog"))
	var best string
	bestID := -1
	for _, p := range paths {
		id, err := strconv.Atoi(strings.TrimSuffix(filepath.Base(p), ".vlog"))
		if err == nil && id > bestID {
			best, bestID = p, id
		}
	}
	return best
}

// checkLog reads the entries of one log file (header, key, value, CRC32-C
// of the three) up to the first that does not check. That is the end of
// the log if what follows is zeros, the end of the file, or entries of one
// transaction: with synced writes only the last transaction can be torn,
// and a power cut may persist its pages out of order. It is damage if good
// entries of two transactions or more follow it. It reads the file once,
// front to back, as badger does when it opens it.
func checkLog(path string) (*logDamage, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("badgerstore: %w", err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("badgerstore: %w", err)
	}
	lr := &logReader{r: bufio.NewReaderSize(io.NewSectionReader(f, logHeaderSize, fi.Size()), 1<<20)}
	off := int64(logHeaderSize)
	var e logRecord
	for {
		e = lr.logEntry(fi.Size() - off)
		if e.n == 0 {
			return nil, nil // the end of the log
		}
		if !e.ok {
			break
		}
		off += e.n
	}
	// A bad entry at off: count the transactions of the good ones after it.
	txns := map[[8]byte]bool{}
	for left := fi.Size() - off - e.n; ; {
		next := lr.logEntry(left)
		if next.n == 0 || !next.ok {
			break
		}
		txns[next.ts] = true
		left -= next.n
	}
	if len(txns) < 2 {
		return nil, nil
	}
	return &logDamage{path: path, at: off, size: fi.Size()}, nil
}

// logRecord is one entry as logEntry read it.
type logRecord struct {
	n  int64   // length; 0 at the end of the data
	ok bool    // its checksum matches
	ts [8]byte // the version at the end of its key: its transaction
}

// logReader reads log entries one after the other, reusing its buffer.
type logReader struct {
	r   *bufio.Reader
	buf []byte
}

// logEntry reads the next entry from r, with left bytes left in the file.
// n is 0 at the end of the data: the end of the file, an all-zero header,
// or a header that claims more than is left.
func (lr *logReader) logEntry(left int64) logRecord {
	h := crc32.New(castagnoli)
	tr := &teeByteReader{r: lr.r, w: h}
	var meta [2]byte
	if _, err := io.ReadFull(tr, meta[:]); err != nil {
		return logRecord{}
	}
	klen, err1 := binary.ReadUvarint(tr)
	vlen, err2 := binary.ReadUvarint(tr)
	exp, err3 := binary.ReadUvarint(tr)
	if err1 != nil || err2 != nil || err3 != nil {
		return logRecord{}
	}
	n := tr.n + int64(klen) + int64(vlen) + crc32.Size
	if meta == [2]byte{} && klen == 0 && vlen == 0 && exp == 0 || klen > 1<<16 || n > left {
		return logRecord{}
	}
	rec := logRecord{n: n}
	kv := int(klen + vlen)
	if cap(lr.buf) < kv+crc32.Size {
		lr.buf = make([]byte, kv+crc32.Size)
	}
	b := lr.buf[:kv+crc32.Size]
	if _, err := io.ReadFull(lr.r, b); err != nil {
		return logRecord{}
	}
	if klen >= 8 {
		rec.ts = [8]byte(b[klen-8 : klen])
	}
	h.Write(b[:kv])
	rec.ok = binary.BigEndian.Uint32(b[kv:]) == h.Sum32()
	return rec
}

// teeByteReader counts and hashes the bytes read through it.
type teeByteReader struct {
	r *bufio.Reader
	w io.Writer
	n int64
}

func (t *teeByteReader) Read(p []byte) (int, error) {
	n, err := t.r.Read(p)
	t.w.Write(p[:n])
	t.n += int64(n)
	return n, err
}

func (t *teeByteReader) ReadByte() (byte, error) {
	b, err := t.r.ReadByte()
	if err == nil {
		t.w.Write([]byte{b})
		t.n++
	}
	return b, err
}

// keepLogTails refuses to open a directory with damaged logs, or, when the
// damage is accepted, copies the part of each that badger will cut into
// keptDir first.
func (s *Store) keepLogTails() error {
	damaged, err := checkLogs(s.dir)
	if err != nil || len(damaged) == 0 {
		return err
	}
	var names []string
	for _, d := range damaged {
		names = append(names, fmt.Sprintf("%s at offset %d of %d", filepath.Base(d.path), d.at, d.size))
	}
	err = fmt.Errorf("%w: %s: damaged log files (%s): badger would cut each at the damage and lose what follows",
		ErrRolledBack, s.dir, strings.Join(names, ", "))
	if !s.opts.AcceptRollback {
		return err
	}
	s.log.Warn("badgerstore: accepting damaged log files; keeping what badger cuts", "err", err, "dir", s.keptDir())
	if err := os.MkdirAll(s.keptDir(), 0o755); err != nil {
		return fmt.Errorf("badgerstore: %w", err)
	}
	for _, d := range damaged {
		name := fmt.Sprintf("%s.from-%d", filepath.Base(d.path), d.at)
		if err := copyTail(d.path, d.at, filepath.Join(s.keptDir(), name)); err != nil {
			return fmt.Errorf("badgerstore: keep the damaged part of %s: %w", d.path, err)
		}
	}
	return nil
}

// copyTail copies src from off on to dst.
func copyTail(src string, off int64, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := in.Seek(off, io.SeekStart); err != nil {
		out.Close()
		return err
	}
	_, err = io.Copy(out, in)
	return errors.Join(err, out.Sync(), out.Close())
}
