package wasmhost

import (
	"testing"

	"github.com/relayd/relayd/host/policy"
	"github.com/relayd/relayd/sdk/abi"
)

// TestPolicyCodesMatchABI: the host converts guest numbers to host/policy
// enums by plain conversion (policy.Action(a), policy.Hook(h)), which is
// only right while both sides keep the same numbers. sdk/abi cannot import
// host/policy, so this test holds them together.
func TestPolicyCodesMatchABI(t *testing.T) {
	pairs := []struct {
		name      string
		abi, host int
	}{
		{"HookConnect", int(abi.HookConnect), int(policy.HookConnect)},
		{"HookEventPre", int(abi.HookEventPre), int(policy.HookEventPre)},
		{"HookEvent", int(abi.HookEvent), int(policy.HookEvent)},
		{"HookReq", int(abi.HookReq), int(policy.HookReq)},
		{"HookCount", int(abi.HookCount), int(policy.HookCount)},
		{"HookAuth", int(abi.HookAuth), int(policy.HookAuth)},
		{"HookDeliver", int(abi.HookDeliver), int(policy.HookDeliver)},
		{"HookClose", int(abi.HookClose), int(policy.HookClose)},
		{"HookManage", int(abi.HookManage), int(policy.HookManage)},
		{"Accept", int(abi.ActionAccept), int(policy.Accept)},
		{"Reject", int(abi.ActionReject), int(policy.Reject)},
		{"ShadowReject", int(abi.ActionShadowReject), int(policy.ShadowReject)},
		{"Rewrite", int(abi.ActionRewrite), int(policy.Rewrite)},
		{"RateLimited", int(abi.ActionRateLimited), int(policy.RateLimited)},
		{"PrefixDefault", int(abi.PrefixDefault), int(policy.PrefixDefault)},
		{"PrefixBlocked", int(abi.PrefixBlocked), int(policy.PrefixBlocked)},
		{"PrefixRateLimited", int(abi.PrefixRateLimited), int(policy.PrefixRateLimited)},
		{"PrefixInvalid", int(abi.PrefixInvalid), int(policy.PrefixInvalid)},
		{"PrefixRestricted", int(abi.PrefixRestricted), int(policy.PrefixRestricted)},
		{"PrefixAuthRequired", int(abi.PrefixAuthRequired), int(policy.PrefixAuthRequired)},
		{"PrefixPow", int(abi.PrefixPow), int(policy.PrefixPow)},
		{"PrefixDuplicate", int(abi.PrefixDuplicate), int(policy.PrefixDuplicate)},
		{"PrefixError", int(abi.PrefixError), int(policy.PrefixError)},
		{"PrefixMute", int(abi.PrefixMute), int(policy.PrefixMute)},
		{"SourceIP4", int(abi.SourceIP4), int(policy.SourceIP4)},
		{"SourceIP6", int(abi.SourceIP6), int(policy.SourceIP6)},
		{"SourceImport", int(abi.SourceImport), int(policy.SourceImport)},
		{"SourceStream", int(abi.SourceStream), int(policy.SourceStream)},
		{"SourceSync", int(abi.SourceSync), int(policy.SourceSync)},
		{"SourceStored", int(abi.SourceStored), int(policy.SourceStored)},
	}
	for _, p := range pairs {
		if p.abi != p.host {
			t.Errorf("%s: sdk/abi %d, host/policy %d", p.name, p.abi, p.host)
		}
	}
}
