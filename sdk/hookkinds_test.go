//go:build !wasip1

package sdk_test

import (
	"errors"
	"fmt"
	"slices"
	"testing"

	"github.com/relayd/relayd/sdk"
	"github.com/relayd/relayd/sdk/abi"
	"github.com/relayd/relayd/sdk/internal/imports"
)

// kindsHost answers features and hook_kinds; every other host function is
// left to the embedded nil Host (a call would panic).
type kindsHost struct {
	imports.Host
	features abi.Feature
	rc       int32
	calls    []string
}

func (h *kindsHost) Features() uint64 { return uint64(h.features) }

func (h *kindsHost) HookKinds(hook uint32, kinds []uint32) int32 {
	h.calls = append(h.calls, fmt.Sprint(abi.Hook(hook), kinds))
	return h.rc
}

// TestHookKindsDeclare: DeliverKinds and FilterKinds check the kinds,
// declare them for their hooks only when the host has the feature, and
// report the host's refusal.
func TestHookKindsDeclare(t *testing.T) {
	all := abi.FeatureHookKinds | abi.FeatureFilterKinds
	req, count, deliver := fmt.Sprint(abi.HookReq, []uint32{4, 1059}), fmt.Sprint(abi.HookCount, []uint32{4, 1059}), fmt.Sprint(abi.HookDeliver, []uint32{4, 1059})
	tests := []struct {
		name     string
		declare  func(...int) error
		kinds    []int
		features abi.Feature
		rc       int32
		err      abi.Errno // 0: no error
		calls    []string
	}{
		{"deliver", sdk.DeliverKinds, []int{4, 1059}, all, 0, 0, []string{deliver}},
		{"filter: req and count", sdk.FilterKinds, []int{4, 1059}, all, 0, 0, []string{req, count}},
		{"deliver without the feature", sdk.DeliverKinds, []int{4, 1059}, abi.FeatureFilterKinds, 0, 0, nil},
		{"filter without the feature", sdk.FilterKinds, []int{4, 1059}, abi.FeatureHookKinds, 0, 0, nil},
		{"no kinds", sdk.FilterKinds, nil, all, 0, abi.ErrInvalid, nil},
		{"kind above 65535", sdk.DeliverKinds, []int{65536}, all, 0, abi.ErrInvalid, nil},
		{"negative kind", sdk.FilterKinds, []int{-1}, all, 0, abi.ErrInvalid, nil},
		{"host refuses: req only", sdk.FilterKinds, []int{4, 1059}, all, int32(abi.ErrUnavailable), abi.ErrUnavailable, []string{req}},
	}
	for _, tc := range tests {
		h := &kindsHost{features: tc.features, rc: tc.rc}
		old := imports.SetHost(h)
		err := tc.declare(tc.kinds...)
		imports.SetHost(old)
		var se *sdk.Error
		switch {
		case tc.err == 0 && err != nil:
			t.Errorf("%s: %v", tc.name, err)
		case tc.err != 0 && (!errors.As(err, &se) || se.Code != tc.err):
			t.Errorf("%s: error %v, want code %d", tc.name, err, tc.err)
		}
		if !slices.Equal(h.calls, tc.calls) {
			t.Errorf("%s: hook_kinds calls %q, want %q", tc.name, h.calls, tc.calls)
		}
	}
}
