// Command accept is a Go plugin that accepts everything on every hook:
// the baseline for per-call overhead.
package main

import "github.com/relayd/relayd/sdk"

func init() {
	accept := func(sdk.Event) sdk.Verdict { return sdk.Accept() }
	sdk.OnConnect(func(sdk.Session) sdk.Verdict { return sdk.Accept() })
	sdk.OnEventPre(accept)
	sdk.OnEvent(accept)
	sdk.OnReq(func(sdk.Req) sdk.Verdict { return sdk.Accept() })
	sdk.OnCount(func(sdk.Req) sdk.Verdict { return sdk.Accept() })
	sdk.OnAuth(accept)
	sdk.OnDeliver(accept)
	sdk.OnClose(func(sdk.Session) {})
}

func main() {}
