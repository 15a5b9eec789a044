// Command db runs package sdk/db against the real host. On a kind 1 event
// it goes through every function of the package (over more keys than one
// db_list page) and answers "ok ..." or the first thing that went wrong;
// on kind 2 it reports what it finds, to check it after a restart; kinds
// 3 to 5 are one call each for BenchmarkWasmDB.
package main

import (
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/db"
)

func init() {
	sdk.OnEvent(func(e sdk.Event) sdk.Verdict {
		switch e.Kind() {
		case 2:
			return sdk.Reject(sdk.Blocked, report())
		case 3: // for BenchmarkWasmDB: a ban check
			if ok, _ := db.Has("ban/" + e.Pubkey()); ok {
				return sdk.Reject(sdk.Blocked, "banned")
			}
			return sdk.Accept()
		case 4: // for BenchmarkWasmDB: a write per event
			db.Put("seen/"+e.Pubkey(), nil)
			return sdk.Accept()
		case 5: // for BenchmarkWasmDB: the baseline
			e.Pubkey()
			return sdk.Accept()
		}
		if err := run(); err != nil {
			return sdk.Reject(sdk.Blocked, "fail: "+err.Error())
		}
		return sdk.Reject(sdk.Blocked, "ok "+report())
	})
}

const n = 1500

var big = strings.Repeat("v", 60000)

func run() error {
	if !db.Available() {
		return errors.New("not available")
	}
	var want []string
	for i := range n {
		k := fmt.Sprintf("k/%04d", i)
		want = append(want, k)
		if err := db.Put(k, []byte(k)); err != nil {
			return err
		}
	}
	keys, err := db.Keys("k/")
	if err != nil || !slices.Equal(keys, want) {
		return fmt.Errorf("Keys: %d keys, %v", len(keys), err)
	}
	seen := 0
	err = db.Scan("k/", func(k string, v []byte) bool {
		if _, ok, _ := db.Get(want[0]); !ok || string(v) != k {
			return false
		}
		seen++
		return true
	})
	if err != nil || seen != n {
		return fmt.Errorf("Scan: %d keys, %v", seen, err)
	}
	page, more, err := db.Page("k/", "", 1000)
	if err != nil || len(page) != 1000 || !more {
		return fmt.Errorf("Page 1: %d, %v, %v", len(page), more, err)
	}
	page, more, err = db.Page("k/", page[999], 1000)
	if err != nil || len(page) != 500 || more {
		return fmt.Errorf("Page 2: %d, %v, %v", len(page), more, err)
	}
	bans := db.NewSet("ban/")
	if added, err := bans.Add("x"); !added || err != nil {
		return fmt.Errorf("Add: %v, %v", added, err)
	}
	if added, _ := bans.Add("x"); added {
		return errors.New("Add twice")
	}
	if err := bans.Put("y", []byte("spam")); err != nil {
		return err
	}
	if removed, _ := bans.Remove("x"); !removed {
		return errors.New("Remove")
	}
	if err := db.Put("big", []byte(big)); err != nil {
		return err
	}
	if ok, _ := db.PutNew("big", nil); ok {
		return errors.New("PutNew over a key")
	}
	if err := db.Put("", nil); !errors.Is(err, sdk.ErrInvalid) {
		return fmt.Errorf("empty key: %v", err)
	}
	return nil
}

// report says what the state holds.
func report() string {
	u, err := db.GetUsage()
	if err != nil {
		return err.Error()
	}
	members, _ := db.NewSet("ban/").Members()
	v, _, _ := db.Get("big")
	keys, _ := db.Keys("k/")
	return fmt.Sprintf("keys=%d k=%d members=%v big=%d", u.Keys, len(keys), members, len(v))
}

func main() {}
