package filter_test

import (
	"fmt"
	"strconv"

	"github.com/relayd/relayd/sdk/filter"
)

// This clamps every filter's limit to 100, as a REQ handler would before
// returning sdk.RewriteFilters(out).
func Example() {
	in := []byte(`[{"kinds":[1],"limit":5000},{"authors":["ab"]}]`) // r.FiltersJSON()
	fs, err := filter.Parse(in)
	if err != nil {
		fmt.Println("bad filters")
		return
	}
	for i, f := range fs {
		if n, ok := filter.Int(f.Get("limit")); !ok || n > 100 {
			fs[i] = f.Set("limit", strconv.AppendInt(nil, 100, 10))
		}
	}
	out := filter.Append(nil, fs)
	fmt.Println(string(out))
	// Output: [{"kinds":[1],"limit":100},{"authors":["ab"],"limit":100}]
}

func ExampleInts() {
	fs, _ := filter.Parse([]byte(`[{"kinds":[1,7]},{"ids":["ff"]}]`))
	for _, f := range fs {
		kinds, ok := filter.Ints(f.Get("kinds"))
		fmt.Println(kinds, ok, f.Has("kinds"))
	}
	// Output:
	// [1 7] true true
	// [] false false
}
