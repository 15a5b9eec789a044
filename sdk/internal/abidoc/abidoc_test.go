package abidoc

import "testing"

func TestUpperSnake(t *testing.T) {
	tests := []struct{ in, want string }{
		{"Version", "VERSION"},
		{"OK", "OK"},
		{"HookEventPre", "HOOK_EVENT_PRE"},
		{"ExportABIVersion", "EXPORT_ABI_VERSION"},
		{"FieldEventID", "FIELD_EVENT_ID"},
		{"SourceIP4", "SOURCE_IP4"},
		{"FuncKVGet", "FUNC_KV_GET"},
		{"FuncKVCAS", "FUNC_KV_CAS"},
		{"ErrNotFound", "ERR_NOT_FOUND"},
	}
	for _, tc := range tests {
		if got := UpperSnake(tc.in); got != tc.want {
			t.Errorf("UpperSnake(%q) = %q, want %q", tc.in, got, tc.want)
		}
	}
}

func TestValues(t *testing.T) {
	tests := []struct {
		v       string
		isValue bool
	}{
		{"0x10", true}, {"17", true}, {`"relayd_on_tick"`, true}, {"-3", true},
		{"hook signature", false}, {"(func (result i32))", false}, {"memory", false},
	}
	for _, tc := range tests {
		if got := IsValue(tc.v); got != tc.isValue {
			t.Errorf("IsValue(%q) = %v, want %v", tc.v, got, tc.isValue)
		}
	}
	if !SameValue("0x10", "16") || SameValue("0x10", "17") || SameValue(`"a"`, `"b"`) {
		t.Error("SameValue: hex and decimal must compare by value, strings byte for byte")
	}
}

func TestRowsReadsABI(t *testing.T) {
	rows, err := Rows("../../abi/ABI.md")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) < 100 || rows["HookManage"] != "9" || rows["ExportOnTick"] != `"relayd_on_tick"` {
		t.Errorf("read %d rows, HookManage=%q ExportOnTick=%q", len(rows), rows["HookManage"], rows["ExportOnTick"])
	}
}
