package sdk

import (
	"slices"

	"github.com/relayd/relayd/sdk/abi"
	"github.com/relayd/relayd/sdk/filter"
	"github.com/relayd/relayd/sdk/internal/imports"
)

// NIP-86 management methods (ABI.md, "Management methods").

// ManageFunc serves one management method: it returns the result as JSON
// (nil means true), or an error whose text is the error the relay's
// management API answers with (at most abi.MaxMessageLen bytes).
type ManageFunc func(p Params) (result []byte, err error)

// manageFns are the registered management methods, by name.
var manageFns = map[string]ManageFunc{}

// OnManage serves the NIP-86 management method named method (such as
// "banpubkey") with fn; a nil fn stops serving it. Register in init or in
// OnInit: the relay reads the methods once per instance, after OnInit. The
// relay refuses to load a plugin that declares a method it serves itself
// (abi.HostMethods) or one another plugin serves; a name is 1 to
// abi.MaxMethodLen of a-z, 0-9 and _ (abi.ValidMethod).
//
// # Notes
//
//   - The relay answers the API only once the writes fn made to the
//     plugin's durable state (package sdk/db) are committed, so a ban
//     recorded there is on disk when the operator sees "true".
//   - fn runs under the plugin's deadline like any handler.
func OnManage(method string, fn ManageFunc) {
	if fn == nil {
		delete(manageFns, method)
	} else {
		manageFns[method] = fn
	}
	register(abi.HookManage, len(manageFns) > 0)
}

// Params are the params of a management method call, a JSON array.
// Unlike the views, they are a copy and stay valid after the call.
type Params struct {
	raw []byte
	els [][]byte
}

// ParseParams reads a JSON array as Params, for tests; ok is false for
// anything else.
func ParseParams(raw []byte) (Params, bool) {
	els, ok := filter.Elements(raw)
	if !ok {
		return Params{}, false
	}
	return Params{raw: raw, els: els}, true
}

// Raw returns the params as the JSON array the relay received.
func (p Params) Raw() []byte { return p.raw }

// Len returns the number of params.
func (p Params) Len() int { return len(p.els) }

// At returns param i as raw JSON, or nil past the last.
func (p Params) At(i int) []byte {
	if i < 0 || i >= len(p.els) {
		return nil
	}
	return p.els[i]
}

// String returns param i if it is a JSON string.
func (p Params) String(i int) (string, bool) { return filter.String(p.At(i)) }

// Int returns param i if it is a JSON integer.
func (p Params) Int(i int) (int64, bool) { return filter.Int(p.At(i)) }

// manageMethods hands the registered method names to the host
// (OutputMethods), in relayd_init.
func manageMethods() {
	if len(manageFns) == 0 {
		return
	}
	names := make([]string, 0, len(manageFns))
	for name := range manageFns {
		names = append(names, name)
	}
	slices.Sort(names)
	b := []byte{'['}
	for i, name := range names {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, name)
	}
	imports.SetOutput(uint32(abi.OutputMethods), append(b, ']'))
}

// manage runs the handler of the method the host calls.
func manage() Verdict {
	m, errno := getField(abi.FieldMethod)
	if errno != abi.OK {
		return Reject(ErrorPrefix, "sdk: no method")
	}
	fn := manageFns[string(m)]
	if fn == nil {
		return Reject(Invalid, "unknown method "+string(m))
	}
	raw, errno := getField(abi.FieldParams)
	if errno != abi.OK {
		return Reject(ErrorPrefix, "sdk: no params")
	}
	p, ok := ParseParams(append([]byte(nil), raw...))
	if !ok {
		return Reject(Invalid, "params are not a JSON array")
	}
	res, err := fn(p)
	if err != nil {
		return Reject(Invalid, err.Error())
	}
	if res != nil && imports.SetOutput(uint32(abi.OutputResult), res) < 0 {
		return Reject(ErrorPrefix, "result over abi.MaxResultLen")
	}
	return Accept()
}
