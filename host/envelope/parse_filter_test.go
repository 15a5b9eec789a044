package envelope_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/relayd/relayd/host/envelope"
)

func TestParseFilter(t *testing.T) {
	tests := []struct {
		name, in string
		kinds    int
		err      string
	}{
		{"empty", `{}`, 0, ""},
		{"kinds and tag", `{"kinds":[1,7],"#t":["x"],"since":5}`, 2, ""},
		{"two objects", `{},{}`, 0, "want one filter object"},
		{"not an object", `[1]`, 0, "filter must be an object"},
		{"bad kind", `{"kinds":["a"]}`, 0, "kinds must be"},
		{"bad tag key", `{"#tt":["x"]}`, 0, "must be '#' and one letter"},
		{"nothing", ``, 0, "envelope"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			f, err := envelope.ParseFilter([]byte(tc.in), envelope.Limits{})
			if tc.err != "" {
				var e *envelope.Error
				if err == nil || !errors.As(err, &e) || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("got %v, want an *Error with %q", err, tc.err)
				}
				return
			}
			if err != nil || len(f.Kinds) != tc.kinds {
				t.Fatalf("got %+v, %v; want %d kinds", f, err, tc.kinds)
			}
		})
	}
}
