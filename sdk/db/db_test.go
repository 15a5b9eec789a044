package db_test

import (
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/relayd/relayd/sdk/db"
	"github.com/relayd/relayd/sdk/sdktest"
)

func TestGetPut(t *testing.T) {
	sdktest.New(sdktest.Options{})
	big := []byte(strings.Repeat("v", 60000)) // over the read buffer
	tests := []struct {
		name, key string
		val       []byte
	}{
		{"empty value", "e", []byte{}},
		{"binary key", "\x00\xff", []byte("x")},
		{"big value", "big", big},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := db.Put(tc.key, tc.val); err != nil {
				t.Fatal(err)
			}
			v, ok, err := db.Get(tc.key)
			if err != nil || !ok || string(v) != string(tc.val) {
				t.Errorf("got %d bytes, %v, %v; want %d bytes", len(v), ok, err, len(tc.val))
			}
			if ok, err := db.Has(tc.key); !ok || err != nil {
				t.Errorf("Has: %v, %v", ok, err)
			}
		})
	}
	if _, ok, err := db.Get("missing"); ok || err != nil {
		t.Errorf("missing key: %v, %v", ok, err)
	}
	if ok, err := db.Delete("e"); !ok || err != nil {
		t.Errorf("Delete: %v, %v", ok, err)
	}
	if ok, err := db.Delete("e"); ok || err != nil {
		t.Errorf("Delete again: %v, %v", ok, err)
	}
	if ok, _ := db.PutNew("big", nil); ok {
		t.Error("PutNew over an existing key stored")
	}
	u, err := db.GetUsage()
	if err != nil || u.Keys != 2 || u.Bytes != int64(2+1+3+len(big)) || u.MaxKeys != 100000 {
		t.Errorf("usage %+v, %v", u, err)
	}
}

// TestScanPages: scans cross db_list's pages, and their callbacks may use
// the package (reads, writes, another scan) without disturbing the scan.
func TestScanPages(t *testing.T) {
	sdktest.New(sdktest.Options{})
	var want []string
	for i := range 2500 {
		k := fmt.Sprintf("seen/%05d", i)
		want = append(want, k)
		if err := db.Put(k, []byte(k)); err != nil {
			t.Fatal(err)
		}
	}
	db.Put("other", nil)
	var got []string
	err := db.Scan("seen/", func(k string, v []byte) bool {
		if string(v) != k {
			t.Fatalf("%s = %q", k, v)
		}
		if _, _, err := db.Get("other"); err != nil {
			t.Fatal(err)
		}
		if inner, err := db.Keys("other"); err != nil || len(inner) != 1 {
			t.Fatalf("inner scan: %v, %v", inner, err)
		}
		got = append(got, k)
		return true
	})
	if err != nil || !slices.Equal(got, want) {
		t.Fatalf("scan: %d keys, %v; want %d", len(got), err, len(want))
	}
	keys, err := db.Keys("seen/")
	if err != nil || !slices.Equal(keys, want) {
		t.Errorf("Keys: %d, %v", len(keys), err)
	}
	n := 0
	db.ScanKeys("", func(string) bool { n++; return n < 10 })
	if n != 10 {
		t.Errorf("a scan stopped by its callback ran %d times", n)
	}
	// Paging as a listing would: pages of 1000, the last short.
	var paged []string
	after := ""
	for pages := 0; ; pages++ {
		page, more, err := db.Page("seen/", after, 1000)
		if err != nil || pages > 3 {
			t.Fatalf("page %d: %v", pages, err)
		}
		paged = append(paged, page...)
		if !more {
			break
		}
		after = page[len(page)-1]
	}
	if !slices.Equal(paged, want) {
		t.Errorf("paged %d keys, want %d", len(paged), len(want))
	}
}

func TestSet(t *testing.T) {
	sdktest.New(sdktest.Options{})
	bans, allow := db.NewSet("ban/"), db.NewSet("allow/")
	if added, err := bans.Add("x"); !added || err != nil {
		t.Fatalf("Add: %v, %v", added, err)
	}
	if added, _ := bans.Add("x"); added {
		t.Error("Add of a member: added again")
	}
	bans.Put("y", []byte("spam"))
	allow.Add("x")
	if v, ok, _ := bans.Get("y"); !ok || string(v) != "spam" {
		t.Errorf("Get y: %q, %v", v, ok)
	}
	var each []string
	bans.Each(func(m string, v []byte) bool { each = append(each, m+"="+string(v)); return true })
	if fmt.Sprint(each) != "[x= y=spam]" {
		t.Errorf("Each: %v", each)
	}
	if removed, _ := bans.Remove("x"); !removed {
		t.Error("Remove x: not removed")
	}
	if ok, _ := bans.Has("x"); ok {
		t.Error("x still banned")
	}
	if m, _ := allow.Members(); fmt.Sprint(m) != "[x]" {
		t.Errorf("allow members %v", m)
	}
}
