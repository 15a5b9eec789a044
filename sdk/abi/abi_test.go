package abi_test

import (
	"testing"

	"github.com/relayd/relayd/sdk/abi"
)

func TestPackVerdict(t *testing.T) {
	tests := []struct {
		name   string
		action abi.Action
		prefix abi.Prefix
		packed uint32
	}{
		{"accept", abi.ActionAccept, abi.PrefixDefault, 0},
		{"reject blocked", abi.ActionReject, abi.PrefixBlocked, 0x101},
		{"rate limited", abi.ActionRateLimited, abi.PrefixRateLimited, 0x204},
		{"reject mute", abi.ActionReject, abi.PrefixMute, 0x901},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := abi.PackVerdict(tc.action, tc.prefix); got != tc.packed {
				t.Errorf("PackVerdict: got %#x, want %#x", got, tc.packed)
			}
			a, p := abi.UnpackVerdict(tc.packed | 0xabc0000)
			if a != tc.action || p != tc.prefix {
				t.Errorf("UnpackVerdict: got %d,%d, want %d,%d", a, p, tc.action, tc.prefix)
			}
		})
	}
}

func TestHookExport(t *testing.T) {
	seen := map[string]bool{}
	for h := abi.HookConnect; h <= abi.MaxHook; h++ {
		name := abi.HookExport(h)
		if name == "" || seen[name] {
			t.Errorf("HookExport(%d): got %q, want a unique name", h, name)
		}
		seen[name] = true
		if !abi.HookMaskAll.Has(h) {
			t.Errorf("HookMaskAll lacks hook %d", h)
		}
	}
	if got := abi.HookExport(0); got != "" {
		t.Errorf("HookExport(0): got %q, want empty", got)
	}
}
