package badgerstore

import (
	"bytes"
	"log/slog"
	"strings"
	"testing"
)

func Test_slogAdapter(t *testing.T) {
	var buf bytes.Buffer
	a := slogAdapter{slog.New(slog.NewTextHandler(&buf, nil))}
	a.Debugf("debug %d", 1)
	a.Infof("info %d\n", 2)
	a.Warningf("warn %d\n", 3)
	a.Errorf("error %d", 4)
	slogAdapter{}.Errorf("no logger")
	out := buf.String()
	tests := []struct {
		text string
		want bool
	}{
		{"debug 1", false},
		{"info 2", false},
		{`level=WARN msg="warn 3" component=badger`, true},
		{`level=ERROR msg="error 4" component=badger`, true},
	}
	for _, tc := range tests {
		if got := strings.Contains(out, tc.text); got != tc.want {
			t.Errorf("%q logged: got %v, want %v\n%s", tc.text, got, tc.want, out)
		}
	}
}

func Test_optionsValidate(t *testing.T) {
	tests := []struct {
		name string
		opts Options
		ok   bool
	}{
		{"defaults", Options{}, true},
		{"one compactor", Options{NumCompactors: 1}, false},
		{"event larger than a value log file", Options{MaxEventSize: 2 << 20, ValueLogFileSize: 1 << 20}, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := tc.opts.withDefaults().validate(); (err == nil) != tc.ok {
				t.Errorf("got %v, want ok=%v", err, tc.ok)
			}
		})
	}
}
