//go:build !wasip1

package sdktest

import (
	"encoding/json"
	"errors"
	"slices"
	"strconv"
	"strings"

	"github.com/relayd/relayd/sdk/abi"
)

// hookInit marks relayd_init in callInput.hook, for the outputs only it
// may set.
const hookInit abi.Hook = 0x100

// ErrUnknownMethod is Manage's error for a method the plugin does not
// declare.
var ErrUnknownMethod = errors.New("sdktest: unknown management method")

// MethodError is the plugin's refusal of a management method: the error
// the relay's management API would answer with.
type MethodError struct {
	Method, Message string
}

// Error implements error.
func (e *MethodError) Error() string { return e.Method + ": " + e.Message }

// ManageMethods returns the management methods the plugin declared in
// OnInit (sdk.OnManage), sorted; it runs Init first if needed.
func (h *Host) ManageMethods() ([]string, error) {
	if !h.init {
		if err := h.Init(); err != nil {
			return nil, err
		}
	}
	return slices.Clone(h.methods), nil
}

// Manage calls the NIP-86 management method the way the relay's
// management API does: params is a JSON array ("" is []), and the result
// is the method's JSON result ("true" when the plugin gives none). Errors:
// ErrUnknownMethod if the plugin does not declare method; *MethodError
// when the plugin refuses it, with the message the API would answer; an
// error for params that are not an array or a result that is not JSON.
func (h *Host) Manage(method, params string) (string, error) {
	methods, err := h.ManageMethods()
	if err != nil {
		return "", err
	}
	if _, ok := slices.BinarySearch(methods, method); !ok || h.limits.skips(abi.HookManage, 0) {
		return "", errors.Join(ErrUnknownMethod, errors.New(strconv.Quote(method)))
	}
	if strings.TrimSpace(params) == "" || strings.TrimSpace(params) == "null" {
		params = "[]"
	}
	var els []json.RawMessage
	if err := json.Unmarshal([]byte(params), &els); err != nil || els == nil {
		return "", errors.New("sdktest: params are not a JSON array")
	}
	r := h.run(callInput{hook: abi.HookManage, method: method, params: params}, 0, 0, uint32(len(params)), uint32(len(els)))
	switch r.Action {
	case abi.ActionAccept:
	case abi.ActionReject, abi.ActionRateLimited:
		msg := r.Message
		if msg == "" {
			msg = "refused"
		}
		return "", &MethodError{Method: method, Message: msg}
	default:
		return "", errors.New("sdktest: manage answered " + r.String() + ", want accept or reject")
	}
	res := h.out[abi.OutputResult]
	if res == nil {
		return "true", nil
	}
	if !json.Valid(res) {
		return "", errors.New("sdktest: manage result is not JSON: " + string(res))
	}
	return string(res), nil
}

// parseMethods checks OutputMethods as the relay does.
func parseMethods(b []byte) ([]string, error) {
	if b == nil {
		return nil, nil
	}
	var ms []string
	if err := json.Unmarshal(b, &ms); err != nil {
		return nil, errors.New("sdktest: management methods are not a JSON array of strings: " + err.Error())
	}
	for _, m := range ms {
		if !abi.ValidMethod(m) {
			return nil, errors.New("sdktest: management method " + strconv.Quote(m) + ": want 1 to 64 of a-z, 0-9 and _")
		}
		if slices.Contains(abi.HostMethods(), m) {
			return nil, errors.New("sdktest: management method " + strconv.Quote(m) + " is served by the relay itself")
		}
	}
	slices.Sort(ms)
	return slices.Compact(ms), nil
}
