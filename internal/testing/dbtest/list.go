package dbtest

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/relayd/relayd/sdk/abi"
)

// The db_list part of the suite: entries, order, paging, the buffer rule.

// entry is one db_list entry.
type entry struct{ key, val string }

// parse splits db_list output into entries, failing on anything but whole
// entries.
func parse(t *testing.T, b []byte) []entry {
	t.Helper()
	var out []entry
	for len(b) > 0 {
		if len(b) < abi.DBEntryHeaderLen {
			t.Fatalf("a partial entry header: %q", b)
		}
		kl, vl := int(binary.LittleEndian.Uint32(b)), int(binary.LittleEndian.Uint32(b[4:]))
		b = b[abi.DBEntryHeaderLen:]
		if kl+vl > len(b) {
			t.Fatalf("an entry of %d+%d bytes in %d", kl, vl, len(b))
		}
		out = append(out, entry{string(b[:kl]), string(b[kl : kl+vl])})
		b = b[kl+vl:]
	}
	return out
}

// list makes one db_list call with a buffer of n bytes.
func list(t *testing.T, db DB, prefix, after string, limit int32, flags uint32, n int) (int32, []entry) {
	t.Helper()
	buf := make([]byte, n)
	rc := db.DBList(prefix, after, limit, flags, buf)
	if rc < 0 || int(rc) > n {
		return rc, nil
	}
	return rc, parse(t, buf[:rc])
}

func keys(es []entry) string {
	var out []string
	for _, e := range es {
		out = append(out, e.key)
	}
	return strings.Join(out, " ")
}

func (s suite) testList(t *testing.T) {
	db := s.newTarget(t, Limits{}).DB
	for _, k := range []string{"ban/b", "ban/a", "ban/c", "allow/x", "ban", "bam", "c"} {
		put(t, db, k, "v"+k)
	}
	want(t, "delete", db.DBDelete("ban/c"), abi.OK)
	put(t, db, "ban/a", "again")
	tests := []struct {
		name, prefix, after string
		want                string
	}{
		{"all", "", "", "allow/x bam ban ban/a ban/b c"},
		{"prefix", "ban/", "", "ban/a ban/b"},
		{"prefix is a key", "ban", "", "ban ban/a ban/b"},
		{"after", "ban/", "ban/a", "ban/b"},
		{"after a missing key", "", "ban/", "ban/a ban/b c"},
		{"after below the prefix", "ban/", "a", "ban/a ban/b"},
		{"after above the prefix", "ban/", "bao", ""},
		{"after the last", "", "c", ""},
		{"no such prefix", "x", "", ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rc, es := list(t, db, tc.prefix, tc.after, 0, 0, 4096)
			if rc < 0 || keys(es) != tc.want {
				t.Errorf("got %s %q, want %q", code(rc), keys(es), tc.want)
			}
			for _, e := range es {
				if e.val != "" {
					t.Errorf("value %q without DBListValues", e.val)
				}
			}
		})
	}
	_, es := list(t, db, "ban/", "", 0, abi.DBListValues, 4096)
	if fmt.Sprint(es) != "[{ban/a again} {ban/b vban/b}]" {
		t.Errorf("with values: %v", es)
	}
	if rc, _ := list(t, db, "", "c", 0, 0, 4096); rc != 0 {
		t.Errorf("past the end: got %s, want 0", code(rc))
	}
}

func (s suite) testListPaging(t *testing.T) {
	db := s.newTarget(t, Limits{}).DB
	var all []string
	for i := range abi.MaxListEntries + 100 {
		k := fmt.Sprintf("k%05d", i)
		all = append(all, k)
		want(t, "put", db.DBPut(k, nil, 0), abi.OK)
	}
	// Pages of 7 by limit, then by a buffer of 5 entries; then the whole
	// list with no limit: at most MaxListEntries per call.
	for _, tc := range []struct {
		name  string
		limit int32
		buf   int
		page  int
	}{
		{"limit", 7, 1 << 20, 7},
		{"buffer", 0, 5 * (abi.DBEntryHeaderLen + 6), 5},
		{"no limit", 0, 1 << 20, abi.MaxListEntries},
		{"limit over the maximum", abi.MaxListEntries * 2, 1 << 20, abi.MaxListEntries},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var got []string
			after, calls := "", 0
			for {
				rc, es := list(t, db, "k", after, tc.limit, 0, tc.buf)
				if rc < 0 {
					t.Fatalf("list after %q: %s", after, code(rc))
				}
				if calls++; calls > len(all)+1 {
					t.Fatalf("still listing after %d calls (after %q)", calls, after)
				}
				if rc == 0 {
					break
				}
				if len(es) > tc.page {
					t.Fatalf("a page of %d entries, want at most %d", len(es), tc.page)
				}
				for _, e := range es {
					got = append(got, e.key)
				}
				after = es[len(es)-1].key
			}
			if !slices.Equal(got, all) {
				t.Errorf("paged through %d keys, want %d in order", len(got), len(all))
			}
			if wantCalls := (len(all)+tc.page-1)/tc.page + 1; calls != wantCalls {
				t.Errorf("%d calls, want %d", calls, wantCalls)
			}
		})
	}
	// Writes between pages: a key after the cursor is seen, one before
	// it is not, a deleted one is gone.
	rc, es := list(t, db, "k", "", 3, 0, 1<<20)
	if rc <= 0 || len(es) != 3 {
		t.Fatalf("first page: %s %v", code(rc), es)
	}
	put(t, db, "k00000a", "")
	put(t, db, "k00003a", "")
	want(t, "delete", db.DBDelete("k00004"), abi.OK)
	_, es = list(t, db, "k", es[2].key, 3, 0, 1<<20)
	if got := keys(es); got != "k00003 k00003a k00005" {
		t.Errorf("second page: %q", got)
	}
}

func (s suite) testListBuffer(t *testing.T) {
	db := s.newTarget(t, Limits{}).DB
	put(t, db, "a", "12345")
	put(t, db, "b", "6")
	const first = abi.DBEntryHeaderLen + 1 + 5
	for _, tc := range []struct {
		name  string
		flags uint32
		n     int
		rc    int32
		keys  string
	}{
		{"probe", abi.DBListValues, 0, first, ""},
		{"one byte short", abi.DBListValues, first - 1, first, ""},
		{"room for one", abi.DBListValues, first + abi.DBEntryHeaderLen + 1, first, "a"},
		{"room for both", abi.DBListValues, 2*abi.DBEntryHeaderLen + 8, 2*abi.DBEntryHeaderLen + 8, "a b"},
		{"keys only", 0, 2 * (abi.DBEntryHeaderLen + 1), 2 * (abi.DBEntryHeaderLen + 1), "a b"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			buf := bytes.Repeat([]byte{0xee}, tc.n)
			rc := db.DBList("", "", 0, tc.flags, buf)
			if rc != tc.rc {
				t.Fatalf("got %s, want %d", code(rc), tc.rc)
			}
			if int(rc) > tc.n {
				if !bytes.Equal(buf, bytes.Repeat([]byte{0xee}, tc.n)) {
					t.Errorf("a too small buffer was written: %x", buf)
				}
				return
			}
			if got := keys(parse(t, buf[:rc])); got != tc.keys {
				t.Errorf("keys %q, want %q", got, tc.keys)
			}
		})
	}
}
