package config_test

import (
	"fmt"
	"testing"

	"github.com/relayd/relayd/sdk/config"
	"github.com/relayd/relayd/sdk/sdktest"
)

type settings struct {
	Max  int    `json:"max"`
	Mode string `json:"mode"`
}

func TestDecode(t *testing.T) {
	tests := []struct {
		name, config string
		strict, lax  settings // after decoding over {Max: 5, Mode: "a"}
		strictErr    string
	}{
		{"empty table", `{}`, settings{5, "a"}, settings{5, "a"}, ""},
		{"blank", " \n", settings{5, "a"}, settings{5, "a"}, ""},
		{"some keys", `{"max":3}`, settings{3, "a"}, settings{3, "a"}, ""},
		{"typo", `{"mdoe":"b"}`, settings{5, "a"}, settings{5, "a"}, `json: unknown field "mdoe"`},
		{"wrong type", `{"max":"3"}`, settings{5, "a"}, settings{5, "a"}, "json: cannot unmarshal string into Go struct field settings.max of type int"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			sdktest.New(sdktest.Options{Config: tc.config})
			got := settings{5, "a"}
			err := config.DecodeStrict(&got)
			if tc.strictErr == "" && err != nil || tc.strictErr != "" && (err == nil || err.Error() != tc.strictErr) {
				t.Fatalf("DecodeStrict: got error %v, want %q", err, tc.strictErr)
			}
			if err == nil && got != tc.strict {
				t.Errorf("DecodeStrict: got %+v, want %+v", got, tc.strict)
			}
			got = settings{5, "a"}
			if err := config.Decode(&got); err == nil && got != tc.lax {
				t.Errorf("Decode: got %+v, want %+v", got, tc.lax)
			}
		})
	}
}

// Defaults first, then the operator's [config] over them; a misspelt key
// fails the load.
func ExampleDecodeStrict() {
	sdktest.New(sdktest.Options{Config: `{"max":3,"mdoe":"strict"}`}) // the plugin's NAME.toml, natively
	s := settings{Max: 10, Mode: "lenient"}
	if err := config.DecodeStrict(&s); err != nil {
		fmt.Println("config:", err)
		return
	}
	fmt.Println(s.Max, s.Mode)
	// Output: config: json: unknown field "mdoe"
}
