package badgerstore

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/nbd-wtf/go-nostr"

	"github.com/relayd/relayd/host/store"
)

// TestDamagedLastValueLog: a byte flipped in the value log file badger
// rereads at open. Badger would take the bad entry for a crash's torn tail
// and cut the file there, losing every event after it; the store refuses
// to open instead. Accepting the damage, the part badger cuts is kept.
func TestDamagedLastValueLog(t *testing.T) {
	dir, es := closedStore(t, 100)
	vlog := onlyFile(t, dir, "000001.vlog")
	flip(t, vlog, indexIn(t, vlog, "note 00050")+5, 1)

	_, err := Open(dir, Options{})
	if !errors.Is(err, ErrRolledBack) || !strings.Contains(err.Error(), "000001.vlog at offset") {
		t.Fatalf("open: got %v, want ErrRolledBack about the value log", err)
	}
	s, err := Open(dir, Options{AcceptRollback: true})
	if err != nil {
		t.Fatalf("open accepting the damage: %v", err)
	}
	defer s.Close()
	kept, err := filepath.Glob(dir + ".unlisted/000001.vlog.from-*")
	if err != nil || len(kept) != 1 {
		t.Fatalf("the cut part is not kept: %v %v", kept, err)
	}
	tail, err := os.ReadFile(kept[0])
	if err != nil {
		t.Fatal(err)
	}
	// The events badger cut are lost to the store, not to the operator.
	lost := 0
	for i, e := range es {
		_, err := tryQueryIDs(s, nostr.Filter{IDs: []string{e.ev.ID}})
		if err == nil {
			continue
		}
		if !errors.Is(err, store.ErrCorrupt) {
			t.Fatalf("query: %v", err)
		}
		lost++
		if i != 50 && !bytes.Contains(tail, []byte(fmt.Sprintf("note %05d", i))) {
			t.Errorf("event %d was cut and is not in the kept part", i)
		}
	}
	if lost < 2 {
		t.Fatalf("%d events lost: the damage should cut more than itself", lost)
	}
}

// closedStore writes n notes to a new store and closes it: their values
// are in 000001.vlog, the last value log file.
func closedStore(t *testing.T, n int) (string, []testEvent) {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "events")
	s, err := Open(dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pk := randHex32()
	es := make([]testEvent, n)
	for i := range es {
		es[i] = makeEvent(pk, 1, int64(1000+i), nil, fmt.Sprintf("note %05d %s", i, strings.Repeat("x", 200)))
	}
	for _, err := range submitAll(s, es[:n-3], 1) {
		if err != nil {
			t.Fatal(err)
		}
	}
	// The last three in transactions of their own.
	for _, e := range es[n-3:] {
		if err := s.Save(context.Background(), e.ev, e.raw); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	return dir, es
}

// lastEntry returns the offset and length of the last entry of a log.
func lastEntry(t *testing.T, path string) (off, n int64) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, _ := f.Stat()
	lr := &logReader{r: bufio.NewReader(io.NewSectionReader(f, logHeaderSize, fi.Size()))}
	for at := int64(logHeaderSize); ; {
		e := lr.logEntry(fi.Size() - at)
		if e.n == 0 {
			return off, n
		}
		off, n = at, e.n
		at += e.n
	}
}

// indexIn returns the offset of s in file.
func indexIn(t *testing.T, file, s string) int64 {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	i := bytes.Index(b, []byte(s))
	if i < 0 {
		t.Fatalf("%q not in %s", s, file)
	}
	return int64(i)
}

// Test_checkLog tells damage from a crash's torn tail, which badger cuts
// rightly.
func Test_checkLog(t *testing.T) {
	tests := []struct {
		name    string
		damage  func(t *testing.T, vlog string)
		damaged bool
	}{
		{"intact", func(*testing.T, string) {}, false},
		{"value byte flipped", func(t *testing.T, vlog string) { flip(t, vlog, indexIn(t, vlog, "note 00005")+5, 1) }, true},
		{"torn last entry", func(t *testing.T, vlog string) {
			fi, _ := os.Stat(vlog)
			os.Truncate(vlog, fi.Size()-10)
		}, false},
		{"torn last entry, zeros after", func(t *testing.T, vlog string) {
			fi, _ := os.Stat(vlog)
			os.Truncate(vlog, fi.Size()-10)
			os.Truncate(vlog, 1<<20)
		}, false},
		{"last checksum flipped", func(t *testing.T, vlog string) {
			fi, _ := os.Stat(vlog)
			flip(t, vlog, fi.Size()-1, 1)
		}, false},
		{"torn last transaction", func(t *testing.T, vlog string) {
			// A power cut may persist a later page of the transaction in
			// flight and not an earlier one: a bad entry, then a good one
			// of the same transaction.
			off, n := lastEntry(t, vlog)
			b, _ := os.ReadFile(vlog)
			os.WriteFile(vlog, append(b, b[off:off+n]...), 0o644)
			flip(t, vlog, off+n/2, 1)
		}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir, _ := closedStore(t, 10)
			vlog := onlyFile(t, dir, "000001.vlog")
			tc.damage(t, vlog)
			d, err := checkLog(vlog)
			if err != nil {
				t.Fatal(err)
			}
			if (d != nil) != tc.damaged {
				t.Fatalf("got %+v, want damaged=%v", d, tc.damaged)
			}
		})
	}
}
