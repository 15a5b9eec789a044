// Command alloc is a hostile Go plugin: kind 13 panics, kind 14 allocates
// without bound, kind 15 spins forever; kind 1 allocates 1 MiB of garbage
// in small objects and accepts (the SDK's periodic yield must keep the
// heap from growing).
package main

import "github.com/relayd/relayd/sdk"

var keep [][]byte

func init() {
	sdk.OnEvent(func(e sdk.Event) sdk.Verdict {
		switch e.Kind() {
		case 13:
			panic("boom")
		case 14:
			for {
				keep = append(keep, make([]byte, 1<<20))
			}
		case 15:
			for {
			}
		}
		var junk [][]byte
		for range 4096 {
			junk = append(junk, make([]byte, 256))
		}
		if len(junk) == 0 {
			return sdk.Reject(sdk.Blocked, "impossible")
		}
		return sdk.Accept()
	})
}

func main() {}
