// Command calls is a call-heavy Go plugin: its event hook computes the
// doubly recursive Fibonacci of the event's kind (fib(15) is 1,973 calls)
// and accepts, so benchmarks see the per-call cost of the preemption
// check.
package main

import "github.com/relayd/relayd/sdk"

func fib(n int) int {
	if n < 2 {
		return n
	}
	return fib(n-1) + fib(n-2)
}

func init() {
	sdk.OnEvent(func(e sdk.Event) sdk.Verdict {
		if fib(e.Kind()) < 0 {
			return sdk.Reject(sdk.Blocked, "impossible")
		}
		return sdk.Accept()
	})
}

func main() {}
