package kinds_test

import (
	"encoding/json"
	"fmt"

	"github.com/relayd/relayd/sdk/kinds"
)

// A config field of type Set reads kinds and ranges.
func ExampleSet() {
	var c struct {
		Kinds kinds.Set `json:"kinds"`
	}
	if err := json.Unmarshal([]byte(`{"kinds":[1, 7, "30000-39999"]}`), &c); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(c.Kinds.Has(7), c.Kinds.Has(30023), c.Kinds.Has(4))
	// Output: true true false
}

func ExampleParseRange() {
	r, err := kinds.ParseRange("30000-39999")
	fmt.Println(r.Lo, r.Hi, err)
	_, err = kinds.ParseRange("39999-30000")
	fmt.Println(err)
	// Output:
	// 30000 39999 <nil>
	// kind "39999-30000": want a kind (7) or a range (30000-39999)
}

// Per-kind overrides of a global setting: a kind's own entry wins over a
// range, a narrow range over a wide one.
func ExampleMap() {
	overrides := map[string]int{"30023": 5, "30000-39999": 20, "1": 0} // from the config
	var m kinds.Map[int]
	for spec, v := range overrides {
		r, err := kinds.ParseRange(spec)
		if err != nil {
			fmt.Println(err)
			return
		}
		m.Put(r, v)
	}
	for _, kind := range []int{1, 7, 30023, 30024} {
		v, ok := m.Get(kind)
		fmt.Println(kind, v, ok)
	}
	// Output:
	// 1 0 true
	// 7 0 false
	// 30023 5 true
	// 30024 20 true
}
