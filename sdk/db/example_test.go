package db_test

import (
	"errors"
	"fmt"
	"strings"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/db"
	"github.com/relayd/relayd/sdk/sdktest"
)

// A ban list that survives restarts: the relay's store keeps it. Here a
// kind 1984 report from a moderator bans the reported pubkey (a real
// plugin would check who reports); a second Host on the same DB plays the
// relay after a restart.
func ExampleSet() {
	moderator := strings.Repeat("a", 64)
	spammer := strings.Repeat("b", 64)
	banned := db.NewSet("ban/")
	sdk.OnEvent(func(e sdk.Event) sdk.Verdict {
		if e.Kind() == 1984 && e.Pubkey() == moderator {
			if p := e.Tag(0); len(p) > 1 && p[0] == "p" {
				if _, err := banned.Add(p[1]); err != nil {
					return sdk.Reject(sdk.ErrorPrefix, "cannot ban now")
				}
			}
			return sdk.Accept()
		}
		if ok, _ := banned.Has(e.Pubkey()); ok {
			return sdk.Reject(sdk.Blocked, "banned")
		}
		return sdk.Accept()
	})
	defer sdk.OnEvent(nil)

	store := sdktest.NewDB(sdktest.DBLimits{})
	s := sdktest.Session{ID: 1, IP: "203.0.113.7"}
	h := sdktest.New(sdktest.Options{DB: store})
	fmt.Println(h.Event(s, sdktest.Event{Kind: 1, PubKey: spammer}))
	fmt.Println(h.Event(s, sdktest.Event{Kind: 1984, PubKey: moderator, Tags: [][]string{{"p", spammer}}}))

	h = sdktest.New(sdktest.Options{DB: store}) // the relay restarted
	fmt.Println(h.Event(s, sdktest.Event{Kind: 1, PubKey: spammer}))
	members, _ := banned.Members()
	fmt.Println(len(members), members[0][:8])
	// Output:
	// accept
	// accept
	// reject blocked: banned
	// 1 bbbbbbbb
}

// Errors to branch on: a full namespace, a store that takes no writes, a
// relay without durable state.
func ExamplePut() {
	store := sdktest.NewDB(sdktest.DBLimits{MaxKeys: 1})
	sdktest.New(sdktest.Options{DB: store})
	fmt.Println(db.Put("a", []byte("1")))
	fmt.Println(errors.Is(db.Put("b", []byte("2")), sdk.ErrFull))
	store.SetReadOnly(true)
	fmt.Println(errors.Is(db.Put("a", []byte("3")), sdk.ErrReadOnly))
	v, ok, err := db.Get("a")
	fmt.Println(string(v), ok, err)
	sdktest.New(sdktest.Options{NoDB: true})
	fmt.Println(db.Available(), errors.Is(db.Put("a", nil), sdk.ErrUnavailable))
	// Output:
	// <nil>
	// true
	// true
	// 1 true <nil>
	// false true
}
