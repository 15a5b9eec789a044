package nip19_test

import (
	"fmt"

	"github.com/relayd/relayd/sdk/nip19"
)

func ExamplePubkey() {
	for _, s := range []string{
		"npub180cvv07tjdrrgpa0j7j7tmnyl2yr6yr7l8j4s3evf6u64th6gkwsyjh6w6",
		"3BF0C63FCB93463407AF97A5E5EE64FA883D107EF9E558472C4EB9AAAEFA459D",
		"nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5",
	} {
		pk, err := nip19.Pubkey(s)
		if err != nil {
			fmt.Println(err)
			continue
		}
		fmt.Println(pk)
	}
	// Output:
	// 3bf0c63fcb93463407af97a5e5ee64fa883d107ef9e558472c4eb9aaaefa459d
	// 3bf0c63fcb93463407af97a5e5ee64fa883d107ef9e558472c4eb9aaaefa459d
	// pubkey "nsec1vl029mgpspedva04g90vltkh6fvh240zqtv9k0t9af8935ke9laqsnlfe5": want 64 hex characters or an npub
}
