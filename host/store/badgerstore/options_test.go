package badgerstore

import (
	"bytes"
	"log/slog"
	"slices"
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

// TestMemoryBudget checks that the budget sizes the store's memory, that
// the default budget keeps the sizes the store had before it, and that a
// field set explicitly wins.
func TestMemoryBudget(t *testing.T) {
	const mib = 1 << 20
	tests := []struct {
		name                          string
		opts                          Options
		memtable, block, index, cache int64
	}{
		{"default", Options{}, 16 * mib, 16 * mib, 8 * mib, 32 * mib},
		{"256 MiB", Options{MemoryBudget: 256 * mib}, 16 * mib, 16 * mib, 8 * mib, 32 * mib},
		{"1 GiB", Options{MemoryBudget: 1024 * mib}, 64 * mib, 64 * mib, 32 * mib, 128 * mib},
		{"64 MiB: memtables at their floor", Options{MemoryBudget: 64 * mib}, 4 * mib, 4 * mib, 2 * mib, 8 * mib},
		{"4 GiB: memtables at their cap", Options{MemoryBudget: 4096 * mib}, 64 * mib, 256 * mib, 128 * mib, 512 * mib},
		{"explicit fields win", Options{MemoryBudget: 64 * mib, MemTableSize: 8 * mib, CacheBytes: -1}, 8 * mib, 4 * mib, 2 * mib, -1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			o := tc.opts.withDefaults()
			got := []int64{o.MemTableSize, o.BlockCacheSize, o.IndexCacheSize, int64(o.CacheBytes)}
			want := []int64{tc.memtable, tc.block, tc.index, tc.cache}
			if !slices.Equal(got, want) {
				t.Errorf("memtable, block, index, event cache = %v MiB, want %v MiB", div(got, mib), div(want, mib))
			}
			if err := o.validate(); err != nil {
				t.Errorf("validate: %v", err)
			}
		})
	}
}

func div(v []int64, d int64) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x) / float64(d)
	}
	return out
}
