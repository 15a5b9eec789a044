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
// looks first: a bad entry followed by a good one is damage, not a torn
// tail.

// logHeaderSize is the key id and IV at the start of every log file.
const logHeaderSize = 20

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// logDamage is a log file with a bad entry followed by good ones.
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
// the log if zeros, the end of the file or garbage follow it (a crash's
// torn tail), and damage if the entry after it checks. It reads the file
// once, front to back, as badger does when it opens it.
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
	r := bufio.NewReaderSize(io.NewSectionReader(f, logHeaderSize, fi.Size()), 1<<20)
	for off := int64(logHeaderSize); ; {
		n, ok := logEntry(r, fi.Size()-off)
		switch {
		case n == 0:
			return nil, nil // the end of the log
		case !ok:
			if next, nextOK := logEntry(r, fi.Size()-off-n); next > 0 && nextOK {
				return &logDamage{path: path, at: off, size: fi.Size()}, nil
			}
			return nil, nil
		}
		off += n
	}
}

// logEntry reads the next entry from r, with left bytes left in the file.
// It returns the entry's length, 0 at the end of the data (the end of the
// file, an all-zero header, a header that claims more than is left), and
// whether its checksum matches.
func logEntry(r *bufio.Reader, left int64) (int64, bool) {
	h := crc32.New(castagnoli)
	tr := &teeByteReader{r: r, w: h}
	var meta [2]byte
	if _, err := io.ReadFull(tr, meta[:]); err != nil {
		return 0, false
	}
	klen, err1 := binary.ReadUvarint(tr)
	vlen, err2 := binary.ReadUvarint(tr)
	exp, err3 := binary.ReadUvarint(tr)
	if err1 != nil || err2 != nil || err3 != nil {
		return 0, false
	}
	n := tr.n + int64(klen) + int64(vlen) + crc32.Size
	if meta == [2]byte{} && klen == 0 && vlen == 0 && exp == 0 || klen > 1<<16 || n > left {
		return 0, false
	}
	if _, err := io.CopyN(h, r, int64(klen+vlen)); err != nil {
		return 0, false
	}
	var sum [crc32.Size]byte
	if _, err := io.ReadFull(r, sum[:]); err != nil {
		return 0, false
	}
	return n, binary.BigEndian.Uint32(sum[:]) == h.Sum32()
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
